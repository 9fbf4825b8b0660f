// What the browser tests share: settings from the environment, headless Chromium, named
// checks that log their time, and axe-core.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The environment variable `name`, which the Rust test must have set. */
export function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

/** Headless Chromium (Debian's, or $CHROMIUM). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Named checks for one script: `check(name, fn)` runs and logs one; `passed()` counts them. */
export function checks(tag) {
  const log = (...a) => console.log(`[${tag}]`, ...a);
  let passed = 0;
  async function check(name, fn) {
    const started = Date.now();
    await fn();
    passed++;
    log(`ok ${name} (${Date.now() - started} ms)`);
  }
  return { log, check, passed: () => passed };
}

/** axe-core's WCAG 2.2 AA and best-practice violations on the page, as plain objects. */
export async function axeViolations(page) {
  await page.evaluate(axeSource);
  return page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
  }).then((r) => r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target) }))));
}
