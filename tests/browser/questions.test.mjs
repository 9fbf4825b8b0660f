// A survey's additional questions (issue 19) in the web widget, in headless Chromium against a
// running feedbackd: a detractor answers the score, a reason (a choice question) and the
// follow-up comment with the keyboard alone, skips a rating question, and is not asked the
// promoters' question; axe-core finds no violations on any step. A product-market-fit survey
// (a choice survey) is answered too. Run by tests/api/browser.rs, which passes
//   FEEDBACKD_BASE, FEEDBACKD_KEY (publishable), FEEDBACKD_SECRET (to add the questions),
//   FEEDBACKD_RESULT (where to write what it sent) and ARTIFACTS_DIR,
// and then checks the stored rows in PostgreSQL itself.
import { writeFileSync, mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { need, launch, checks, axeViolations } from './harness.mjs';

const base = need('FEEDBACKD_BASE');
const key = need('FEEDBACKD_KEY');
const secret = need('FEEDBACKD_SECRET');
const resultPath = need('FEEDBACKD_RESULT');
const artifacts = process.env.ARTIFACTS_DIR || 'artifacts';
// The server drops answers given faster than this after the widget showed (bots).
const HUMAN_PAUSE_MS = 1100;
const { check, passed } = checks('questions.test');
const result = {};
mkdirSync(artifacts, { recursive: true });

const REASONS = { price: 'Price', bugs: 'Bugs', support: 'Support', other: 'Something else' };
const questions = [
  { key: 'reason', kind: 'choice', text: 'What is the main reason for your score?',
    locales: { de: 'Was ist der Hauptgrund für Ihre Bewertung?' },
    options: Object.entries(REASONS).map(([k, label]) => ({ key: k, label })),
    other: true, shuffle: true, show_if: { bands: ['detractor', 'passive'] } },
  { key: 'ease', kind: 'rating', text: 'How easy was it to get started?',
    scale: { min: 1, max: 5 }, labels: { low: 'Hard', high: 'Easy' } },
  { key: 'loved', kind: 'text', text: 'What do you love most?', show_if: { bands: ['promoter'] } },
];

/** A management call with the secret key; fails the check unless it answers `status`. */
async function manage(method, url, body, status) {
  const r = await fetch(`${base}${url}`, {
    method, body: JSON.stringify(body),
    headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' },
  });
  assert.equal(r.status, status, `${method} ${url}: ${await r.text()}`);
}

const browser = await launch();
try {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 720 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${m.text()} ${m.location().url}`); });
  page.on('pageerror', (e) => problems.push(String(e)));
  const sent = []; // what the widget sent: method, path and body
  page.on('request', (r) => {
    if (/\/v1\/responses(\/[0-9a-f-]{36})?\?/.test(r.url())) {
      sent.push({ method: r.method(), path: new URL(r.url()).pathname, body: JSON.parse(r.postData()) });
    }
  });
  const widget = page.locator('[data-feedbackd]');
  const dialog = widget.locator('[role=dialog]');
  const focused = () => page.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return a && (a.getAttribute('aria-label') || a.id || a.value || a.textContent);
  });
  const title = () => widget.locator('#fbq').textContent();
  const status = () => widget.locator('p.hp[aria-live]').textContent();
  const clean = async (step) => {
    // Not while the dialog fades in: half-transparent colours would fail the contrast rule.
    await dialog.evaluate((e) => Promise.all(e.getAnimations().map((a) => a.finished)));
    const found = await axeViolations(page);
    assert.deepEqual(found, [], `${step}: ${JSON.stringify(found, null, 2)}`);
  };
  const answered = (method) => page.waitForResponse((r) => r.request().method() === method
    && /\/v1\/responses(\/[0-9a-f-]{36})?\?/.test(r.url()));

  await check('the NPS survey gets a reason, a rating and a promoters-only question', async () => {
    await manage('PATCH', '/v1/surveys/nps-main', { questions }, 200);
  });

  await check('the demo page shows the score step, axe-clean under its CSP', async () => {
    const response = await page.goto(`${base}/demo?key=${key}&survey=nps-main`);
    assert.equal(response.status(), 200);
    await dialog.waitFor({ state: 'visible', timeout: 10000 });
    assert.equal(await widget.locator('[role=radio]').count(), 11);
    assert.equal(await focused(), '0 of 10');
    assert.equal(await status(), '', 'nothing announced before the first additional question');
    await clean('score step');
  });

  let answerId;
  await check('the score is sent first, by POST, with no answers', async () => {
    await page.waitForTimeout(HUMAN_PAUSE_MS);
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    assert.equal(await focused(), '3 of 10');
    const stored = answered('POST');
    await page.keyboard.press('Enter');
    assert.equal((await stored).status(), 201);
    const [post] = sent;
    assert.equal(post.method, 'POST');
    assert.equal(post.body.score, 3);
    assert.equal(post.body.answers, undefined);
    answerId = post.body.id;
  });

  let reason;
  await check('a detractor is asked the reason: radios in a fieldset, other last, focus on the first', async () => {
    assert.equal(await title(), 'What is the main reason for your score?');
    assert.equal(await widget.locator('fieldset legend#fbq').count(), 1);
    assert.equal(await status(), 'Question 2 of 4');
    const labels = await widget.locator('fieldset label').allTextContents();
    assert.deepEqual([...labels].sort(), Object.values(REASONS).sort());
    assert.equal(labels.at(-1), 'Something else', 'shuffled, but the other option stays last');
    const first = await widget.locator('fieldset input').first().getAttribute('value');
    assert.equal(await focused(), first, 'the first option has the focus');
    await clean('reason step');
    await page.screenshot({ path: path.join(artifacts, 'questions-page.png') });
  });

  await check('the reason is chosen with the keyboard and sent at once by PATCH', async () => {
    await page.keyboard.press('ArrowDown'); // the second option, checked
    reason = await widget.locator('fieldset input:checked').getAttribute('value');
    assert.notEqual(reason, 'other');
    assert.equal(await focused(), reason);
    await dialog.screenshot({ path: path.join(artifacts, 'questions.png') });
    const patched = answered('PATCH');
    await page.keyboard.press('Enter'); // Next
    assert.equal((await patched).status(), 200);
    const patch = sent.at(-1);
    assert.equal(patch.path, `/v1/responses/${answerId}`);
    assert.deepEqual(patch.body, { answers: { reason: { options: [reason] } } });
  });

  await check('the rating question is skipped with the keyboard, and nothing is sent', async () => {
    assert.equal(await title(), 'How easy was it to get started?');
    assert.equal(await status(), 'Question 3 of 4');
    assert.equal(await focused(), '1 of 5, Hard');
    await clean('rating step');
    const before = sent.length;
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Skip');
    await page.keyboard.press('Enter');
    assert.equal(sent.length, before);
  });

  await check('the follow-up comment comes last, as before, and is sent by PATCH', async () => {
    // The promoters' question is not asked: the comment follows at once.
    assert.equal(await title(), 'What is the main reason for your score?');
    assert.equal(await status(), 'Question 4 of 4');
    assert.equal(await focused(), 'fbc');
    await clean('comment step');
    await page.keyboard.type('Reports load slowly');
    const patched = answered('PATCH');
    await page.keyboard.press('Tab'); // Skip
    await page.keyboard.press('Tab'); // Send
    await page.keyboard.press('Enter');
    assert.equal((await patched).status(), 200);
    assert.deepEqual(sent.at(-1).body, { comment: 'Reports load slowly' });
    await widget.locator('#fbq[role=status]').waitFor();
    await page.waitForFunction(() => window.feedbackd.pending() === 0);
    assert.equal(sent.length, 3, 'one POST, two PATCHes');
    result.nps = { id: answerId, score: 3, answers: { reason: { options: [reason] } }, comment: 'Reports load slowly' };
  });

  await check('a product-market-fit survey is a choice step, sent as answers.main', async () => {
    await manage('POST', '/v1/surveys', {
      key: 'pmf', kind: 'choice', question: 'How would you feel if you could no longer use feedbackd?',
      status: 'active',
      questions: [{ key: 'main', kind: 'choice', options: [
        { key: 'very_disappointed', label: 'Very disappointed' },
        { key: 'somewhat_disappointed', label: 'Somewhat disappointed' },
        { key: 'not_disappointed', label: 'Not disappointed' }] }],
    }, 201);
    await widget.waitFor({ state: 'detached', timeout: 10000 });
    await page.goto(`${base}/demo?key=${key}&survey=pmf`); // a configuration that carries pmf
    await page.evaluate(() => window.feedbackd.show('pmf'));
    await dialog.waitFor();
    assert.equal(await title(), 'How would you feel if you could no longer use feedbackd?');
    assert.equal(await focused(), 'very_disappointed');
    await clean('choice survey step');
    await page.waitForTimeout(HUMAN_PAUSE_MS);
    const before = sent.length;
    await page.keyboard.press('Enter'); // Next with nothing chosen: stays, sends nothing
    assert.equal(sent.length, before);
    await page.keyboard.press('Space');
    const stored = answered('POST');
    await page.keyboard.press('Enter');
    assert.equal((await stored).status(), 201);
    const post = sent.at(-1);
    assert.deepEqual(post.body.answers, { main: { options: ['very_disappointed'] } });
    assert.equal(post.body.score, undefined);
    assert.equal(await focused(), 'fbc', 'then the follow-up comment');
    result.pmf = { id: post.body.id, answers: { main: { options: ['very_disappointed'] } } };
  });

  assert.deepEqual(problems.filter((p) => !/favicon\.ico/.test(p)), [], 'no console errors (CSP included)');
  writeFileSync(resultPath, JSON.stringify(result, null, 2));
  console.log(`questions: ${passed()} passed, 0 failed`);
} finally {
  await browser.close();
}
