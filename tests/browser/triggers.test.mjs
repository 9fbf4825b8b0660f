// The web widget's triggers in headless Chromium against a running feedbackd: the survey the
// server picks appears on a URL match, after a delay, on scroll depth, on a named event (also
// one tracked before the config arrived), on exit intent once, after N page views; only when
// `POST /v1/responses/shown` says `show: true`; and not again where the device's fatigue
// memory already knows the answer. Run by tests/api/browser.rs, which passes
//   FEEDBACKD_BASE, FEEDBACKD_KEY (publishable) and FEEDBACKD_SECRET (to set the targeting).
// Each check gets a fresh browser context: a new device, with empty storage.
import assert from 'node:assert/strict';
import { need, launch, checks } from './harness.mjs';

const base = need('FEEDBACKD_BASE');
const key = need('FEEDBACKD_KEY');
const secret = need('FEEDBACKD_SECRET');
const SURVEY = 'nps-main'; // the fixture's first survey: the one the server picks
// Long enough for the config, the shown report and the rendering on a busy machine.
const SETTLE_MS = 1500;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const { check, passed } = checks('triggers.test');

/** Replaces the survey's targeting through the management API. */
async function target(targeting) {
  const r = await fetch(`${base}/v1/surveys/${SURVEY}`, {
    method: 'PATCH', body: JSON.stringify({ targeting }),
    headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' },
  });
  assert.equal(r.status, 200, await r.text());
}

/** A shop page on the service's origin (so no CORS setup), tall enough to scroll, loading
 *  the widget like a customer would; `early` runs right after the widget's tag, before the
 *  configuration can have arrived. */
