// feedbackd report pages: the only script, served from our origin (the CSP allows no other).
// The pages work without it: it applies a filter as soon as a select changes, and opens a
// share link without the person pasting it.
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('#comment-filters select').forEach(function (select) {
    select.addEventListener('change', function () { select.form.requestSubmit(); });
  });

  // The shared-link page: a link's token is in the fragment, which browsers never send (so
  // no access log, proxy or Referer sees it). Post it in the form's body, and take it out
  // of the address bar and the history first. A link opened on this page already changes
  // only the fragment (no new page load), hence `hashchange` too.
  var shared = document.getElementById('shared-form');
  if (!shared) return;
  var open = function () {
    var token = location.hash.slice(1);
    if (!token) return;
    history.replaceState(null, '', location.pathname + location.search);
    shared.elements.link.value = token;
    document.getElementById('shared-status').textContent = 'Opening the report…';
    shared.submit();
  };
  window.addEventListener('hashchange', open);
  open();
});
