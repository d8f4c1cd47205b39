// @ts-check
// The web UI's single page: hash routes (#/, #/coverage/<metric>, #/day/<date>, #/trends,
// #/upload; `?account=<name>` picks the account), so every URL the page uses stays relative and
// the UI works unchanged under Home Assistant's ingress prefix.
import * as api from './api.js';
import { sweep } from './charts.js';
import { renderCoverage } from './coverage.js';
import { renderDay } from './day.js';
import { renderOverview } from './overview.js';
import { renderTrends } from './trends.js';
import { renderUpload } from './upload.js';
import { browserZone, h, note } from './util.js';

/**
 * What a page gets.
 * @typedef {{ status: api.Status, account: api.AccountInfo | null, zone: string, args: string[],
 *   query: URLSearchParams, go: (hash: string) => void, link: (path: string, q?: Record<string, string>) => string,
 *   signal: AbortSignal }} PageContext
 * @typedef {(main: HTMLElement, ctx: PageContext) => Promise<void | (() => void)>} Page
 */

/** @type {Record<string, Page>} */
const PAGES = { '': renderOverview, coverage: renderCoverage, day: renderDay, trends: renderTrends, upload: renderUpload };

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const accountSelect = /** @type {HTMLSelectElement} */ (document.getElementById('account'));
/** @type {(() => void) | null} */
let cleanup = null;
/** @type {AbortController | null} */
let aborter = null;
let generation = 0;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path = '', qs = ''] = raw.split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] ?? '', args: parts.slice(1), query: new URLSearchParams(qs) };
}

/** @param {string} path @param {Record<string, string>} [q] */
function link(path, q = {}) {
  const query = new URLSearchParams(q);
  const account = accountSelect.value;
  if (account && !query.has('account')) query.set('account', account);
  const s = query.toString();
  return `#/${path.replace(/^\/+/, '')}${s ? `?${s}` : ''}`;
}

async function route() {
  const gen = ++generation;
  cleanup?.();
  cleanup = null;
  aborter?.abort();
  aborter = new AbortController();
  const { page, args, query } = parseHash();
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.getAttribute('data-page') === (page || 'overview'));
  const render = PAGES[page];
  /** @type {api.Status} */
  let status;
  try {
    status = await api.status();
  } catch (e) {
    main.replaceChildren(note(`The bridge did not answer: ${e instanceof Error ? e.message : String(e)}`, 'bad'));
    return;
  }
  if (gen !== generation) return;
  fillAccounts(status, query.get('account'));
  const account = status.accounts.find((a) => a.name === accountSelect.value) ?? null;
  const zone = account?.timezone ?? browserZone;
  main.replaceChildren();
  sweep();
  if (!render) {
    main.append(note(`No page "${page}".`, 'bad'), h('p', {}, h('a', { href: '#/' }, 'Overview')));
    return;
  }
  try {
    const c = await render(main, {
      status,
      account,
      zone,
      args,
      query,
      go: (hash) => {
        location.hash = hash;
      },
      link,
      signal: aborter.signal,
    });
    if (gen !== generation) c?.();
    else cleanup = c ?? null;
  } catch (e) {
    if (gen !== generation || (e instanceof DOMException && e.name === 'AbortError')) return;
    main.append(note(`This page failed: ${e instanceof Error ? e.message : String(e)}`, 'bad'));
  }
}

/** @param {api.Status} status @param {string | null} wanted */
function fillAccounts(status, wanted) {
  const names = status.accounts.map((a) => a.name);
  const pick = wanted && names.includes(wanted) ? wanted : names.includes(accountSelect.value) ? accountSelect.value : (names[0] ?? '');
  if ([...accountSelect.options].map((o) => o.value).join('\n') !== names.join('\n'))
    accountSelect.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
  accountSelect.value = pick;
  accountSelect.disabled = names.length < 2;
}

accountSelect.addEventListener('change', () => {
  const { page, args } = parseHash();
  location.hash = link([page, ...args.map(encodeURIComponent)].join('/'), { account: accountSelect.value });
});
window.addEventListener('hashchange', () => void route());
void route();
