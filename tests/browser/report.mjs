// The report page in headless Chromium against a running feedbackd with seeded answers.
// Run by tests/api/report_browser.rs, which passes
//   FEEDBACKD_BASE (http://127.0.0.1:PORT), FEEDBACKD_SECRET_KEY (responses:read),
//   FEEDBACKD_QUERY (the period: from=…&to=…&tz=…), FEEDBACKD_SHARE_URL (a share link to
//   nps-main, as the API gave it: /reports/shared#fbk_share_…), FEEDBACKD_RESULT (where to
//   write what the page showed) and ARTIFACTS_DIR (screenshots, the printed PDF),
// and then checks the result against the API itself. nps-main has issue 19's questions
// (reason, areas, ease, improve) with answers in the period, and a PMF survey `pmf` has
// answers from the last minutes. Exits non-zero on the first failure.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { need, launch, checks, axeViolations } from './harness.mjs';

const base = need('FEEDBACKD_BASE');
const key = need('FEEDBACKD_SECRET_KEY');
const period = need('FEEDBACKD_QUERY');
const shareUrl = need('FEEDBACKD_SHARE_URL');
const resultPath = need('FEEDBACKD_RESULT');
const artifacts = process.env.ARTIFACTS_DIR || 'artifacts/report';
const EVIL = '<script>alert(1)</script>';
const { check, passed } = checks('report.test');
const result = {};

