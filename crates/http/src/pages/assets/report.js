// feedbackd report pages: the only script, served from our origin (the CSP allows no other).
// The pages work without it: it applies a filter as soon as a select changes, shows how
// far a CSV download has come, and opens a share link without the person pasting it.
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('#comment-filters select').forEach(function (select) {
    select.addEventListener('change', function () { select.form.requestSubmit(); });
  });

  var download = document.getElementById('download-csv');
  if (download && window.ReadableStream) download.addEventListener('click', function (e) {
    e.preventDefault();
    fetchWithProgress(download, document.getElementById('download-status'));
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

// A streamed export has no length to show, so the browser's own download shows nothing
// until the end. Fetched here instead, the rows are counted as they arrive (a newline
// outside quotes ends a row; a doubled quote toggles twice) and the file is handed to the
// browser when complete. Without this script the link downloads as any link does.
function fetchWithProgress(link, status) {
  var rows = -1, quoted = false, parts = [], busy = link.getAttribute('aria-disabled') === 'true';
  if (busy) return;
  link.setAttribute('aria-disabled', 'true');
  var say = function (text) { status.textContent = text; };
  say('Preparing the CSV…');
  fetch(link.href, { credentials: 'same-origin' }).then(function (response) {
    if (!response.ok) throw new Error('the server answered ' + response.status);
    var name = (/filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '') || [])[1] || 'export.csv';
    var reader = response.body.getReader(), shown = 0;
    var pump = function () {
      return reader.read().then(function (chunk) {
        if (chunk.done) return name;
        parts.push(chunk.value);
        for (var i = 0, b = chunk.value; i < b.length; i++) {
          if (b[i] === 34) quoted = !quoted;
          else if (b[i] === 10 && !quoted) rows++;
        }
        var now = Date.now();
        if (now - shown > 250) { shown = now; say(Math.max(rows, 0).toLocaleString() + ' rows so far…'); }
        return pump();
      });
    };
    return pump();
  }).then(function (name) {
    var a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob(parts, { type: 'text/csv' }));
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 60000);
    say('Downloaded ' + Math.max(rows, 0).toLocaleString() + ' rows.');
  }).catch(function (error) {
    say('The download failed (' + error.message + '); try again.');
  }).then(function () { link.removeAttribute('aria-disabled'); });
}
