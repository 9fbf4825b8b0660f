// The web widget asks the additional questions that the app snippets' shared cases say a main
// answer calls for (tests/data/snippet-questions.json, `shown`): the same show_if bands and
// options, retired questions left out, the same bands on default scales. The rules live inside
// the widget's closure, so this drives the served file itself (feedbackd.min.js) in headless
// Chromium against a stubbed configuration: answer the main question, then Skip through the
// steps and name the questions asked. Cases whose main answer a person cannot give in the
// widget (several picks in a single-choice question, or none) are left to the other snippets.
// Run by tests/api/browser.rs; needs no service.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { launch, checks } from './harness.mjs';

const cases = JSON.parse(readFileSync(new URL('../data/snippet-questions.json', import.meta.url), 'utf8'));
const widget = readFileSync(new URL('../../sdk-snippets/web/feedbackd.min.js', import.meta.url), 'utf8');
const { check, passed } = checks('questions-cases.test');
const origin = 'https://shop.test';
let skipped = 0;

const surveys = Object.entries(cases.surveys).map(([key, s], i) => ({
  id: `00000000-0000-7000-8000-00000000000${i}`, key, question: `Main question of ${key}`,
  // A follow-up text of its own, so the comment step is never taken for a question.
  presentation: { follow_up: { question: 'The follow-up comment' } }, targeting: {}, version: 1, ...s,
}));

const browser = await launch();
try {
  const page = await browser.newPage({ locale: 'en-US' });
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.route(`${origin}/**`, (route) => {
    const r = route.request();
    const path = new URL(r.url()).pathname;
    if (path === '/') {
      return route.fulfill({ contentType: 'text/html; charset=utf-8', body: '<!doctype html><html lang="en"><head>'
        + '<meta charset="utf-8"><title>Shop</title></head><body><main><h1>Shop</h1></main>'
        + '<script src="/feedbackd.js" data-key="fbk_pub_cases" data-host="" data-auto-show="false"></script></body></html>' });
    }
    if (path === '/feedbackd.js') return route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: widget });
    if (path === '/v1/widget/config') return route.fulfill({ json: { surveys, fatigue: {} } });
    return route.fulfill({ status: r.method() === 'POST' ? 201 : 200, json: {} });
  });
  await page.goto(`${origin}/`);
  const box = page.locator('[data-feedbackd]');
  const title = () => box.locator('#fbq').textContent();

  for (const c of cases.shown) {
    const survey = surveys.find((s) => s.key === c.survey);
    const main = (survey.questions || []).find((q) => q.key === 'main');
    if (main && (c.options || []).length !== 1) { skipped++; continue; } // not an answer a person can give here
    const name = `${c.survey} after ${JSON.stringify(c.score ?? c.options ?? 'the text')}: ${c.keys.join(', ') || 'none'}`;
    await check(name, async () => {
      await page.evaluate((key) => window.feedbackd.show(key), c.survey);
      if (survey.kind === 'text') {
        await box.locator('textarea').fill('Some feedback');
        await box.locator('.p').click();
      } else if (main) {
        await box.locator(`input[value="${c.options[0]}"]`).check();
        if (c.options[0] === 'other') await box.locator('input.t').fill('Something else');
        await box.locator('.p').click();
      } else {
        await box.locator(`[data-score="${c.score}"]`).click();
      }
      // Each step's title names its question; the follow-up comment or the thanks end them.
      const byText = new Map((survey.questions || []).map((q) => [q.text, q.key]));
      const asked = [];
      for (let key; (key = byText.get(await title())) && asked.length <= 5;) {
        asked.push(key);
        await box.locator('.k').click(); // Skip
      }
      assert.deepEqual(asked, c.keys);
      await page.evaluate(() => window.feedbackd.close());
    });
  }
  assert.ok(passed() > skipped, `only ${passed()} of ${cases.shown.length} cases ran`);
  assert.deepEqual(problems, [], 'no page errors');
  console.log(`questions-cases: ${passed()} passed, 0 failed, ${skipped} left to the app snippets`);
} finally {
  await browser.close();
}
