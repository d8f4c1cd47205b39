/**
 * The web UI in a real browser (Debian's chromium through playwright-core) against a real `run`
 * controller and HTTP server over a store imported from a generated Takeout export: every page
 * loads without console errors, the charts draw, the coverage calendar shows the imported days, a
 * generated archive uploaded through the page appears in the summary and in the coverage, the UI
 * works behind an ingress proxy (prefix stripped, X-Ingress-Path set) and a cross-site POST from
 * another origin's page is refused.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Controller } from '../../src/run/controller.js';
import { importTakeout } from '../../src/sources/takeout/import.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { generateTakeout } from '../../src/synthetic/index.js';
import { addDays } from '../../src/time/index.js';
import { silentLogger } from '../../src/util/log.js';
import { chartsDrawn, collectErrors, launchBrowser } from '../support/browser.js';
import { Tmp } from '../support/tmp.js';
import { webConfig } from '../support/web-config.js';

const tmp = new Tmp('fb-webui-');
after(() => tmp.cleanup());
const TZ = 'America/New_York';
const END = '2026-03-20';
const DAYS = 5;
/** The uploaded export: the days just before the imported ones. */
const UPLOAD_END = addDays(END, -DAYS);
const UPLOAD_DAYS = 3;

function dates(end: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => addDays(end, i - n + 1));
}

