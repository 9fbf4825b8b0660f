// feedbackd report page: the only script, served from our origin (the CSP allows no other).
// The page works without it; it only applies a filter as soon as a select changes.
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('#comment-filters select').forEach(function (select) {
    select.addEventListener('change', function () { select.form.requestSubmit(); });
  });
});
