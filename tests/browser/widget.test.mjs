// End-to-end test of the web widget in headless Chromium against a running feedbackd.
// Run by tests/api/browser.rs, which starts the service on a fresh database, passes
//   FEEDBACKD_BASE (http://127.0.0.1:PORT), FEEDBACKD_KEY (a publishable key),
//   FEEDBACKD_RESULT (where to write the ids it sent) and ARTIFACTS_DIR,
// and then checks the database itself. Exits non-zero on the first failed check.
import { writeFileSync, mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { need, launch, checks, axeViolations } from './harness.mjs';

const base = need('FEEDBACKD_BASE');
const key = need('FEEDBACKD_KEY');
const resultPath = need('FEEDBACKD_RESULT');
const artifacts = process.env.ARTIFACTS_DIR || 'artifacts';
// The server drops answers given faster than this after the widget showed (bots).
const HUMAN_PAUSE_MS = 1100;
const { check, passed } = checks('widget.test');
const result = {};

const browser = await launch();
try {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 720 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  const answers = []; // bodies of POST /v1/responses as the widget sent them
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/v1\/responses\?/.test(r.url())) answers.push(JSON.parse(r.postData()));
  });

  const dialog = page.locator('[data-feedbackd] [role=dialog]');
  const focused = () => page.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return a && (a.getAttribute('aria-label') || a.id || a.textContent);
  });

  await check('the demo page shows the survey the server picks, styled under its CSP', async () => {
    const response = await page.goto(`${base}/demo?key=${key}&survey=csat`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'], /script-src 'self'/);
    await dialog.waitFor({ state: 'visible', timeout: 10000 });
    assert.equal(await dialog.evaluate((e) => getComputedStyle(e).position), 'fixed');
    assert.equal(await page.locator('[data-feedbackd] [role=radio]').count(), 11); // NPS 0–10
    assert.equal(await focused(), '0 of 10', 'the first radio has the focus');
  });

  await check('a screenshot of the widget is saved', async () => {
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'widget-page.png') });
    await dialog.screenshot({ path: path.join(artifacts, 'widget.png') });
  });

  await check('axe-core finds no accessibility violations', async () => {
    const found = await axeViolations(page);
    assert.deepEqual(found, [], JSON.stringify(found, null, 2));
  });

  await check('an NPS answer and its follow-up are given with the keyboard alone', async () => {
    await page.waitForTimeout(HUMAN_PAUSE_MS);
    assert.equal(await focused(), '0 of 10');
    for (let i = 0; i < 9; i++) await page.keyboard.press('ArrowRight');
    assert.equal(await focused(), '9 of 10');
    assert.equal(await page.locator('[data-feedbackd] [role=radio][aria-checked=true]').textContent(), '9');
    assert.equal(await page.locator('[data-feedbackd] [role=radio][tabindex="0"]').count(), 1);
    const stored = page.waitForResponse((r) => r.request().method() === 'POST' && /\/v1\/responses\?/.test(r.url()));
    await page.keyboard.press('Enter');
    assert.equal((await stored).status(), 201);
    assert.equal(await focused(), 'fbc'); // the follow-up box has the focus
    await page.keyboard.type('Typed with the keyboard only');
    const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.keyboard.press('Tab'); // Skip
    await page.keyboard.press('Tab'); // Send
    await page.keyboard.press('Enter');
    assert.ok((await patched).ok(), 'the follow-up PATCH succeeds');
    await page.locator('[data-feedbackd] [role=status]').waitFor();
    const nps = answers.at(-1);
    assert.equal(nps.score, 9);
    assert.equal(nps.hp, '');
    assert.ok(nps.time_to_answer_ms >= 1000, `time_to_answer_ms ${nps.time_to_answer_ms}`);
    assert.match(nps.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    result.nps = { id: nps.id, score: 9, comment: 'Typed with the keyboard only' };
  });

  await check('Escape dismisses the survey and tells the server', async () => {
    await page.locator('[data-feedbackd]').waitFor({ state: 'detached', timeout: 10000 });
    await page.locator('button[data-feedbackd-show]').focus();
    await page.keyboard.press('Enter'); // the page's "show survey" button, with the keyboard
    await dialog.waitFor();
    assert.equal(await page.locator('[data-feedbackd] [role=radio]').count(), 5); // CSAT 1–5, emoji
    const dismissed = page.waitForResponse((r) => /\/v1\/responses\/dismiss/.test(r.url()));
    await page.keyboard.press('Escape');
    assert.equal((await dismissed).status(), 204);
    await page.locator('[data-feedbackd]').waitFor({ state: 'detached' });
    assert.equal(await focused(), 'Show survey “csat”'); // focus went back where it was
  });

  await check('during a 503 outage the answer is queued and delivered once it recovers', async () => {
    let refused = 0;
    const outage = /\/v1\/responses\?/;
    await page.route(outage, (route) => {
      refused++;
      return route.fulfill({ status: 503, headers: { 'Retry-After': '1', 'Content-Type': 'application/problem+json' },
        body: '{"type":"about:blank","title":"Unavailable","status":503}' });
    });
    await page.locator('button[data-feedbackd-show]').focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.waitForTimeout(HUMAN_PAUSE_MS);
    await page.keyboard.press('End'); // 5
    await page.keyboard.press('Enter');
    await page.keyboard.type('Sent while the server was down');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const queued = await page.evaluate(() => Object.entries(localStorage)
      .filter(([k]) => k.startsWith('feedbackd:q:')).map(([, v]) => JSON.parse(v))[0]);
    assert.equal(queued.length, 1, 'one answer waits in the persistent queue');
    assert.equal(queued[0].body.comment, 'Sent while the server was down', 'the comment joined the queued answer');
    await page.waitForTimeout(3500); // the widget retries after each Retry-After
    assert.ok(refused >= 3, `retried ${refused} times during the outage`);
    const delivered = page.waitForResponse((r) => outage.test(r.url()) && r.status() === 201, { timeout: 15000 });
    await page.unroute(outage);
    await delivered;
    await page.waitForFunction(() => window.feedbackd.pending() === 0);
    const csat = answers.at(-1);
    assert.ok(answers.filter((a) => a.id === csat.id).length >= 4, 'every attempt carried the same id');
    result.csat = { id: csat.id, score: 5, comment: 'Sent while the server was down' };
  });

  await check('free-text feedback is sent from the "send feedback" form', async () => {
    await page.locator('[data-feedbackd]').waitFor({ state: 'detached', timeout: 10000 });
    await page.locator('button[data-feedbackd-feedback]').focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    assert.equal(await focused(), 'fbc');
    await page.waitForTimeout(HUMAN_PAUSE_MS);
    await page.keyboard.type('The export button is hard to find');
    await page.keyboard.press('Tab'); // category
    await page.keyboard.press('ArrowDown'); // other → bug
    const stored = page.waitForResponse((r) => /\/v1\/responses\?/.test(r.url()));
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.equal((await stored).status(), 201);
    const text = answers.at(-1);
    assert.equal(text.category, 'bug');
    result.text = { id: text.id, comment: 'The export button is hard to find', category: 'bug' };
  });

  await check('what is queued when the page goes away is sent with sendBeacon', async () => {
    await page.route(/\/v1\/responses\?/, (route) =>
      route.fulfill({ status: 503, headers: { 'Retry-After': '60' }, body: '' }));
    await page.evaluate(() => window.feedbackd.show('ces'));
    await dialog.waitFor();
    await page.waitForTimeout(HUMAN_PAUSE_MS);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight'); // 3
    const seen = answers.length;
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window.feedbackd.pending() === 1);
    // The queue fills at once, but the widget's first (refused) POST may still be on its way:
    // reading answers.at(-1) before it arrives took the previous check's answer instead.
    for (let i = 0; i < 100 && answers.length === seen; i++) await new Promise((r) => setTimeout(r, 50));
    const ces = answers.at(-1);
    assert.equal(ces.score, 3, 'the CES answer as the widget sent it');
    await page.goto('about:blank'); // pagehide: the widget hands its queue to sendBeacon
    // Sending the same answer again must now be a replay (200), not a new answer (201).
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (i % 10 === 9 || i === 49) {
        const r = await fetch(`${base}/v1/responses`, { method: 'POST', body: JSON.stringify(ces),
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' } });
        status = r.status;
        if (status === 201) break;
      }
    }
    assert.equal(status, 200, 'the beacon delivered the queued answer before the page went away');
    result.ces = { id: ces.id, score: 3 };
  });

  assert.deepEqual(problems.filter((p) => !/503|Failed to load resource/.test(p)), [], 'no console errors (CSP included)');
  writeFileSync(resultPath, JSON.stringify(result, null, 2));
  console.log(`widget: ${passed()} passed, 0 failed`);
} finally {
  await browser.close();
}
