/*! feedbackd web widget — no dependencies, no build step. Apache-2.0.
 *
 * <script src="https://feedback.example.com/sdk/feedbackd.js" data-key="fbk_pub_…"
 *         data-host="https://feedback.example.com" async></script>
 *
 * or: feedbackd.init({key, host, respondentId, attributes, locale, triggers, csatStyle}).
 * Only ever a publishable key here: this file runs on your users' devices.
 */
(function (w, d) {
  'use strict';
  if (w.feedbackd && w.feedbackd.version) return;

  var QUEUE_MAX = 50; // answers and follow-ups kept for retry; the oldest go first
  var BACKOFF_MAX = 300000;
  var STR = {
    en: { close: 'Close', send: 'Send', skip: 'Skip', thanks: 'Thank you for your feedback!',
      followUp: 'What is the main reason for your score?', feedback: 'Send us feedback',
      feedbackQ: 'What would you like to tell us?', category: 'Kind of feedback',
      bug: 'Problem', idea: 'Idea', praise: 'Praise', other: 'Other', of: '{n} of {max}',
      hp: 'Leave this empty' },
    de: { close: 'Schließen', send: 'Senden', skip: 'Überspringen', thanks: 'Danke für Ihr Feedback!',
      followUp: 'Was ist der wichtigste Grund für Ihre Bewertung?', feedback: 'Feedback senden',
      feedbackQ: 'Was möchten Sie uns sagen?', category: 'Art des Feedbacks',
      bug: 'Problem', idea: 'Idee', praise: 'Lob', other: 'Sonstiges', of: '{n} von {max}',
      hp: 'Leer lassen' },
    fr: { close: 'Fermer', send: 'Envoyer', skip: 'Passer', thanks: 'Merci pour votre avis !',
      followUp: 'Quelle est la raison principale de votre note ?', feedback: 'Donner votre avis',
      feedbackQ: 'Que souhaitez-vous nous dire ?', category: 'Type de retour',
      bug: 'Problème', idea: 'Idée', praise: 'Compliment', other: 'Autre', of: '{n} sur {max}',
      hp: 'Laisser vide' },
    es: { close: 'Cerrar', send: 'Enviar', skip: 'Omitir', thanks: '¡Gracias por tu opinión!',
      followUp: '¿Cuál es el motivo principal de tu puntuación?', feedback: 'Enviar comentarios',
      feedbackQ: '¿Qué quieres contarnos?', category: 'Tipo de comentario',
      bug: 'Problema', idea: 'Idea', praise: 'Elogio', other: 'Otro', of: '{n} de {max}',
      hp: 'Dejar vacío' }
  };
  var EMOJI = ['😠', '🙁', '😐', '🙂', '😍'];
  var CSS =
    ':host{all:initial}' +
    '.fb{position:fixed;z-index:2147483000;right:16px;bottom:16px;box-sizing:border-box;width:min(420px,calc(100vw - 32px));' +
    'padding:16px 20px 20px;border-radius:var(--feedbackd-radius,12px);background:var(--feedbackd-bg,#fff);color:var(--feedbackd-fg,#1f2328);' +
    'font:var(--feedbackd-font,15px/1.4 system-ui,sans-serif);box-shadow:0 8px 30px rgba(0,0,0,.25);animation:fbin .25s ease-out}' +
    '@keyframes fbin{from{opacity:0;transform:translateY(12px)}}' +
    '@media (prefers-reduced-motion:reduce){.fb,.fb *{animation:none!important;transition:none!important}}' +
    'h2{margin:0 32px 12px 0;font-size:1.05em;font-weight:600}' +
    '.x{position:absolute;top:8px;right:8px;width:32px;height:32px;border:0;border-radius:50%;background:transparent;color:inherit;font-size:20px;cursor:pointer}' +
    '.s{display:flex;gap:4px;flex-wrap:wrap}' +
    '.s button{flex:1 0 28px;min-width:28px;min-height:36px;border:1px solid var(--feedbackd-border,#8c959f);border-radius:6px;background:var(--feedbackd-bg,#fff);color:inherit;font:inherit;cursor:pointer;transition:background .15s}' +
    '.s.e button{font-size:24px}' +
    '.s button:hover,.s button[aria-checked=true]{background:var(--feedbackd-accent,#0b57d0);border-color:var(--feedbackd-accent,#0b57d0);color:var(--feedbackd-accent-fg,#fff)}' +
    'button:focus-visible,textarea:focus-visible,select:focus-visible{outline:3px solid var(--feedbackd-focus,#f0a500);outline-offset:2px}' +
    '.l{display:flex;justify-content:space-between;gap:8px;margin-top:6px;font-size:.85em;color:var(--feedbackd-muted,#57606a)}' +
    'label{display:block;margin:0 0 6px;font-weight:600}' +
    'textarea,select{box-sizing:border-box;width:100%;font:inherit;color:inherit;background:var(--feedbackd-bg,#fff);border:1px solid var(--feedbackd-border,#8c959f);border-radius:6px;padding:8px}' +
    'textarea{min-height:80px;resize:vertical}select{margin-bottom:10px}' +
    '.a{display:flex;justify-content:flex-end;gap:8px;margin-top:10px}' +
    '.a button{min-height:36px;padding:0 16px;border-radius:6px;font:inherit;cursor:pointer;border:1px solid var(--feedbackd-accent,#0b57d0)}' +
    '.p{background:var(--feedbackd-accent,#0b57d0);color:var(--feedbackd-accent-fg,#fff)}' +
    '.k{background:transparent;color:var(--feedbackd-accent,#0b57d0)}' +
    '.hp{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}';

  var cfg = null; // init options
  var state = { respondentId: null, attributes: {}, config: null, open: null, timer: null, failures: 0 };

  // ---- ids -------------------------------------------------------------------------------
  /** A UUIDv7: 48 bits of Unix milliseconds, then random bits (RFC 9562). */
  function uuidv7() {
    var b = new Uint8Array(16);
    (w.crypto || w.msCrypto).getRandomValues(b);
    var ms = Date.now();
    for (var i = 5; i >= 0; i--) { b[i] = ms % 256; ms = Math.floor(ms / 256); }
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = '';
    for (var j = 0; j < 16; j++) h += (b[j] + 0x100).toString(16).slice(1) + (j === 3 || j === 5 || j === 7 || j === 9 ? '-' : '');
    return h;
  }

  // ---- storage: a small persistent queue --------------------------------------------------
  function store(name, value) {
    var k = 'feedbackd:' + name + ':' + cfg.key.slice(0, 16);
    try {
      if (value === undefined) return JSON.parse(w.localStorage.getItem(k) || 'null');
      w.localStorage.setItem(k, JSON.stringify(value));
    } catch (e) { /* private mode or full: the in-memory copy still works */ }
  }
  var memQueue = null;
  function queue(items) {
    if (items === undefined) return memQueue || (memQueue = store('q') || []);
    memQueue = items.slice(-QUEUE_MAX);
    store('q', memQueue);
  }

  // ---- HTTP --------------------------------------------------------------------------------
  function url(path, params) {
    var q = 'key=' + encodeURIComponent(cfg.key);
    for (var p in params || {}) q += '&' + p + '=' + encodeURIComponent(params[p]);
    return cfg.host + path + '?' + q;
  }
  // text/plain JSON and ?key=: a "simple" request, so no CORS preflight (PATCH still has one).
  function send(method, path, body) {
    return w.fetch(url(path), {
      method: method, body: JSON.stringify(body), keepalive: true, credentials: 'omit',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' }
    });
  }

  /** Queue first, then send: nothing is lost if the page closes mid-request. */
  function enqueue(item) {
    var q = queue();
    q.push(item);
    queue(q);
    flush();
  }

  var flushing = false;
  /** Sends what is waiting, oldest first; stops at the first temporary failure and retries
   *  later (Retry-After when the server gives one, else exponential backoff with jitter). */
  function flush() {
    if (flushing || state.timer || !cfg) return;
    var item = queue()[0];
    if (!item) return;
    flushing = true;
    var req = item.t === 'p' ? send('PATCH', '/v1/responses/' + item.id, item.body) : send('POST', '/v1/responses', item.body);
    req.then(function (r) {
      flushing = false;
      if (r.ok || (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429)) {
        if (!r.ok && w.console) w.console.warn('feedbackd: dropped an answer the server refused (' + r.status + ')');
        done(item);
        state.failures = 0;
        return flush();
      }
      retry(parseFloat(r.headers.get('Retry-After')));
    }, function () {
      flushing = false;
      retry(NaN);
    });
  }
  function done(item) {
    queue(queue().filter(function (x) { return x.id !== item.id || x.t !== item.t; }));
  }
  function retry(seconds) {
    state.failures++;
    var ms = seconds >= 0 ? seconds * 1000 : Math.min(BACKOFF_MAX, 1000 * Math.pow(2, state.failures - 1)) * (0.5 + Math.random() / 2);
    state.timer = setTimeout(function () { state.timer = null; flush(); }, ms);
  }

  /** The page is going away: hand what waits to the browser in one beacon. The items stay
   *  queued; if the beacon got through, the next visit's send is a harmless replay. */
  function beacon() {
    var answers = queue().filter(function (x) { return x.t === 'a'; }).map(function (x) { return x.body; });
    if (!answers.length || !w.navigator.sendBeacon) return;
    w.navigator.sendBeacon(url('/v1/responses/batch'),
      new Blob([JSON.stringify({ answers: answers.slice(0, 100) })], { type: 'text/plain' }));
  }

  // ---- configuration ---------------------------------------------------------------------
  function respondent() {
    if (!state.respondentId) {
      state.respondentId = store('anon') || 'anon-' + uuidv7();
      store('anon', state.respondentId);
    }
    return state.respondentId;
  }
  /** The configuration; the browser's HTTP cache revalidates it with the ETag. */
  function loadConfig() {
    var params = { respondent_id: respondent() };
    for (var a in state.attributes) params['attributes[' + a + ']'] = state.attributes[a];
    return w.fetch(url('/v1/widget/config', params), { credentials: 'omit' }).then(function (r) {
      if (!r.ok) throw new Error('feedbackd: config ' + r.status);
      return r.json();
    }).then(function (c) { state.config = c; return c; });
  }
  function survey(key) {
    var list = (state.config && state.config.surveys) || [];
    for (var i = 0; i < list.length; i++) if (list[i].key === key || list[i].id === key) return list[i];
    return null;
  }

  // ---- texts -------------------------------------------------------------------------------
  function locale() { return cfg.locale || (w.navigator.language || 'en'); }
  function ui(name) {
    var l = locale(), t = STR[l] || STR[l.split('-')[0]] || STR.en;
    return (cfg.strings && cfg.strings[name]) || t[name] || STR.en[name];
  }
  /** A survey text in the person's locale (exact tag, then its language), else the default. */
  function text(s, pick) {
    var locs = (s.presentation && s.presentation.locales) || {}, l = locale();
    var tr = locs[l] || locs[l.split('-')[0]];
    return (tr && pick(tr)) || pick(s.presentation || {}) || '';
  }
  function followUpQuestion(s, score) {
    var band = s.kind === 'nps' ? (score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor') : 'question';
    return text(s, function (p) { var f = p.follow_up; return f && (f[band] || f.question); }) || ui('followUp');
  }

  // ---- rendering -------------------------------------------------------------------------
  function el(tag, attrs, kids) {
    var e = d.createElement(tag);
    for (var a in attrs || {}) {
      if (a === 'text') e.textContent = attrs[a];
      else if (a.slice(0, 2) === 'on') e.addEventListener(a.slice(2), attrs[a]);
      else e.setAttribute(a, attrs[a]);
    }
    (kids || []).forEach(function (k) { if (k) e.appendChild(k); });
    return e;
  }
  function styles(root) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS); // not an inline <style>, so a strict CSP on the page allows it
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(el('style', { text: CSS }));
    }
  }

  function close(dismissed) {
    var o = state.open;
    if (!o) return;
    state.open = null;
    o.host.remove();
    if (dismissed && !o.answered && o.survey.kind !== 'text') {
      send('POST', '/v1/responses/dismiss', { survey: o.survey.key, respondent_id: respondent() }).catch(function () {});
    }
    if (o.returnFocus && o.returnFocus.focus && d.contains(o.returnFocus)) o.returnFocus.focus();
  }

  /** Shows one survey; returns false when there is none by that key. */
  function render(s) {
    if (state.open) close(false);
    var host = el('div', { 'data-feedbackd': '' });
    var root = host.attachShadow({ mode: 'open' });
    styles(root);
    var o = state.open = { host: host, survey: s, shownAt: Date.now(), answered: false, returnFocus: d.activeElement };
    var body = el('div');
    var box = el('div', { class: 'fb', role: 'dialog', 'aria-labelledby': 'fbq', 'aria-modal': 'false' }, [
      el('button', { type: 'button', class: 'x', 'aria-label': ui('close'), text: '×', onclick: function () { close(true); } }),
      body,
      el('div', { class: 'hp', 'aria-hidden': 'true' }, [
        el('label', { for: 'fbhp', text: ui('hp') }),
        o.hp = el('input', { id: 'fbhp', name: 'hp', tabindex: '-1', autocomplete: 'off' })
      ])
    ]);
    box.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); close(true); } });
    o.body = body;
    root.appendChild(box);
    (cfg.container || d.body).appendChild(host);
    if (s.kind === 'text') step(textStep(s, ui('feedbackQ')));
    else step(scaleStep(s));
    return true;
  }
  /** Replaces the dialog's content and moves focus to its first control. */
  function step(nodes) {
    var o = state.open;
    o.body.textContent = '';
    nodes.forEach(function (n) { if (n) o.body.appendChild(n); });
    var first = o.body.querySelector('[tabindex="0"],textarea,button');
    if (first) first.focus();
  }

  function scaleStep(s) {
    var sc = s.scale || { min: s.kind === 'nps' ? 0 : 1, max: s.kind === 'ces' ? 7 : s.kind === 'nps' ? 10 : 5 };
    var emoji = s.kind === 'csat' && cfg.csatStyle === 'emoji' && sc.max - sc.min === 4;
    var q = text(s, function (p) { return p.question; }) || s.question;
    var low = text(s, function (p) { return p.labels && p.labels.low; });
    var high = text(s, function (p) { return p.labels && p.labels.high; });
    var radios = [];
    var group = el('div', { class: 's' + (emoji ? ' e' : ''), role: 'radiogroup', 'aria-labelledby': 'fbq' });
    if (low || high) group.setAttribute('aria-describedby', 'fbl');
    for (var n = sc.min; n <= sc.max; n++) {
      var label = ui('of').replace('{n}', n).replace('{max}', sc.max);
      if (n === sc.min && low) label += ', ' + low;
      if (n === sc.max && high) label += ', ' + high;
      var b = el('button', { type: 'button', role: 'radio', 'aria-checked': 'false', tabindex: n === sc.min ? '0' : '-1',
        'aria-label': label, 'data-score': String(n), text: emoji ? EMOJI[n - sc.min] : String(n) });
      b.addEventListener('click', choose);
      radios.push(b);
      group.appendChild(b);
    }
    // Roving tabindex: one radio is in the tab order; arrows move focus and the check.
    group.addEventListener('keydown', function (e) {
      var i = radios.indexOf(e.target), k = e.key, to = k === 'ArrowRight' || k === 'ArrowDown' ? i + 1 : k === 'ArrowLeft' || k === 'ArrowUp' ? i - 1
        : k === 'Home' ? 0 : k === 'End' ? radios.length - 1 : null;
      if (to === null) return;
      e.preventDefault();
      to = (to + radios.length) % radios.length;
      radios.forEach(function (r, j) { r.setAttribute('tabindex', j === to ? '0' : '-1'); r.setAttribute('aria-checked', String(j === to)); });
      radios[to].focus();
    });
    function choose(e) {
      var score = +e.currentTarget.getAttribute('data-score');
      var o = state.open;
      o.answered = true;
      o.answerId = uuidv7();
      enqueue({ t: 'a', id: o.answerId, body: answer(s, { score: score }) });
      step(followUpStep(s, score));
    }
    return [el('h2', { id: 'fbq', text: q }), group,
      low || high ? el('div', { class: 'l', id: 'fbl' }, [el('span', { text: low }), el('span', { text: high })]) : null];
  }

  function answer(s, fields) {
    var o = state.open, a = {
      id: o.answerId || uuidv7(), survey: s.key, respondent_id: respondent(), attributes: state.attributes,
      context: { page_url: w.location.href.slice(0, 2048) }, client_time: new Date().toISOString(),
      time_to_answer_ms: Date.now() - o.shownAt, hp: o.hp.value
    };
    for (var f in fields) a[f] = fields[f];
    return a;
  }

  function followUpStep(s, score) {
    var ta = el('textarea', { id: 'fbc', maxlength: '5000' });
    function submit() {
      var comment = ta.value.trim(), o = state.open;
      if (comment) {
        // Still waiting in the queue? Then the comment travels with the answer itself.
        var q = queue(), waiting = q.filter(function (x) { return x.t === 'a' && x.id === o.answerId; })[0];
        if (waiting && !flushing) { waiting.body.comment = comment; queue(q); flush(); }
        else enqueue({ t: 'p', id: o.answerId, body: { comment: comment } });
      }
      thanks();
    }
    return [el('label', { id: 'fbq', for: 'fbc', text: followUpQuestion(s, score) }), ta,
      el('div', { class: 'a' }, [
        el('button', { type: 'button', class: 'k', text: ui('skip'), onclick: thanks }),
        el('button', { type: 'button', class: 'p', text: ui('send'), onclick: submit })])];
  }

  function textStep(s, fallback) {
    var q = text(s, function (p) { return p.question; }) || s.question || fallback;
    var ta = el('textarea', { id: 'fbc', maxlength: '5000', 'aria-required': 'true' });
    var cat = el('select', { id: 'fbk' }, ['other', 'bug', 'idea', 'praise'].map(function (c) {
      return el('option', { value: c, text: ui(c) });
    }));
    function submit() {
      if (!ta.value.trim()) return ta.focus();
      var o = state.open;
      o.answered = true;
      o.answerId = uuidv7();
      enqueue({ t: 'a', id: o.answerId, body: answer(s, { comment: ta.value.trim(), category: cat.value }) });
      thanks();
    }
    return [el('label', { id: 'fbq', for: 'fbc', text: q }), ta,
      el('label', { for: 'fbk', text: ui('category') }), cat,
      el('div', { class: 'a' }, [el('button', { type: 'button', class: 'p', text: ui('send'), onclick: submit })])];
  }

  function thanks() {
    step([el('p', { id: 'fbq', role: 'status', text: ui('thanks') })]);
    var b = state.open.host.shadowRoot.querySelector('.x');
    b.focus();
    var o = state.open;
    setTimeout(function () { if (state.open === o) close(false); }, cfg.thanksMs || 2500);
  }

  // ---- public API ------------------------------------------------------------------------
  function needInit() { if (!cfg) throw new Error('feedbackd: call feedbackd.init({key, host}) first'); }

  var api = {
    version: '1',
    /** Starts the widget: sends what an earlier visit left queued and, unless autoShow is
     *  false, shows the survey the server picks for this person. */
    init: function (options) {
      if (!options || !/^fbk_pub_/.test(options.key || '')) throw new Error('feedbackd: init needs a publishable key (fbk_pub_…)');
      cfg = options;
      cfg.host = (options.host || '').replace(/\/$/, '');
      if (options.respondentId) state.respondentId = options.respondentId;
      state.attributes = options.attributes || {};
      w.addEventListener('pagehide', beacon);
      d.addEventListener('visibilitychange', function () { if (d.visibilityState === 'hidden') beacon(); });
      w.addEventListener('online', function () { if (state.timer) { clearTimeout(state.timer); state.timer = null; } flush(); });
      flush();
      return options.autoShow === false ? Promise.resolve(false) : api.show();
    },
    /** Who answers: the app's id for the person, and attributes for targeting. */
    identify: function (respondentId, attributes) {
      needInit();
      state.respondentId = respondentId ? String(respondentId) : null;
      state.attributes = attributes || {};
    },
    /** Shows a survey by key; without one, the survey the server picks for this person now
     *  (targeting, sampling, recontact). Resolves to whether something was shown. */
    show: function (surveyKey) {
      needInit();
      return loadConfig().then(function (c) {
        var s = survey(surveyKey || c.show);
        return s ? render(s) : false;
      });
    },
    /** Reports an app event; a survey whose trigger it is (options.triggers: {event: key})
     *  is shown if the server's targeting picks it for this person now. */
    track: function (event) {
      needInit();
      var key = (cfg.triggers || {})[event];
      if (!key) return Promise.resolve(false);
      return loadConfig().then(function (c) { return c.show === key && render(survey(key)); });
    },
    /** Opens the free-text "send feedback" form (options.feedbackSurvey, else the first text survey). */
    feedback: function () {
      needInit();
      return loadConfig().then(function (c) {
        var s = survey(cfg.feedbackSurvey) || c.surveys.filter(function (x) { return x.kind === 'text'; })[0];
        return s ? render(s) : false;
      });
    },
    /** Sends what is queued now, without waiting for the backoff. */
    flush: function () { needInit(); if (state.timer) { clearTimeout(state.timer); state.timer = null; } flush(); },
    /** How many answers and follow-ups wait to be sent. */
    pending: function () { return cfg ? queue().length : 0; },
    close: function () { close(true); },
    uuidv7: uuidv7
  };
  w.feedbackd = api;

  // Declarative use: data-* on the script tag, and buttons marked data-feedbackd-show="key",
  // data-feedbackd-feedback or data-feedbackd-track="event" (no inline script needed).
  var tag = d.currentScript;
  if (tag && tag.getAttribute('data-key')) {
    var ds = tag.dataset, triggers = {};
    (ds.triggers || '').split(',').forEach(function (p) { var kv = p.split('='); if (kv[1]) triggers[kv[0].trim()] = kv[1].trim(); });
    api.init({ key: ds.key, host: ds.host || new URL(tag.src).origin, respondentId: ds.respondentId, locale: ds.locale,
      csatStyle: ds.csatStyle, triggers: triggers, feedbackSurvey: ds.feedbackSurvey, autoShow: ds.autoShow !== 'false' })
      .catch(function (e) { if (w.console) w.console.warn(e); });
  }
  d.addEventListener('click', function (e) {
    var t = e.target.closest && e.target.closest('[data-feedbackd-show],[data-feedbackd-feedback],[data-feedbackd-track]');
    if (!t || !cfg) return;
    var p = t.hasAttribute('data-feedbackd-feedback') ? api.feedback()
      : t.hasAttribute('data-feedbackd-track') ? api.track(t.getAttribute('data-feedbackd-track'))
        : api.show(t.getAttribute('data-feedbackd-show') || undefined);
    p.catch(function (err) { if (w.console) w.console.warn(err); });
  });
})(window, document);