function shopPage(early = '') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><main style="height:4000px"><h1>Shop</h1></main>
<script src="/sdk/feedbackd.js" data-key="${key}" data-host=""></script>
<script>${early}</script></body></html>`;
}

const browser = await launch();
/** A new device on the shop: its page, what it reported as shown, and the dialog. */
async function device({ early = '', shown } = {}) {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 720 } });
  await context.route(`${base}/shop/**`, (route) =>
    route.fulfill({ contentType: 'text/html; charset=utf-8', body: shopPage(early) }));
  if (shown) await context.route(`${base}/v1/responses/shown?**`, shown);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  const reports = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/v1\/responses\/shown\?/.test(r.url())) reports.push(JSON.parse(r.postData()));
  });
  const dialog = page.locator('[data-feedbackd] [role=dialog]');
  const absent = async (why) => {
    await page.waitForTimeout(SETTLE_MS);
    assert.equal(await dialog.count(), 0, why);
  };
  const done = async () => {
    assert.deepEqual(problems, [], 'no page errors');
    await context.close();
  };
  return { page, reports, dialog, absent, done };
}

try {
  await check('a URL trigger shows the survey on matching pages only, and asks the server once', async () => {
    // `*` is any run of characters, `/` included; `?` one character; the whole URL must match.
    await target({ triggers: { url: [{ match: 'glob', value: `${base}/shop/*/check?ut` },
      { match: 'exact', value: `${base}/shop/exact` }] } });
    const { page, reports, dialog, absent, done } = await device();
    for (const other of ['/shop/cart', '/shop/checkout', '/shop/eu/checkout?step=2', '/shop/eu/checkout-other']) {
      await page.goto(`${base}${other}`);
      await absent(`not on ${other}`);
    }
    assert.equal(reports.length, 0, 'nothing asked the server on pages that do not match');
    await page.goto(`${base}/shop/eu/de/checkout`);
    await dialog.waitFor({ timeout: 10000 });
    assert.equal(reports.length, 1);
    const [report] = reports;
    assert.match(report.id, UUID_V7);
    assert.equal(report.survey, SURVEY);
    assert.match(report.respondent_id, /^anon-/);
    assert.ok(report.session_id && report.session_id.length <= 128, 'a session id');
    // The device remembers it showed a survey this session (the default cap is one): the
    // next matching page needs no server decision.
    await page.goto(`${base}/shop/exact`);
    await absent('not twice in one session');
    assert.equal(reports.length, 1, 'the device decided alone');
    await done();
  });

  await check('a delay trigger waits its time on the page', async () => {
    await target({ triggers: { delay_ms: 2500 } });
    const { page, dialog, done } = await device();
    const started = Date.now();
    await page.goto(`${base}/shop/anything`);
    await page.waitForTimeout(1200);
    assert.equal(await dialog.count(), 0, 'not before the delay');
    await dialog.waitFor({ timeout: 10000 });
    const waited = await page.evaluate(() => performance.now());
    assert.ok(waited >= 2500, `shown ${waited} ms after navigation`);
    assert.ok(Date.now() - started >= 2500);
    await done();
  });

  await check('a named event shows the survey; another event does not', async () => {
    await target({ triggers: { event: 'checkout_completed' } });
    const { page, dialog, absent, done } = await device();
    await page.goto(`${base}/shop/thanks`);
    await absent('not before the event');
    assert.equal(await page.evaluate(() => window.feedbackd.track('newsletter_signup')), false);
    await absent('not on another event');
    assert.equal(await page.evaluate(() => window.feedbackd.track('checkout_completed')), true);
    await dialog.waitFor();
    await done();
  });

  await check('an event tracked before the configuration arrived is remembered for the page', async () => {
    await target({ triggers: { event: 'checkout_completed' } });
    const { page, dialog, done } = await device({ early: "feedbackd.track('checkout_completed')" });
    await page.goto(`${base}/shop/thanks`);
    await dialog.waitFor({ timeout: 10000 });
    await done();
  });

  await check('a scroll-depth trigger waits until the person scrolled that far', async () => {
    await target({ triggers: { scroll_percent: 60 } });
    const { page, dialog, absent, done } = await device();
    await page.goto(`${base}/shop/article`);
    await absent('not at the top of a long page');
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await dialog.waitFor({ timeout: 10000 });
    await done();
  });

  await check('exit intent shows the survey once, not twice, in a session', async () => {
    // Exempt from fatigue, so only the exit-intent rule can keep it from showing again.
    await target({ fatigue_exempt: true, triggers: { exit_intent: true } });
    const { page, reports, dialog, absent, done } = await device();
    // The pointer leaves through the top of the window, towards the tabs.
    const leave = async () => {
      await page.mouse.move(500, 300);
      await page.mouse.move(500, -20, { steps: 4 });
    };
    await page.goto(`${base}/shop/cart`);
    await absent('not before the pointer leaves');
    await leave();
    await dialog.waitFor({ timeout: 10000 });
    await page.keyboard.press('Escape');
    await page.locator('[data-feedbackd]').waitFor({ state: 'detached' });
    await leave();
    await absent('not twice on the page');
    await page.goto(`${base}/shop/cart`);
    await leave();
    await absent('not twice in the session');
    assert.equal(reports.length, 1, 'asked the server once');
    await done();
  });

  await check('a page-view threshold waits for the next visits', async () => {
    await target({ triggers: { min_page_views: 3 } });
    const { page, dialog, absent, done } = await device();
    await page.goto(`${base}/shop/one`);
    await absent('not on the first page view');
    await page.goto(`${base}/shop/two`);
    await absent('not on the second');
    await page.goto(`${base}/shop/three`);
    await dialog.waitFor({ timeout: 10000 });
    await done();
  });

  await check('the survey stays hidden when the server says show: false, and is not asked again', async () => {
    await target({});
    let asked = 0;
    const { page, absent, done } = await device({
      shown: (route) => {
        asked++;
        const { id } = JSON.parse(route.request().postData());
        return route.fulfill({ status: 201, contentType: 'application/json',
          body: JSON.stringify({ id, survey_id: null, show: false, reason: 'project_rest' }) });
      },
    });
    await page.goto(`${base}/shop/home`);
    await absent('refused by the server');
    assert.equal(asked, 1);
    await page.goto(`${base}/shop/home`);
    await absent('still refused');
    assert.equal(asked, 1, 'the refusal holds for the session');
    await done();
  });

  await check('a shown report that meets a 503 is retried with the same id', async () => {
    await target({});
    const ids = [];
    const { page, dialog, done } = await device({
      shown: (route) => {
        ids.push(JSON.parse(route.request().postData()).id);
        return ids.length < 2
          ? route.fulfill({ status: 503, headers: { 'Retry-After': '1' }, body: '' })
          : route.continue();
      },
    });
    await page.goto(`${base}/shop/home`);
    await dialog.waitFor({ timeout: 10000 });
    assert.equal(ids.length, 2);
    assert.equal(ids[0], ids[1], 'one id per display attempt');
    await done();
  });

  console.log(`triggers: ${passed()} passed, 0 failed`);
} finally {
  await browser.close();
}
