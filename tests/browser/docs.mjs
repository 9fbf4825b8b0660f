// The API reference page (/docs) in headless Chromium against a running feedbackd.
// Run by tests/api/docs_page.rs, which passes
//   FEEDBACKD_BASE (http://127.0.0.1:PORT), FEEDBACKD_RESULT (where to write what the page
//   showed) and ARTIFACTS_DIR (screenshots),
// and then checks the result against /openapi.json itself. Exits non-zero on the first failure.
import { writeFileSync, mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { need, launch, checks } from './harness.mjs';

const base = need('FEEDBACKD_BASE');
const resultPath = need('FEEDBACKD_RESULT');
const artifacts = process.env.ARTIFACTS_DIR || 'artifacts/docs';
const origin = new URL(base).origin;
const { check } = checks('docs.test');
const result = {};

mkdirSync(artifacts, { recursive: true });
const browser = await launch();
try {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 1000 } });
  // Anything for another origin is recorded and never sent: the page must need nothing else.
  const outside = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (/^(https?|wss?):/.test(url) && new URL(url).origin !== origin) {
      outside.push(url);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on('request', (r) => {
    const url = r.url();
    if (/^(https?|wss?):/.test(url) && new URL(url).origin !== origin && !outside.includes(url)) outside.push(url);
  });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  // Injected by the browser itself (not by the page), so the page's policy does not stop it.
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    }, true);
  });
  const violations = () => page.evaluate(() => window.__violations);

  await check('the page renders every operation of the document', async () => {
    const r = await page.goto(`${base}/docs`);
    assert.equal(r.status(), 200);
    const doc = await (await fetch(`${base}/openapi.json`)).json();
    const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
    // The paths' operations and what webhooks send (the document's `webhooks` section).
    const operations = (items) => Object.values(items).flatMap((item) => Object.keys(item)).filter((k) => methods.includes(k)).length;
    const expected = operations(doc.paths) + operations(doc.webhooks ?? {});
    assert.equal(operations(doc.webhooks ?? {}), 4);
    await page.locator('#operations-insights-survey_summary').waitFor();
    const summary = await page.locator('#operations-insights-survey_summary').textContent();
    assert.match(summary, /survey_summary/);
    assert.match(summary, /\/v1\/surveys\/\{survey\}\/summary/);
    assert.match(await page.locator('.info .title').textContent(), /feedbackd/);
    result.operations = await page.locator('.opblock').count();
    assert.equal(result.operations, expected);
    await page.screenshot({ path: path.join(artifacts, 'docs.png') });
  });

  await check('Try it out calls GET /healthz on this service', async () => {
    const block = page.locator('#operations-operations-healthz');
    await block.locator('.opblock-summary-control').click();
    await block.getByRole('button', { name: 'Try it out' }).click();
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${origin}/healthz`),
      block.getByRole('button', { name: 'Execute' }).click(),
    ]);
    assert.equal(response.status(), 200);
    const shown = block.locator('.live-responses-table tbody .response-col_status').first();
    await shown.waitFor();
    result.tried = Number((await shown.textContent()).trim());
    assert.equal(result.tried, 200);
    assert.match(await block.locator('.live-responses-table').textContent(), /"status": "ok"/);
    await block.screenshot({ path: path.join(artifacts, 'docs-try-it-out.png') });
  });

  await check('no CSP violation, no console error, no request beyond the service', async () => {
    result.csp_violations = await violations();
    result.outside_requests = outside;
    assert.deepEqual(result.csp_violations, []);
    assert.deepEqual(problems, []);
    assert.deepEqual(outside, []);
  });
} finally {
  writeFileSync(resultPath, JSON.stringify(result));
  await browser.close();
}
