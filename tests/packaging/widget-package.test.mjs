// The npm package as a developer meets it: the Vite app in vite-app/ installed the packed
// tarball, imported the widget as ESM and was built with `vite build`; this script serves that
// build (dist/) on the service's origin, so no CORS setup, and answers surveys in headless
// Chromium: an answer, an answer given offline and delivered once back online, and an answer
// whose first response is lost on the wire so the widget sends it again (a replay). Run by
// tests/api/widget_package.rs, which passes
//   FEEDBACKD_BASE, FEEDBACKD_KEY (publishable), FEEDBACKD_RESULT (where to write the ids)
//   and VITE_DIST (the build), and then checks the database itself.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { need, launch, checks } from '../browser/harness.mjs';

const base = need('FEEDBACKD_BASE');
const key = need('FEEDBACKD_KEY');
const resultPath = need('FEEDBACKD_RESULT');
const dist = need('VITE_DIST');
// The server drops answers given faster than this after the widget showed (bots).
const HUMAN_PAUSE_MS = 1100;
const ANSWER = /\/v1\/responses\?/;
const { check, passed } = checks('widget-package.test');
const result = {};
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

const browser = await launch();
try {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 720 } });
  // The built app under /app/ on the service's origin, straight from dist/.
  await context.route(`${base}/app/**`, (route) => {
    const file = new URL(route.request().url()).pathname.replace(/^\/app\/?/, '') || 'index.html';
    route.fulfill({ contentType: types[path.extname(file)] || 'application/octet-stream',
      body: readFileSync(path.join(dist, file)) });
  });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  const scripts = [];
  page.on('request', (r) => { if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname); });
  const posted = []; // [id, status] of every answer POST that got a response
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && ANSWER.test(r.url())) posted.push([JSON.parse(r.request().postData()).id, r.status()]);
  });
  const radio = (score) => page.locator(`[data-feedbackd] [role=radio][data-score="${score}"]`);
  const pending = () => page.evaluate(() => window.feedbackd.pending());
  /** Opens `survey` with the app's button, answers `score` like a person, skips the follow-up. */
  async function answer(button, score) {
    await page.click(button);
    await radio(score).waitFor({ state: 'visible', timeout: 10000 });
    await page.waitForTimeout(HUMAN_PAUSE_MS);
    const sent = page.waitForRequest((r) => r.method() === 'POST' && ANSWER.test(r.url()));
    await radio(score).click();
    const id = JSON.parse((await sent).postData()).id;
    await page.locator('[data-feedbackd] button', { hasText: 'Skip' }).click();
    return id;
  }

  await check('the Vite build runs the imported widget, not a script tag', async () => {
    await page.goto(`${base}/app/index.html?key=${key}`);
    await page.locator('body[data-widget]').waitFor({ timeout: 10000 });
    assert.equal(await page.getAttribute('body', 'data-widget'), 'imported');
    assert.equal(await page.evaluate(() => window.feedbackd.version), '1');
    assert.ok(scripts.every((s) => s.startsWith('/app/assets/')), `only the bundle loads: ${scripts}`);
  });

  await check('an answer is sent and stored', async () => {
    const stored = page.waitForResponse((r) => r.request().method() === 'POST' && ANSWER.test(r.url()));
    result.answer = { id: await answer('#rate', 8), score: 8 };
    assert.equal((await stored).status(), 201);
    assert.equal(await pending(), 0);
  });

  await check('an answer given offline waits in the queue and is delivered back online', async () => {
    await context.setOffline(true);
    const id = await answer('#rate-csat', 4);
    await page.waitForFunction(() => window.feedbackd.pending() === 1);
    assert.ok(!posted.some(([p]) => p === id), 'nothing reached the server while offline');
    const delivered = page.waitForResponse((r) => r.request().method() === 'POST' && ANSWER.test(r.url()), { timeout: 15000 });
    await context.setOffline(false); // the widget listens for `online` and sends at once
    assert.equal((await delivered).status(), 201);
    await page.waitForFunction(() => window.feedbackd.pending() === 0);
    result.offline = { id, score: 4 };
  });

  await check('an answer whose response was lost is sent again with its id and stored once', async () => {
    let lost = 0;
    // The server stores the answer, but the page never hears back: it must retry.
    await page.route(ANSWER, async (route) => {
      if (lost++ === 0) { await route.fetch(); return route.abort('connectionreset'); }
      return route.continue();
    });
    const replayed = page.waitForResponse((r) => r.request().method() === 'POST' && ANSWER.test(r.url()), { timeout: 15000 });
    const id = await answer('#rate', 3);
    const response = await replayed;
    assert.equal(JSON.parse(response.request().postData()).id, id, 'the retry carries the same id');
    assert.equal(response.status(), 200, 'the server knows it: a replay');
    await page.unroute(ANSWER);
    await page.waitForFunction(() => window.feedbackd.pending() === 0);
    assert.equal(lost, 2, 'sent twice');
    result.replay = { id, score: 3 };
  });

  assert.deepEqual(problems, [], 'no page errors');
  writeFileSync(resultPath, JSON.stringify(result));
  console.log(`[widget-package.test] ${passed()} checks passed`);
} finally {
  await browser.close();
}