/** A stand-in of Home Assistant's ingress proxy: strips /api/hassio_ingress/<token>, sets X-Ingress-Path. */
function ingressProxy(target: string, token: string): Promise<Server> {
  const prefix = `/api/hassio_ingress/${token}`;
  const t = new URL(target);
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`${prefix}/`)) {
      res.writeHead(404).end('not an ingress path');
      return;
    }
    const fwd = request(
      { host: t.hostname, port: t.port, method: req.method, path: url.slice(prefix.length), headers: { ...req.headers, 'x-ingress-path': prefix } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on('error', () => res.writeHead(502).end());
    req.pipe(fwd);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const url = (s: Server): string => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
const close = (s: Server | undefined): Promise<void> => new Promise((r) => (s ? s.close(() => r()) : r()));

describe('web UI in a real browser', () => {
  let store: Store;
  let controller: Controller;
  let base: string;
  let browser: Browser;
  let uploadFiles: string[];
  const servers: Server[] = [];

  before(async () => {
    const gen = await generateTakeout({ out: tmp.mkdir('gen'), format: 'zip', days: DAYS, endDate: END, seed: 21, timezone: TZ, partialDay: false });
    const up = await generateTakeout({
      out: tmp.mkdir('upload'),
      format: 'zip',
      parts: 2,
      days: UPLOAD_DAYS,
      endDate: UPLOAD_END,
      seed: 21,
      timezone: TZ,
      partialDay: false,
    });
    uploadFiles = up.files;
    const dbPath = tmp.dbPath();
    store = openStore(dbPath);
    await importTakeout({ paths: gen.files, account: 'alice', store, logger: silentLogger(), timezone: TZ });
    const config = webConfig(tmp, dbPath, TZ, { FITBIT_BRIDGE_TAKEOUT__DROP_FOLDER: tmp.mkdir('drop') });
    controller = new Controller({ config, store, logger: silentLogger(), version: 'test', sync: null });
    await controller.start();
    base = controller.http!.url()!;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    for (const s of servers) await close(s);
    await controller?.stop();
    store?.close();
  });

  /** The dates of the calendar's cells with data. (Strings: the test programs have no DOM types.) */
  function calendarDates(page: Page): Promise<string[]> {
    return page.evaluate<string[]>("[...document.querySelectorAll('#calendar a.cell')].map((e) => e.getAttribute('data-date'))");
  }

  /** Opens a page and waits until the route has rendered (no "Loading…", no failure). */
  /**
   * Goes to `href` and waits for `ready` on the NEW page: a hash change keeps the old page's
   * content until the router has the status, so `.chart canvas` of the day page would satisfy the
   * trends page's wait. The old content is marked first and must be gone.
   */
  async function open(page: Page, href: string, ready: string): Promise<void> {
    await page.evaluate("document.getElementById('main')?.firstElementChild?.setAttribute('data-old-page', '')");
    await page.goto(href);
    await page.waitForSelector('#main [data-old-page]', { state: 'detached', timeout: 20_000 });
    await page.waitForSelector(ready, { timeout: 20_000 });
  }

  test('every page loads without console errors; the charts draw', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors = collectErrors(page);
    await open(page, `${base}/`, 'section.account');
    assert.match(await page.textContent('section.account h2').then((t) => t ?? ''), /alice/);

    await open(page, `${base}/#/coverage/heart_rate`, '#calendar a.cell');
    await open(page, `${base}/#/day/${addDays(END, -1)}`, '.chart canvas');
    await page.waitForSelector('.chart[data-metric="sleep"], .chart.empty[data-metric="sleep"]');
    const day = await chartsDrawn(page);
    assert.ok(day.charts >= 3, `day view: ${day.charts} charts`);
    assert.equal(day.drawn, day.charts, 'every chart of the day view drew');
    // zoom: a drag across the heart-rate chart fetches that range again; "Whole day" goes back
    const over = await page.locator('.chart[data-metric="heart_rate"] .u-over').boundingBox();
    assert.ok(over, 'the heart-rate chart has a plotting area');
    await page.mouse.move(over.x + over.width * 0.4, over.y + over.height / 2);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.5, over.y + over.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForSelector('#zoom-out:not([disabled])');
    await page.waitForSelector('.chart[data-metric="heart_rate"] canvas');
    await page.click('#zoom-out');
    await page.waitForSelector('#zoom-out[disabled]');
    // previous day by its button
    await page.click('#prev');
    await page.waitForURL((u) => u.hash.startsWith(`#/day/${addDays(END, -2)}`));
    await page.waitForSelector('.chart canvas');

    await open(page, `${base}/#/trends`, '.chart canvas');
    const trends = await chartsDrawn(page);
    assert.equal(trends.charts, 4);
    assert.equal(trends.drawn, 4, 'every trend chart drew');

    await open(page, `${base}/#/upload`, '#dropzone');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the coverage calendar shows every imported day, each linking to its day', async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await open(page, `${base}/#/coverage/heart_rate`, '#calendar a.cell');
    const shown = await calendarDates(page);
    for (const d of dates(END, DAYS)) assert.ok(shown.includes(d), `calendar lacks ${d}: ${shown.join(', ')}`);
    await page.click(`#calendar a.cell[data-date="${END}"]`);
    await page.waitForURL((u) => u.hash.startsWith(`#/day/${END}`));
    await page.waitForSelector('.chart canvas');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('an archive in two parts uploaded through the page appears in the summary and in the coverage', async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await open(page, `${base}/#/upload`, '#dropzone');
    await page.setInputFiles('#files', uploadFiles);
    await page.click('#start');
    // (no waitForFunction: the page's CSP forbids the eval it polls with)
    await page.waitForSelector('#upload-state[data-state="done"], #upload-state[data-state="failed"]', { timeout: 60_000 });
    const state = (await page.textContent('#upload-state')) ?? '';
    assert.equal(state, 'Imported.', state);
    const added = Number(((await page.textContent('#samples-added')) ?? '').replace(/,/g, ''));
    assert.ok(added > 0, `samples added: ${added}`);
    assert.match((await page.textContent('#summary')) ?? '', /America\/New_York|UTC/);

    await open(page, `${base}/#/coverage/heart_rate`, '#calendar a.cell');
    const shown = await calendarDates(page);
    for (const d of dates(UPLOAD_END, UPLOAD_DAYS)) assert.ok(shown.includes(d), `calendar lacks the uploaded ${d}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('behind an ingress proxy: pages, assets, API and a POST work under the prefix', async () => {
    const proxy = await ingressProxy(base, 'tok123');
    servers.push(proxy);
    const page = await browser.newPage();
    const errors = collectErrors(page);
    const root = `${url(proxy)}/api/hassio_ingress/tok123/`;
    await open(page, root, 'section.account');
    await open(page, `${root}#/day/${END}`, '.chart canvas');
    const day = await chartsDrawn(page);
    assert.equal(day.drawn, day.charts);
    await open(page, `${root}#/coverage/heart_rate`, '#calendar a.cell');
    // every asset and API call went through the prefix: the page's <base> is the ingress path
    assert.equal(await page.evaluate('document.baseURI'), root);
    const status = await page.evaluate(`(async () => {
      const s = await (await fetch('api/status')).json();
      const r = await fetch('api/uploads', { method: 'POST', headers: { 'x-csrf-token': s.csrf } });
      return r.status;
    })()`);
    assert.equal(status, 201);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("a cross-site POST from another origin's page is refused", async () => {
    const csrf = ((await (await fetch(`${base}/api/status`)).json()) as { csrf: string }).csrf;
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      // even with the right token (which a cross-site page cannot read), the Origin is not the bridge's
      res.end(
        `<form id="f" method="post" action="${base}/api/uploads"><input name="csrf" value="${csrf}"></form>` +
          '<script>document.getElementById("f").submit()</script>',
      );
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    servers.push(evil);
    const page = await browser.newPage();
    await page.goto(`${url(evil)}/`);
    await page.waitForURL(`${base}/api/uploads`);
    const text = (await page.textContent('body')) ?? '';
    assert.match(text, /forbidden: cross-site request refused/);
    await page.close();
  });
});
