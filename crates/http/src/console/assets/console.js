/* feedbackd console: conveniences only (every page works without this script).
   - copy buttons ([data-copy] names the element whose text they copy);
   - the widget preview of a survey form, rendered by the widget itself (feedbackd.preview);
   - invitation and reset links: the token travels in the fragment, posted and then removed. */
(function (w, d) {
  'use strict';

  function each(selector, f) { Array.prototype.forEach.call(d.querySelectorAll(selector), f); }

  each('[data-copy]', function (button) {
    var source = d.getElementById(button.getAttribute('data-copy'));
    if (!source || !w.navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var status = d.getElementById('copy-status');
      w.navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = 'Copied';
        if (status) status.textContent = 'Copied to the clipboard.';
      }, function () {
        if (status) status.textContent = 'Copying failed: select the text and copy it.';
      });
    });
  });

  /** The survey the form describes, as the API would answer it: what the widget shows. */
  function surveyOfForm(form) {
    var value = function (name) { var el = form.elements[name]; return el ? el.value.trim() : ''; };
    var settings = {};
    try { settings = JSON.parse(value('settings') || '{}') || {}; } catch (e) { throw new Error('the settings are not valid JSON'); }
    var survey = {
      key: value('key') || (d.body.getAttribute('data-survey') || 'preview'),
      kind: value('kind') || 'nps',
      question: value('question') || 'Your question',
      presentation: settings.presentation || {},
      targeting: settings.targeting || {},
      questions: settings.questions || []
    };
    if (settings.scale_min !== undefined && settings.scale_max !== undefined) {
      survey.scale = { min: settings.scale_min, max: settings.scale_max };
    }
    var reason = value('reason');
    if (reason && !settings.questions) survey.questions = [{ key: 'reason', kind: 'text', text: reason }];
    return survey;
  }

  var form = d.getElementById('survey-form');
  var preview = d.getElementById('preview-button');
  if (form && preview) {
    var locale = d.getElementById('preview-locale');
    var status = d.getElementById('preview-status');
    var show = function () {
      if (!w.feedbackd || !w.feedbackd.preview) { status.textContent = 'The widget did not load.'; return; }
      try {
        w.feedbackd.preview(surveyOfForm(form), { locale: locale.value });
        status.textContent = 'The preview shows the survey as respondents see it. Nothing is sent.';
      } catch (e) {
        status.textContent = 'No preview: ' + e.message + '.';
      }
    };
    preview.hidden = false;
    locale.hidden = false;
    if (locale.previousElementSibling) locale.previousElementSibling.hidden = false;
    preview.addEventListener('click', show);
    locale.addEventListener('change', show);
  }

  // Invitation and reset links carry their token in the fragment: post it, then drop it
  // from the address bar and the history.
  var fragment = d.querySelector('form[data-fragment]');
  if (fragment && w.location.hash.indexOf('#' + fragment.getAttribute('data-fragment')) === 0) {
    fragment.elements.token.value = w.location.hash.slice(1);
    w.history.replaceState(null, '', w.location.pathname);
    fragment.submit();
  }
})(window, document);
