// `npm run screenshots`: pictures of every page of the web UI for the docs (docs/ui-*.png, shown in
// the README). A generated Takeout export (90 days, fixed dates and seed) is imported into a
// temporary store, `run`'s controller serves it, and Debian's chromium (test/support/browser.ts)
// takes each page at 1200 px wide. Console errors of a page fail the script.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { Controller } from '../src/run/controller.js';
import { importTakeout } from '../src/sources/takeout/import.js';
import { openStore } from '../src/store/store.js';
import { generateTakeout } from '../src/synthetic/index.js';
import { addDays } from '../src/time/index.js';
import { silentLogger } from '../src/util/log.js';
import { chartsDrawn, collectErrors, launchBrowser } from '../test/support/browser.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const TZ = 'America/New_York';
const END = '2026-03-20';
const DAYS = 90;
const dir = mkdtempSync(join(tmpdir(), 'fb-screenshots-'));
try {
  console.log(`generating and importing ${DAYS} days of a synthetic export…`);
  const gen = await generateTakeout({ out: join(dir, 'gen'), format: 'zip', days: DAYS, endDate: END, seed: 42, timezone: TZ, partialDay: false });
  const dbPath = join(dir, 'fitbit-bridge.db');
  const store = openStore(dbPath);
  await importTakeout({ paths: gen.files, account: 'demo', store, logger: silentLogger(), timezone: TZ });
  const file = join(dir, 'config.yaml');
  writeFileSync(file, '');
  const config = loadConfig({
    file,
    overrides: { 'store.path': dbPath },
    env: { FITBIT_BRIDGE_ACCOUNTS__0__NAME: 'demo', FITBIT_BRIDGE_ACCOUNTS__0__TIMEZONE: TZ, FITBIT_BRIDGE_HTTP__PORT: '0' },
  });
  const controller = new Controller({ config, store, logger: silentLogger(), version: 'screenshots', sync: null });
  await controller.start();
  const base = controller.http!.url()!;
  const browser = await launchBrowser();
  const pages: [string, string, string][] = [
    ['overview', '#/', 'section.account'],
    ['coverage', '#/coverage/heart_rate', '#calendar a.cell'],
    ['day', `#/day/${addDays(END, -1)}`, '.chart canvas'],
    ['trends', '#/trends', '.chart canvas'],
    ['upload', '#/upload', '#dropzone'],
  ];
  let failed = false;
  try {
    for (const [name, hash, ready] of pages) {
      // the browser in the account's zone: the pages use the account's zone when /api/status names
      // it and the browser's otherwise
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 }, colorScheme: 'light', timezoneId: TZ });
      const errors = collectErrors(page);
      await page.goto(`${base}/${hash}`);
      await page.waitForSelector(ready, { timeout: 30_000 });
      await page.waitForTimeout(300);
      const out = join(root, 'docs', `ui-${name}.png`);
      await page.screenshot({ path: out, fullPage: true });
      const c = await chartsDrawn(page);
      console.log(`${out}${c.charts ? ` (${c.drawn}/${c.charts} charts drawn)` : ''}`);
      for (const e of errors) console.error(`  ${name}: ${e}`);
      if (errors.length) failed = true;
      await page.close();
    }
  } finally {
    await browser.close();
    await controller.stop();
    store.close();
  }
  if (failed) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
