/**
 * A real browser for the web UI tests and `npm run screenshots`: Debian's chromium
 * (/usr/bin/chromium, installed by `npm test`'s bootstrap) driven by playwright-core, headless,
 * with a fresh profile and no network of its own (no updates, sync, QUIC).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.FITBIT_BRIDGE_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (npm test installs it when missing)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** The console errors and uncaught exceptions of a page, collected from now on. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

/**
 * How many chart canvases the page has and how many of them have a drawn (non-transparent)
 * pixel. (A string: the test programs have no DOM types.)
 */
export async function chartsDrawn(page: Page): Promise<{ charts: number; drawn: number }> {
  return page.evaluate<{ charts: number; drawn: number }>(`(() => {
    const canvases = [...document.querySelectorAll('.chart canvas')];
    let drawn = 0;
    for (const c of canvases) {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) continue;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) { drawn++; break; }
    }
    return { charts: canvases.length, drawn };
  })()`);
}
