/*! feedbackd web widget — no dependencies, no build step. Apache-2.0.
 *
 * <script src="https://feedback.example.com/sdk/feedbackd.js" data-key="fbk_pub_…"
 *         data-host="https://feedback.example.com" async></script>
 *
 * or: feedbackd.init({key, host, respondentId, attributes, locale, triggers, csatStyle}).
 * Only ever a publishable key here: this file runs on your users' devices.
 *
 * The survey the server picks for the person appears when its `targeting.triggers` hold on
 * this page and the project's fatigue rules allow it, first on the device (what this browser
 * remembers), then on the server (`POST /v1/responses/shown`, every device's history).
 */
(function (w, d) {
  'use strict';
  if (w.feedbackd && w.feedbackd.version) return;

  var QUEUE_MAX = 50; // answers and follow-ups kept for retry; the oldest go first
  var BACKOFF_MAX = 300000;
  var SHOWN_TRIES = 3; // asking whether to show is worth a short retry, not a queue: see ask()
  var DAY = 864e5;
  // The server's defaults (src/domain/fatigue.rs), for a config that carries no rules.
  var FATIGUE = { days_between_surveys: 14, max_per_session: 1, ignored_wait_hours: 72 };
  var STR = {
    en: { close: 'Close', send: 'Send', skip: 'Skip', thanks: 'Thank you for your feedback!',
      followUp: 'What is the main reason for your score?', feedback: 'Send us feedback',
      feedbackQ: 'What would you like to tell us?', category: 'Kind of feedback',
      bug: 'Problem', idea: 'Idea', praise: 'Praise', other: 'Other', of: '{n} of {max}',
      hp: 'Leave this empty', next: 'Next', step: 'Question {n} of {max}' },
    de: { close: 'Schließen', send: 'Senden', skip: 'Überspringen', thanks: 'Danke für Ihr Feedback!',
      followUp: 'Was ist der wichtigste Grund für Ihre Bewertung?', feedback: 'Feedback senden',
      feedbackQ: 'Was möchten Sie uns sagen?', category: 'Art des Feedbacks',
      bug: 'Problem', idea: 'Idee', praise: 'Lob', other: 'Sonstiges', of: '{n} von {max}',
      hp: 'Leer lassen', next: 'Weiter', step: 'Frage {n} von {max}' },
    fr: { close: 'Fermer', send: 'Envoyer', skip: 'Passer', thanks: 'Merci pour votre avis !',
      followUp: 'Quelle est la raison principale de votre note ?', feedback: 'Donner votre avis',
      feedbackQ: 'Que souhaitez-vous nous dire ?', category: 'Type de retour',
      bug: 'Problème', idea: 'Idée', praise: 'Compliment', other: 'Autre', of: '{n} sur {max}',
      hp: 'Laisser vide', next: 'Suivant', step: 'Question {n} sur {max}' },
    es: { close: 'Cerrar', send: 'Enviar', skip: 'Omitir', thanks: '¡Gracias por tu opinión!',
      followUp: '¿Cuál es el motivo principal de tu puntuación?', feedback: 'Enviar comentarios',
      feedbackQ: '¿Qué quieres contarnos?', category: 'Tipo de comentario',
      bug: 'Problema', idea: 'Idea', praise: 'Elogio', other: 'Otro', of: '{n} de {max}',
      hp: 'Dejar vacío', next: 'Siguiente', step: 'Pregunta {n} de {max}' }
  };
  var EMOJI = ['😠', '🙁', '😐', '🙂', '😍'];
  var CSS =
    ':host{all:initial}' +
    '.fb{position:fixed;z-index:2147483000;right:16px;bottom:16px;box-sizing:border-box;width:min(420px,calc(100vw - 32px));' +
    'padding:16px 20px 20px;border-radius:var(--feedbackd-radius,12px);background:var(--feedbackd-bg,#fff);color:var(--feedbackd-fg,#1f2328);' +
    'font:var(--feedbackd-font,15px/1.4 system-ui,sans-serif);box-shadow:0 8px 30px rgba(0,0,0,.25);animation:fbin .25s ease-out}' +
    '@keyframes fbin{from{opacity:0;transform:translateY(12px)}}' +
    '@media (prefers-reduced-motion:reduce){.fb,.fb *{animation:none!important;transition:none!important}}' +
    'h2,legend{margin:0 32px 12px 0;padding:0;font-size:1.05em;font-weight:600}' +
    'fieldset{margin:0;padding:0;border:0;min-width:0}' +
    '.o label{display:flex;gap:8px;align-items:center;margin:0;padding:6px 0;font-weight:400;cursor:pointer}' +
    '.o label input{width:18px;height:18px;margin:0;accent-color:var(--feedbackd-accent,#0b57d0)}' +
    '.x{position:absolute;top:8px;right:8px;width:32px;height:32px;border:0;border-radius:50%;background:transparent;color:inherit;font-size:20px;cursor:pointer}' +
    '.s{display:flex;gap:4px;flex-wrap:wrap}' +
    '.s button{flex:1 0 28px;min-width:28px;min-height:36px;border:1px solid var(--feedbackd-border,#8c959f);border-radius:6px;background:var(--feedbackd-bg,#fff);color:inherit;font:inherit;cursor:pointer;transition:background .15s}' +
    '.s.e button{font-size:24px}' +
    '.s button:hover,.s button[aria-checked=true]{background:var(--feedbackd-accent,#0b57d0);border-color:var(--feedbackd-accent,#0b57d0);color:var(--feedbackd-accent-fg,#fff)}' +
    ':focus-visible{outline:3px solid var(--feedbackd-focus,#f0a500);outline-offset:2px}' +
    '.l{display:flex;justify-content:space-between;gap:8px;margin-top:6px;font-size:.85em;color:var(--feedbackd-muted,#57606a)}' +
    'label{display:block;margin:0 0 6px;font-weight:600}' +
    'textarea,select,.o .t{box-sizing:border-box;width:100%;font:inherit;color:inherit;background:var(--feedbackd-bg,#fff);border:1px solid var(--feedbackd-border,#8c959f);border-radius:6px;padding:8px}' +
    'textarea{min-height:80px;resize:vertical}select{margin-bottom:10px}' +
    '.a{display:flex;justify-content:flex-end;gap:8px;margin-top:10px}' +
    '.a button{min-height:36px;padding:0 16px;border-radius:6px;font:inherit;cursor:pointer;border:1px solid var(--feedbackd-accent,#0b57d0)}' +
    '.p{background:var(--feedbackd-accent,#0b57d0);color:var(--feedbackd-accent-fg,#fff)}' +
    '.k{background:transparent;color:var(--feedbackd-accent,#0b57d0)}' +
    '.hp{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}';

  var cfg = null; // init options
  var state = { respondentId: null, attributes: {}, config: null, open: null, timer: null, failures: 0,
    ready: null, armed: null, seen: {}, session: null };
  // This page view, from the moment the script runs: what the triggers wait for.
  var page = { events: {}, scrolled: 0, waited: 0, exit: false, views: 1, first: Date.now() };

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
  /** localStorage (or `area`), per project key. Reading the property itself throws where
   *  storage is blocked; private mode or a full store: the in-memory copies still work. */
  function store(name, value, area) {
    if (cfg.preview) return; // the console's preview leaves nothing behind
    var k = 'feedbackd:' + name + ':' + cfg.key.slice(0, 16);
    try {
      var st = w[area || 'localStorage'];
      if (value === undefined) return JSON.parse(st.getItem(k) || 'null');
      st.setItem(k, JSON.stringify(value));
    } catch (e) { /* see above */ }
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
    if (cfg.preview) return Promise.resolve({ ok: true, status: 204, headers: { get: function () { return null; } } });
    return w.fetch(url(path), {
      method: method, body: JSON.stringify(body), keepalive: true, credentials: 'omit',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' }
    });
  }

  /** Queue first, then send: nothing is lost if the page closes mid-request. */
  function enqueue(item) {
    if (cfg.preview) return; // nothing leaves a preview
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
    // One answer may have several PATCHes waiting (one per question, `k`, and the comment).
    queue(queue().filter(function (x) { return x.id !== item.id || x.t !== item.t || x.k !== item.k; }));
  }
  function retry(seconds) {
    state.failures++;
    state.timer = setTimeout(function () { state.timer = null; flush(); }, backoff(seconds, state.failures));
  }
  /** Retry-After when the server gives one, else exponential backoff with jitter. */
  function backoff(seconds, failures) {
    return seconds >= 0 ? seconds * 1000 : Math.min(BACKOFF_MAX, 1000 * Math.pow(2, failures - 1)) * (0.5 + Math.random() / 2);
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
  /** The configuration of this page, fetched once (again after identify). */
  function configured() {
    return state.ready || (state.ready = loadConfig().catch(function (e) { state.ready = null; throw e; }));
  }
  function survey(key) {
    var list = (state.config && state.config.surveys) || [];
    for (var i = 0; i < list.length; i++) if (list[i].key === key || list[i].id === key) return list[i];
    return null;
  }
  function rules(s) { return s.targeting || {}; }

  // ---- what this device remembers: fatigue, like PostHog keeps "seen" on the device ------
  /** Per survey id: when it was last shown (s), answered (a), dismissed (d), and whether it
   *  is exempt from fatigue (x). Re-read before each use: other tabs write it too. */
  function seen() { return (state.seen = store('seen') || state.seen); }
  function remember(s, what) {
    var all = seen(), c = all[s.id] || (all[s.id] = {});
    c[what] = Date.now();
    c.x = !!rules(s).fatigue_exempt;
    store('seen', all);
    if (what === 's' && !c.x) session(function (v) { v.n++; });
  }
  /** This tab's session (sessionStorage): its id, surveys shown (n), surveys shown on exit
   *  intent (x) and surveys the server refused (r), which are not asked about again. */
  function session(change) {
    var v = state.session || (state.session = store('session', undefined, 'sessionStorage') || { id: uuidv7(), n: 0, x: {}, r: {} });
    if (change) change(v);
    store('session', v, 'sessionStorage');
    return v;
  }
  /** Whether the project's fatigue rules keep `s` away on this device; the same rules as
   *  the server's `may_show` (src/domain/fatigue.rs), on what this device has seen. */
  function resting(s) {
    var t = rules(s), f = state.config.fatigue || FATIGUE, all = seen(), own = all[s.id] || {}, now = Date.now();
    if (session().r[s.id]) return true;
    if (t.fatigue_exempt) return false;
    function within(at, ms) { return at > 0 && now < at + ms; }
    function last(c) { return Math.max(c.a || 0, c.d || 0); }
    if (f.max_per_session && session().n >= f.max_per_session) return true;
    if (t.recontact_days && within(last(own), t.recontact_days * DAY)) return true;
    var rest = f.days_between_surveys * DAY;
    if (rest && within(last(own), rest)) return true;
    for (var id in all) if (rest && id !== s.id && !all[id].x && within(Math.max(last(all[id]), all[id].s || 0), rest)) return true;
    return !!f.ignored_wait_hours && own.s > last(own) && within(own.s, f.ignored_wait_hours * 36e5);
  }

  // ---- triggers: evaluated on the device, so page views cost the server nothing ----------
  /** Whether `s` matches the whole of `str`: `*` any run of characters, `?` exactly one.
   *  Backtracks to the last star only, so it is linear-ish, whatever the pattern. */
  function glob(p, str) {
    var i = 0, j = 0, star = -1, mark = 0;
    while (i < str.length) {
      if (j < p.length && (p[j] === '?' || p[j] === str[i])) { i++; j++; }
      else if (p[j] === '*') { star = j++; mark = i; }
      else if (star >= 0) { j = star + 1; i = ++mark; }
      else return false;
    }
    while (p[j] === '*') j++;
    return j === p.length;
  }
  function urlMatches(u, href) {
    return u.match === 'exact' ? href === u.value : u.match === 'prefix' ? href.indexOf(u.value) === 0
      : u.match === 'glob' && glob(u.value, href);
  }
  /** Whether every condition of the survey's triggers holds now (none: at once). */
  function due(s) {
    var t = rules(s).triggers || {}, href = w.location.href;
    return (!t.url || !t.url.length || t.url.some(function (u) { return urlMatches(u, href); }))
      && (!t.delay_ms || page.waited >= t.delay_ms || w.performance.now() >= t.delay_ms) // since navigation
      && (!t.scroll_percent || depth() >= t.scroll_percent)
      && (!t.event || !!page.events[t.event])
      && (!t.exit_intent || (page.exit && !session().x[s.id]))
      && (!t.min_page_views || page.views >= t.min_page_views)
      && (!t.min_days_seen || Date.now() - page.first >= t.min_days_seen * DAY);
  }
  /** Waits on this page for the triggers of the survey the server picked for the person. */
  function arm(c) {
    var s = state.armed = survey(c.show), t = s && rules(s).triggers;
    // The timer says it waited: timers may fire a little before performance.now() agrees.
    if (t && t.delay_ms) setTimeout(function () { page.waited = t.delay_ms; check(); }, t.delay_ms - w.performance.now());
    return check();
  }
  /** One attempt per page view, once the armed survey's triggers hold; resolves to
   *  whether it appeared. */
  function check() {
    var s = state.armed;
    if (!s || state.open || !due(s)) return Promise.resolve(false);
    state.armed = null;
    return attempt(s);
  }
  /** The deepest the person scrolled on this page, in percent of its height (a page that
   *  fits the window is seen whole: 100). */
  function depth() {
    var h = d.documentElement.scrollHeight;
    return (page.scrolled = Math.max(page.scrolled, h ? 100 * (w.scrollY + w.innerHeight) / h : 100));
  }

  /** Shows `s` if the device's and then the server's fatigue rules allow it now. */
  function attempt(s) {
    if (resting(s)) return Promise.resolve(false);
    var body = { id: uuidv7(), survey: s.key, respondent_id: respondent(), session_id: session().id };
    return ask(body, 1).then(function (a) {
      if (!a.show) { session(function (v) { v.r[s.id] = 1; }); return false; }
      if ((rules(s).triggers || {}).exit_intent) session(function (v) { v.x[s.id] = 1; });
      remember(s, 's'); // the server counted it shown: so does the device, even if it lost a race
      return !state.open && render(s); // never replaces what the person is answering
    });
  }
  /** POST /v1/responses/shown, retried with the same id (a replay gets the first answer).
   *  Not through the persistent queue: the question only matters while this page shows,
   *  so after a few tries the survey simply does not appear. */
  function ask(body, tries) {
    function again(seconds) {
      if (tries >= SHOWN_TRIES) return { show: false };
      var ms = Math.min(backoff(seconds, tries), 10000); // later than that, the moment has passed
      return new Promise(function (ok) { setTimeout(ok, ms); }).then(function () { return ask(body, tries + 1); });
    }
    return send('POST', '/v1/responses/shown', body).then(function (r) {
      if (r.ok) return r.json();
      return r.status === 408 || r.status === 429 || r.status >= 500 ? again(parseFloat(r.headers.get('Retry-After'))) : { show: false };
    }, function () { return again(NaN); });
  }
  /** Shows a survey the app or the person asked for: no triggers, no fatigue check. */
  function display(s) {
    if (!s) return false;
    remember(s, 's');
    return render(s);
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
  /** A question's text or an option's label (`locales`: locale to text), else `fallback`. */
  function lang(locs, fallback) {
    var l = locale();
    locs = locs || {};
    return locs[l] || locs[l.split('-')[0]] || fallback;
  }
  function followUpQuestion(s, score) {
    var b = s.kind === 'nps' ? band(s, score) : 'question';
    return text(s, function (p) { var f = p.follow_up; return f && (f[b] || f.question); }) || ui('followUp');
  }

  // ---- additional questions (docs/design/0019-questions.md) -------------------------------
  function scaleOf(s) {
    return s.scale || { min: s.kind === 'nps' ? 0 : 1, max: s.kind === 'ces' ? 7 : s.kind === 'nps' ? 10 : 5 };
  }
  /** The band of a score that `show_if.bands` names: NPS detractor/passive/promoter, else
   *  `high` for the top two points of the scale and `low` below. */
  function band(s, score) {
    return s.kind === 'nps' ? (score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor')
      : score >= scaleOf(s).max - 1 ? 'high' : 'low';
  }
  /** After the main answer: the survey's active additional questions whose `show_if` holds
   *  for its band (a score) or its chosen options (a choice survey), one step each, then the
   *  follow-up comment as before (a text survey's answer is its comment: thanks instead).
   *  Each answer is its own PATCH, sent as soon as it is given. */
  function questions(b, picks) {
    var o = state.open;
    o.steps = (o.survey.questions || []).filter(function (q) {
      var c = q.show_if || {};
      // Both given: both must hold; an empty list is no condition (as on the server).
      return q.key !== 'main' && !q.retired && (!(c.bands || '').length || c.bands.indexOf(b) >= 0)
        && (!(c.options || '').length || c.options.some(function (k) { return picks.indexOf(k) >= 0; }));
    });
    o.n = 1; // the main question was the first step, the follow-up comment is the last
    o.of = o.steps.length + (o.survey.kind === 'text' ? 1 : 2);
    next();
  }
  function next() {
    var o = state.open, q = o.steps[o.n++ - 1];
    if (!q && o.survey.kind === 'text') return thanks();
    // Announced politely with each step, only where there are questions (old surveys as before).
    if (o.steps.length) o.live.textContent = ui('step').replace('{n}', o.n).replace('{max}', o.of);
    step(q ? questionStep(q) : followUpStep(o.survey, o.score));
  }
  function questionStep(q) {
    var t = lang(q.locales, q.text), c = q.kind === 'choice' ? choice(q, t) : q.kind === 'rating' ? rating(q, t, save) : textQ(t);
    /** `v`: the answer; undefined when none was given (Next then moves on, like Skip);
     *  null when it is incomplete (the control that misses something has the focus). */
    function save(v) {
      if (v === null) return;
      if (v !== undefined) {
        var a = {};
        a[q.key] = v;
        enqueue({ t: 'p', id: state.open.answerId, k: q.key, body: { answers: a } });
      }
      next();
    }
    return c[0].concat(actions(next, function () { save(c[1]()); }, ui('next')));
  }
  /** Skip (when `skip` is given) and the primary button. */
  function actions(skip, ok, label) {
    return [el('div', { class: 'a' }, [
      skip && el('button', { type: 'button', class: 'k', text: ui('skip'), onclick: skip }),
      el('button', { type: 'button', class: 'p', text: label, onclick: ok })])];
  }
  /** A choice question: radios (single) or checkboxes (multiple, at most `max_picks`) in a
   *  fieldset whose legend is the question; with `other`, choosing the option keyed `other`
   *  shows a text box for its text. Returns the nodes and a reader of the answer (see
   *  questionStep's save). */
  function choice(q, title) {
    var opts = q.options.filter(function (x) { return !x.retired; }), boxes, other, named;
    // Random sort keys shuffle evenly; `other` sorts last.
    if (q.shuffle) opts = opts.map(function (x) { return [x.key === 'other' ? 2 : Math.random(), x]; })
      .sort(function (a, b) { return a[0] - b[0]; }).map(function (p) { return p[1]; });
    boxes = opts.map(function (x) {
      return el('input', { type: q.multiple ? 'checkbox' : 'radio', name: 'fbo', value: x.key });
    });
    var fs = el('fieldset', { class: 'o' }, [el('legend', { id: 'fbq', text: title })].concat(opts.map(function (x, i) {
      return el('label', {}, [boxes[i], el('span', { text: lang(x.locales, x.label) })]);
    })));
    if (q.other) {
      named = opts.filter(function (x) { return x.key === 'other'; })[0];
      fs.appendChild(other = el('input', { type: 'text', class: 't', maxlength: '500', hidden: '',
        'aria-label': named ? lang(named.locales, named.label) : ui('other') }));
    }
    function picks() {
      return boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    }
    fs.addEventListener('change', function () {
      var p = picks();
      if (other) other.hidden = p.indexOf('other') < 0;
      if (q.max_picks) boxes.forEach(function (b) { b.disabled = !b.checked && p.length >= q.max_picks; });
    });
    return [[fs], function () {
      var p = picks(), v = { options: p }, t = other && other.value.trim();
      if (!p.length) return;
      if (p.indexOf('other') >= 0 && other) {
        if (!t) return other.focus(), null;
        v.other = t;
      }
      return v;
    }];
  }
  /** A rating question: the score buttons of the main question; choosing one answers. */
  function rating(q, title, pick) {
    var nodes = scale(q.scale || { min: 1, max: 5 }, title, q.labels && q.labels.low, q.labels && q.labels.high, false, pick);
    return [nodes, function () {
      var c = nodes[1].querySelector('[aria-checked=true]');
      return c ? +c.getAttribute('data-score') : undefined;
    }];
  }
  function textQ(title) {
    var ta = el('textarea', { id: 'fbc', maxlength: '5000' });
    return [[el('label', { id: 'fbq', for: 'fbc', text: title }), ta], function () { return ta.value.trim() || undefined; }];
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
      remember(o.survey, 'd');
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
      o.live = el('p', { class: 'hp', 'aria-live': 'polite' }),
      el('div', { class: 'hp', 'aria-hidden': 'true' }, [
        el('label', { for: 'fbhp', text: ui('hp') }),
        o.hp = el('input', { id: 'fbhp', name: 'hp', tabindex: '-1', autocomplete: 'off' })
      ])
    ]);
    box.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); close(true); } });
    // Enter on an option or the other-text box is the step's primary button (Next).
    body.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && e.target.tagName === 'INPUT') { e.preventDefault(); body.querySelector('.p').click(); }
    });
    o.body = body;
    root.appendChild(box);
    (cfg.container || d.body).appendChild(host);
    step(s.kind === 'text' ? textStep(s, ui('feedbackQ')) : s.kind === 'choice' ? choiceStep(s) : scaleStep(s));
    return true;
  }
  /** Replaces the dialog's content and moves focus to its first control. */
  function step(nodes) {
    var o = state.open;
    o.body.textContent = '';
    nodes.forEach(function (n) { if (n) o.body.appendChild(n); });
    var first = o.body.querySelector('[tabindex="0"],input,textarea,button');
    if (first) first.focus();
  }

  function scaleStep(s) {
    var low = text(s, function (p) { return p.labels && p.labels.low; });
    var high = text(s, function (p) { return p.labels && p.labels.high; });
    return scale(scaleOf(s), text(s, function (p) { return p.question; }) || s.question, low, high,
      s.kind === 'csat' && cfg.csatStyle === 'emoji', function (score) {
        state.open.score = score;
        main(s, { score: score });
        questions(band(s, score), []);
      });
  }
  /** A choice survey's main question (its first, keyed `main`): an answer is required. */
  function choiceStep(s) {
    var c = choice(s.questions[0], text(s, function (p) { return p.question; }) || s.question);
    return c[0].concat(actions(null, function () {
      var v = c[1]();
      if (v === undefined) return state.open.body.querySelector('input').focus();
      if (v) { main(s, { answers: { main: v } }); questions(null, v.options); }
    }, ui('next')));
  }
  /** Sends the main answer at once, before any further step, so it is never lost. */
  function main(s, fields) {
    var o = state.open;
    o.answered = true;
    o.answerId = uuidv7();
    remember(s, 'a');
    enqueue({ t: 'a', id: o.answerId, body: answer(s, fields) });
  }

  /** A scale as an ARIA radiogroup of buttons; `pick(n)` on a click (Enter, Space). */
  function scale(sc, q, low, high, emoji, pick) {
    emoji = emoji && sc.max - sc.min === 4;
    var radios = [];
    var group = el('div', { class: 's' + (emoji ? ' e' : ''), role: 'radiogroup', 'aria-labelledby': 'fbq' });
    if (low || high) group.setAttribute('aria-describedby', 'fbl');
    for (var n = sc.min; n <= sc.max; n++) {
      var label = ui('of').replace('{n}', n).replace('{max}', sc.max);
      if (n === sc.min && low) label += ', ' + low;
      if (n === sc.max && high) label += ', ' + high;
      var b = el('button', { type: 'button', role: 'radio', 'aria-checked': 'false', tabindex: n === sc.min ? '0' : '-1',
        'aria-label': label, 'data-score': String(n), text: emoji ? EMOJI[n - sc.min] : String(n) });
      b.addEventListener('click', function (e) { pick(+e.currentTarget.getAttribute('data-score')); });
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
    return [el('label', { id: 'fbq', for: 'fbc', text: followUpQuestion(s, score) }), ta].concat(actions(thanks, submit, ui('send')));
  }

  function textStep(s, fallback) {
    var q = text(s, function (p) { return p.question; }) || s.question || fallback;
    var ta = el('textarea', { id: 'fbc', maxlength: '5000', 'aria-required': 'true' });
    var cat = el('select', { id: 'fbk' }, ['other', 'bug', 'idea', 'praise'].map(function (c) {
      return el('option', { value: c, text: ui(c) });
    }));
    function submit() {
      if (!ta.value.trim()) return ta.focus();
      main(s, { comment: ta.value.trim(), category: cat.value });
      questions(null, []);
    }
    return [el('label', { id: 'fbq', for: 'fbc', text: q }), ta,
      el('label', { for: 'fbk', text: ui('category') }), cat].concat(actions(null, submit, ui('send')));
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
     *  false, waits on this page for the triggers of the survey the server picks for this
     *  person. Resolves to whether a survey appeared at once. */
    init: function (options) {
      if (!options || !/^fbk_pub_/.test(options.key || '')) throw new Error('feedbackd: init needs a publishable key (fbk_pub_…)');
      cfg = options;
      cfg.host = (options.host || '').replace(/\/$/, '');
      if (options.respondentId) state.respondentId = options.respondentId;
      state.attributes = options.attributes || {};
      var visits = store('visits') || { n: 0, first: Date.now() };
      visits.n++;
      store('visits', visits);
      page.views = visits.n;
      page.first = visits.first;
      w.addEventListener('pagehide', beacon);
      d.addEventListener('visibilitychange', function () { if (d.visibilityState === 'hidden') beacon(); });
      w.addEventListener('online', function () { if (state.timer) { clearTimeout(state.timer); state.timer = null; } flush(); });
      w.addEventListener('scroll', check, { passive: true });
      w.addEventListener('popstate', check); // single-page apps: the URL changed
      w.addEventListener('hashchange', check);
      // Exit intent: the pointer leaves the page through the top (towards tabs and the
      // address bar). Only desktop pointers do this; touch devices never fire it.
      d.addEventListener('mouseout', function (e) { if (!e.relatedTarget && e.clientY <= 0) { page.exit = true; check(); } });
      flush();
      return options.autoShow === false ? Promise.resolve(false) : configured().then(arm);
    },
    /** Who answers: the app's id for the person, and attributes for targeting. The server
     *  picks again for them. */
    identify: function (respondentId, attributes) {
      needInit();
      state.respondentId = respondentId ? String(respondentId) : null;
      state.attributes = attributes || {};
      state.ready = null;
      if (cfg.autoShow !== false) configured().then(arm).catch(function () {});
    },
    /** Shows a survey by key, now. Without one: the survey the server picks for this person,
     *  now, regardless of its triggers, if the fatigue rules allow it. Resolves to whether
     *  something was shown. */
    show: function (surveyKey) {
      needInit();
      return configured().then(function (c) {
        return surveyKey ? display(survey(surveyKey)) : c.show && survey(c.show) ? attempt(survey(c.show)) : false;
      });
    },
    /** Reports an app event on this page (a survey's `triggers.event`); works before init
     *  and before the configuration arrived, which then finds it. Resolves to whether a
     *  survey appeared. The older options.triggers ({event: survey key}) still shows that
     *  survey when the server picks it for this person. */
    track: function (event) {
      page.events[event] = true;
      if (!cfg) return Promise.resolve(false);
      var key = (cfg.triggers || {})[event];
      return configured().then(function (c) { return key && c.show === key ? attempt(survey(key)) : check(); });
    },
    /** Opens the free-text "send feedback" form (options.feedbackSurvey, else the first text survey). */
    feedback: function () {
      needInit();
      return configured().then(function (c) {
        var s = survey(cfg.feedbackSurvey) || c.surveys.filter(function (x) { return x.kind === 'text'; })[0];
        return display(s);
      });
    },
    /** Shows `survey` (as GET /v1/surveys/{key} answers it) as respondents would see it, and
     *  sends and stores nothing: the console's live preview. Not for apps. */
    preview: function (survey, options) {
      if (cfg && !cfg.preview) throw new Error('feedbackd: preview is for a page without the widget');
      cfg = { key: '', host: '', preview: true, locale: (options || {}).locale };
      state.config = { surveys: [survey] };
      return render(survey);
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
