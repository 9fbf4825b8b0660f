// The console in headless Chromium against a running feedbackd with no account yet.
// Run by tests/api/console_browser.rs, which passes
//   FEEDBACKD_BASE (http://127.0.0.1:PORT), FEEDBACKD_SETUP_TOKEN (the first-run token),
//   FEEDBACKD_RESULT (where to write what the pages showed) and ARTIFACTS_DIR (screenshots),
// and then checks the result against the database. A new person signs in on the first-run
// page, creates a project and an NPS survey with a reason question, previews it in the
// widget, copies the snippet, invites a viewer, and every page passes axe-core.
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { need, launch, checks, axeViolations } from './harness.mjs';

const base = need('FEEDBACKD_BASE');
const setupToken = need('FEEDBACKD_SETUP_TOKEN');
const resultPath = need('FEEDBACKD_RESULT');
const fixtureProject = need('FEEDBACKD_FIXTURE_PROJECT');
const artifacts = process.env.ARTIFACTS_DIR || 'artifacts/console';
const { check, passed } = checks('console.test');
const result = { pages: [] };

mkdirSync(artifacts, { recursive: true });
const browser = await launch();
try {
  const context = await browser.newContext({ acceptDownloads: true, locale: 'en-US', viewport: { width: 1100, height: 900 }, colorScheme: 'light' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));

  /** axe in light and dark, and a screenshot named `name`. */
  async function audit(name) {
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      const found = await axeViolations(page);
      assert.deepEqual(found, [], `${name} (${scheme}): ${JSON.stringify(found, null, 2)}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
    result.pages.push(name);
  }

  await check('the first-run page makes the first account and signs it in', async () => {
    await page.goto(`${base}/console/`);
    assert.match(page.url(), /\/console\/setup$/, 'no account yet: the first-run page');
    assert.equal(await page.locator('h1').textContent(), 'Set up feedbackd', 'closed without the token');
    await page.goto(`${base}/console/setup?token=${encodeURIComponent(setupToken)}`);
    await audit('setup');
    await page.getByLabel('Your name').fill('Ana');
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByLabel('Password').fill('a long enough password');
    await Promise.all([page.waitForURL(`${base}/console/`), page.getByRole('button', { name: 'Create the account' }).click()]);
    await audit('projects');
  });

  await check('a project, then an NPS survey with a reason question', async () => {
    await page.getByLabel('Name').fill('Checkout');
    await page.getByLabel('Web origins allowed to send answers').fill('https://shop.example.com');
    await Promise.all([page.waitForURL(/\/console\/projects\/[0-9a-f-]+\/surveys$/), page.getByRole('button', { name: 'Create the project' }).click()]);
    result.project = page.url().match(/projects\/([0-9a-f-]+)\//)[1];
    assert.match(await page.locator('main').textContent(), /No surveys yet/);
    await audit('surveys-empty');
    await page.getByRole('link', { name: 'New survey' }).click();
    await audit('survey-new');
    await page.getByLabel('Key').fill('checkout-nps');
    await page.getByLabel('Kind').selectOption('nps');
    await page.getByLabel('Question', { exact: true }).fill('How likely are you to recommend our checkout?');
    await page.getByLabel('Follow-up question (optional)').fill('What is the main reason for your score?');
    await Promise.all([page.waitForURL(/surveys\/checkout-nps\?created=1$/), page.getByRole('button', { name: 'Create the survey' }).click()]);
    assert.equal(await page.locator('.notice').textContent(), 'Survey created.');
    await audit('survey');
  });

  await check('the preview shows the survey in the widget, and sends nothing', async () => {
    let sent = 0;
    page.on('request', (r) => { if (r.url().includes('/v1/')) sent++; });
    await page.getByRole('button', { name: 'Preview' }).click();
    const widget = page.locator('[data-feedbackd]');
    await widget.locator('h2, legend').first().waitFor();
    const question = await widget.locator('h2, legend').first().textContent();
    assert.equal(question.trim(), 'How likely are you to recommend our checkout?');
    result.preview_question = question.trim();
    await widget.locator('[role=radio]', { hasText: /^3$/ }).click();
    await page.keyboard.press('Enter');
    await widget.getByText('What is the main reason for your score?').first().waitFor();
    await page.screenshot({ path: path.join(artifacts, 'survey-preview.png'), fullPage: false });
    await page.getByLabel('Language').selectOption('de');
    assert.equal(sent, 0, 'a preview sends no answer');
    result.preview_sent = sent;
  });

  await check('the snippet is copied to the clipboard', async () => {
    await page.getByRole('button', { name: 'Copy the snippet' }).click();
    await page.locator('#copy-status', { hasText: 'Copied' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /data-feedbackd-show="checkout-nps"/);
    assert.match(copied, new RegExp(`src="${base}/sdk/feedbackd.js"`));
    result.snippet = copied;
  });

  await check('keys, share links, members with an invitation link, the audit log, the account page', async () => {
    const project = `${base}/console/projects/${result.project}`;
    await page.goto(`${project}/keys`);
    await page.getByLabel('Name').fill('web widget');
    await page.getByRole('button', { name: 'Create the key' }).click();
    result.key_shown = (await page.locator('#secret').textContent()).startsWith('fbk_pub_');
    await audit('keys');
    await page.goto(`${project}/share-links`);
    await audit('share-links');
    await page.goto(`${project}/members`);
    await page.getByRole('button', { name: 'Create an invitation link' }).click();
    result.invitation = (await page.locator('#invitation-link').textContent()).trim();
    assert.match(result.invitation, /\/console\/join#fbk_inv_/);
    await audit('members');
    await page.goto(`${project}/audit`);
    assert.ok((await page.locator('tbody tr').count()) >= 4, 'project, survey, key, invitation');
    await audit('audit-log');
    await page.goto(`${base}/console/account`);
    await audit('account');
    await page.goto(`${base}/console/people`);
    await page.getByRole('button', { name: 'Reset password' }).first().click();
    assert.match(await page.locator('#reset-link').textContent(), /\/console\/reset#fbk_rst_/);
    await audit('people');
  });

  await check('the invitation link opens from its fragment in another browser, once', async () => {
    const other = await browser.newContext({ locale: 'en-US' });
    const tab = await other.newPage();
    await tab.goto(result.invitation);
    await tab.getByText('You are invited to').waitFor();
    assert.ok(!tab.url().includes('#'), 'the token left the address bar');
    await tab.getByLabel('Email').fill('vic@example.com');
    await tab.getByLabel('Choose a password').fill('another long password');
    await Promise.all([tab.waitForURL(/\/surveys$/), tab.getByRole('button', { name: 'Create my account and join' }).click()]);
    assert.match(await tab.locator('main').textContent(), /checkout-nps/);
    assert.equal(await tab.getByRole('link', { name: 'New survey' }).count(), 0, 'a viewer is offered no editing');
    await tab.goto(result.invitation);
    await tab.getByText('already been used').waitFor();
    const found = await axeViolations(tab);
    assert.deepEqual(found, [], `join: ${JSON.stringify(found, null, 2)}`);
    await other.close();
  });

  await check('the survey list and a report in the console: figures, comments, CSV', async () => {
    await page.goto(`${base}/console/projects/${fixtureProject}/surveys`);
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'nps-main', exact: true }) });
    result.list_cells = (await row.locator('td').allTextContents()).map((t) => t.trim().replace(/\s+/g, ' '));
    await audit('surveys');
    await row.getByRole('link', { name: 'Report' }).click();
    await page.locator('#headline-value').waitFor();
    result.report_headline = (await page.locator('#headline-value').textContent()).trim();
    assert.equal(await page.locator('#download-csv').count(), 1, 'an owner may export');
    // The file as a plain link gives it, and as the page's script gives it: counted as it
    // arrives, then handed to the browser.
    const href = await page.locator('#download-csv').evaluate((a) => a.href);
    const csv = await (await page.request.get(href)).text();
    result.csv_lines = csv.trim().split('\n').length;
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-csv').click()]);
    assert.equal(readFileSync(await download.path(), 'utf8'), csv, 'the same file');
    assert.match(download.suggestedFilename(), /\.csv$/);
    await page.getByRole('status').filter({ hasText: 'Downloaded' }).waitFor();
    assert.equal(await page.locator('#download-status').textContent(), `Downloaded ${result.csv_lines - 1} rows.`);
    await audit('report');
  });

  await check('signing in again, and out', async () => {
    await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/sign-in$/);
    await audit('sign-in');
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByLabel('Password').fill('a long enough password');
    await Promise.all([page.waitForURL(`${base}/console/`), page.getByRole('button', { name: 'Sign in' }).click()]);
  });

  assert.deepEqual(problems, [], 'no console errors');
} finally {
  await browser.close();
}
writeFileSync(resultPath, JSON.stringify(result));
console.log(`[console.test] ${passed()} checks passed`);