async function api(p) {
  const r = await fetch(`${base}${p}`, { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(r.status, 200, `${p}: ${r.status}`);
  return r.json();
}

mkdirSync(artifacts, { recursive: true });
const browser = await launch();
try {
  const context = await browser.newContext({ acceptDownloads: true, locale: 'en-US', viewport: { width: 1100, height: 900 }, colorScheme: 'light' });
  const page = await context.newPage();
  const problems = [];
  const dialogs = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const reportUrl = `${base}/reports/nps-main?${period}`;
  const comments = () => page.locator('.comment .text').allTextContents();

  await check('without a session the page says so and links to the login form', async () => {
    const r = await page.goto(reportUrl);
    assert.equal(r.status(), 401);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(/\/reports\/login\?next=/);
    // That 401 was the point; from here on, any console error fails the test.
    assert.ok(problems.every((p) => /status of 401/.test(p)), JSON.stringify(problems));
    problems.length = 0;
  });

  await check('signing in with the form opens the report it came from', async () => {
    await page.getByLabel('Secret key').fill(key);
    await Promise.all([page.waitForURL(reportUrl), page.getByRole('button', { name: 'Sign in' }).click()]);
    assert.match(await page.locator('h1').textContent(), /nps-main report/);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'fbk_report');
    assert.ok(session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/reports');
    assert.ok(!session.value.includes(key.slice(8)), 'the key is not in the cookie');
    assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session');
  });

  await check('the headline is the summary API’s number', async () => {
    const summary = await api(`/v1/surveys/nps-main/summary?${period}`);
    const shown = (await page.locator('#headline-value').textContent()).trim();
    assert.equal(shown, summary.current.nps.score.toFixed(1));
    result.headline = shown;
    result.summary_count = summary.current.count;
  });

  await check('the trend has one point per bucket of the time series', async () => {
    const series = await api(`/v1/surveys/nps-main/timeseries?interval=day&${period}`);
    const points = await page.locator('#trend .point').count();
    assert.equal(points, series.points.length);
    assert.equal(await page.locator('#trend').getAttribute('role'), 'img');
    assert.ok((await page.locator('#trend title').first().textContent()).length > 0);
    result.points = points;
  });

  await check('the questions section shows the questions API’s numbers, as cells a screen reader reads', async () => {
    const report = await api(`/v1/surveys/nps-main/questions?${period}`);
    assert.equal(await page.locator('section.question').count(), report.questions.length);
    for (const q of report.questions) {
      const part = page.locator(`#q-${q.key}`);
      assert.equal((await part.locator('.answered .count').textContent()).trim(), String(q.answered), q.key);
      // The bars are drawn for the eye; the numbers are table cells.
      assert.equal(await part.locator('svg.share[aria-hidden="true"]').count(), q.options.length, q.key);
      for (const o of q.options) {
        const cells = await part.locator(`tr[data-option="${o.key}"]`).getByRole('cell').allTextContents();
        assert.equal(cells[0], String(o.count), `${q.key}.${o.key}: ${cells}`);
        // One decimal, as the page rounds it (JavaScript may round a last 5 the other way).
        assert.ok(Math.abs(parseFloat(cells[1]) - 100 * o.share) <= 0.051, `${q.key}.${o.key}: ${cells}`);
        assert.match(cells[2], o.interval ? /^\d+\.\d% – \d+\.\d%$/ : /^–$/, `${q.key}.${o.key}: ${cells}`);
      }
    }
    result.questions = report.questions.length;
    result.reason_answered = report.questions[0].answered;
  });

  await check('an option opens the page of those who chose it, and the way back', async () => {
    const price = page.locator('#q-reason').getByRole('link', { name: 'Price', exact: true });
    await Promise.all([page.waitForURL(/answers\.reason=price/), price.click()]);
    const summary = await api(`/v1/surveys/nps-main/summary?${period}&answers[reason]=price`);
    const shown = (await page.locator('#headline-value').textContent()).trim();
    assert.equal(shown, summary.current.nps.score.toFixed(1));
    assert.match(await page.locator('#answer-filter').textContent(), /chose Price for/);
    assert.equal(await page.locator('#q-reason a[aria-current="true"]').textContent(), 'Price');
    result.price_headline = shown;
    const back = page.locator('#answer-filter').getByRole('link', { name: 'Show every answer' });
    await Promise.all([page.waitForURL((u) => !u.search.includes('answers')), back.click()]);
  });

  await check('the themes section shows the themes API’s numbers, and a theme lists its comments', async () => {
    const report = await api(`/v1/surveys/nps-main/themes?${period}&min_count=3&limit=10&interval=day`);
    const rows = page.locator('table.themes tbody tr');
    assert.ok(report.themes.length > 0, 'the seeded comments have themes');
    assert.equal(await rows.count(), report.themes.length);
    for (const [i, t] of report.themes.entries()) {
      const cells = await rows.nth(i).getByRole('cell').allTextContents();
      assert.equal((await rows.nth(i).locator('th').textContent()).trim(), t.label);
      assert.equal(cells[0], String(t.mentions), t.key);
    }
    assert.equal(await page.locator('#themes-chart').getAttribute('role'), 'img');
    assert.equal(await page.locator('table.themes svg.sparkline[aria-hidden="true"]').count(), report.themes.length);
    const first = report.themes[0];
    await Promise.all([page.waitForURL(/theme=/), rows.first().locator('th a').click()]);
    const listed = await api(`/v1/responses?survey=nps-main&${period}&has_comment=true&limit=20&theme=${encodeURIComponent(first.key)}`);
    const shown = await comments();
    assert.deepEqual(shown.map((t) => t.trim()), listed.data.map((a) => a.comment.trim()));
    assert.ok(shown.length > 0, 'the theme has comments');
    assert.equal(await page.locator('#comment-filters select[name="theme"]').inputValue(), first.key);
    // The tone filter narrows further, as the API does.
    await Promise.all([page.waitForURL(/sentiment=negative/), page.locator('#comment-filters select[name="sentiment"]').selectOption('negative')]);
    const negative = await api(`/v1/responses?survey=nps-main&${period}&has_comment=true&limit=20&theme=${encodeURIComponent(first.key)}&sentiment=negative`);
    assert.deepEqual((await comments()).map((t) => t.trim()), negative.data.map((a) => a.comment.trim()));
    result.themes = report.themes.length;
    await page.goto(reportUrl);
  });

  await check('a comment with <script> is shown as text and runs nothing', async () => {
    const texts = await comments();
    assert.ok(texts.some((t) => t.includes(EVIL)), 'the comment shows literally');
    assert.equal(await page.locator('.comment script, .comment img').count(), 0, 'no element came from a comment');
    assert.deepEqual(dialogs, [], 'no dialog opened');
    result.escaped = true;
  });

  await check('filters change the list', async () => {
    const before = await comments();
    // The band select applies itself (report.js) — the only script on the page.
    await Promise.all([page.waitForURL(/band=detractor/), page.getByLabel('Score band').selectOption('detractor')]);
    const detractors = await page.locator('.comment').evaluateAll((els) => els.map((e) => e.className));
    assert.ok(detractors.length > 0 && detractors.every((c) => c.includes('detractor')), detractors.join());
    assert.notDeepEqual(await comments(), before);
    await page.getByLabel('Score band').selectOption('');
    await page.waitForURL((u) => !u.searchParams.get('band'));
    await page.getByLabel('Search').fill('crash');
    await Promise.all([page.waitForURL(/q=crash/), page.getByRole('button', { name: 'Filter' }).click()]);
    const found = await comments();
    assert.ok(found.length > 0 && found.every((t) => /crash/i.test(t)), found.join(' | '));
    result.filtered = found.length;

    // The CSV button downloads what the export API gives for the same filters.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-csv').click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    // The page's URL as its form made it, less the untouched (empty) fields.
    const filters = new URLSearchParams([...new URL(page.url()).searchParams].filter(([, v]) => v !== ''));
    filters.set('survey', 'nps-main');
    filters.set('has_comment', 'true'); // the list shows comments
    const r = await fetch(`${base}/v1/exports/responses?${filters}`, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(r.status, 200);
    const exported = await r.text();
    assert.equal(csv, exported, 'the same rows as the export API');
    result.csv_rows = csv.trim().split('\n').length - 1;
    assert.ok(result.csv_rows >= found.length && found.every((t) => csv.includes(t)), 'every listed comment (all pages)');
    const older = page.locator('#older');
    if (await older.count()) {
      await Promise.all([page.waitForURL(/cursor=/), older.click()]);
      const next = await comments();
      assert.ok(next.every((t) => !found.includes(t) || t.split(' ').length < 3), 'the next page is other comments');
    }
    await page.goto(reportUrl);
  });

  await check('axe-core finds no accessibility violations, light or dark', async () => {
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      const found = await axeViolations(page);
      assert.deepEqual(found, [], `${scheme}: ${JSON.stringify(found, null, 2)}`);
    }
  });

  await check('a PMF survey’s page: its score against the 40% bar, its questions, no violations', async () => {
    const report = await api('/v1/surveys/pmf/questions');
    await page.goto(`${base}/reports/pmf`);
    const shown = (await page.locator('#pmf-value').textContent()).trim();
    assert.ok(Math.abs(parseFloat(shown) - 100 * report.pmf.share) <= 0.051, shown);
    assert.equal(await page.locator('#pmf').getAttribute('role'), 'img');
    assert.match(await page.locator('#pmf-desc').textContent(), /40% benchmark/);
    assert.equal(await page.locator('section.question').count(), report.questions.length);
    assert.equal(await page.locator('#trend').count(), 0, 'no score, no trend');
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      const found = await axeViolations(page);
      assert.deepEqual(found, [], `${scheme}: ${JSON.stringify(found, null, 2)}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: path.join(artifacts, 'report-pmf.png'), fullPage: true });
    await page.goto(reportUrl);
  });

  await check('screenshots in light, dark and print, and a short printed PDF', async () => {
    await page.emulateMedia({ colorScheme: 'light', media: 'screen' });
    await page.screenshot({ path: path.join(artifacts, 'report-light.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(artifacts, 'report-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light', media: 'print' });
    await page.screenshot({ path: path.join(artifacts, 'report-print.png'), fullPage: true });
    const pdf = await page.pdf({ format: 'A4', path: path.join(artifacts, 'report.pdf') });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
    // The figures on about two pages, the comments on the next; the questions add one, and
    // so do the themes.
    const most = 3 + (result.questions ? 1 : 0) + (result.themes ? 1 : 0);
    assert.ok(pages >= 1 && pages <= most, `printed on ${pages} pages`);
    result.pdf_pages = pages;
    await page.emulateMedia({ media: 'screen' });
  });

  await check('a share link opens its report in a fresh browser, and its token is in no request URL', async () => {
    const shared = await browser.newContext({ locale: 'en-US' });
    const tab = await shared.newPage();
    const token = shareUrl.split('#')[1];
    const sent = [];
    tab.on('request', (r) => sent.push(r.url()));
    tab.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    tab.on('pageerror', (e) => problems.push(String(e)));
    const report = `${base}/reports/nps-main`;
    await Promise.all([tab.waitForURL(report), tab.goto(`${base}${shareUrl}`)]);
    assert.match(await tab.locator('h1').textContent(), /nps-main report/);
    assert.ok((await tab.locator('#headline-value').textContent()).trim().length > 0);
    assert.equal(await tab.locator('#download-csv').count(), 0, 'read-only: no download');
    // No history entry holds the token (Chromium even replaces the shared page's entry, as
    // it posted while loading).
    await tab.goBack();
    assert.ok(!tab.url().includes(token), tab.url());
    // Without a fragment the page asks for the link, accessibly; a link opened on it then
    // changes only the fragment (no page load), and still opens.
    await tab.goto(`${base}/reports/shared`);
    await tab.getByLabel('Share link').waitFor();
    assert.deepEqual(await axeViolations(tab), []);
    await tab.screenshot({ path: path.join(artifacts, 'shared.png') });
    await Promise.all([tab.waitForURL(report), tab.goto(`${base}${shareUrl}`)]);
    assert.ok(sent.length > 4 && sent.every((u) => !u.includes(token)), `the token in a request URL: ${sent.join(' ')}`);
    await shared.close();
  });

  assert.deepEqual(problems, [], `no console errors (CSP violations included): ${JSON.stringify(problems)}`);
  assert.deepEqual(dialogs, [], 'no dialog ever opened');
  writeFileSync(resultPath, JSON.stringify(result, null, 2));
  console.log(`report: ${passed()} passed, 0 failed`);
} finally {
  await browser.close();
}
