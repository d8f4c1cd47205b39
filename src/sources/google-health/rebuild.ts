/**
 * `rebuild`: re-derives samples and sessions from the raw API pages the sync kept
 * (sync.keep_raw_pages), without downloading anything. Pages are replayed in the order they were
 * fetched, each with its fetch time as `exportMs` and the zone it was mapped with, through the
 * same mapping and write path as the sync — so the result equals what the sync wrote, and a
 * mapping fixed in a newer version applies to the whole history. One transaction per page.
 *
 * Into the same store (default) values are merged (a rebuilt value replaces the one written at
 * the same fetch time); into another store (`target`) it reproduces the API-derived data alone.
 */
import { errText } from '../../errors.js';
import type { Store } from '../../store/types.js';
import { failpoint } from '../../util/failpoints.js';
import type { Logger } from '../../util/log.js';
import { zoneNamed } from '../../time/index.js';
import { applyPage, roundedOf } from './apply.js';
import { dataType, isDataType } from './datatypes.js';
import { mapPage } from './mapping.js';
import type { PageRequest } from './requests.js';

export interface RebuildOptions {
  /** Holds the raw pages. */
  store: Store;
  account: string;
  /** Where samples and sessions go; default `store`. */
  target?: Store;
  /** Only these data types. */
  types?: string[];
  logger?: Logger;
  onProgress?: (p: { done: number; total: number; type: string }) => void;
}

export interface RebuildReport {
  pages: number;
  /** Pages that could not be read (damaged request or body, unknown data type): skipped. */
  failed: number;
  added: number;
  changed: number;
  sessions: number;
  skipped: number;
  types: Record<string, { pages: number; added: number; changed: number; sessions: number }>;
  warnings: string[];
}

export async function rebuildAccount(opts: RebuildOptions): Promise<RebuildReport> {
  const src = opts.store;
  const target = opts.target ?? src;
  const report: RebuildReport = { pages: 0, failed: 0, added: 0, changed: 0, sessions: 0, skipped: 0, types: {}, warnings: [] };
  const total = src.rawPageStats(opts.account).pages;
  const only = opts.types && opts.types.length ? new Set(opts.types) : null;
  let first = true;
  for (const page of src.rawPages(opts.account)) {
    if (only && !only.has(page.dataType)) continue;
    if (!first) failpoint('rebuild.between-pages');
    first = false;
    let req: PageRequest;
    let body: unknown;
    try {
      req = JSON.parse(page.request) as PageRequest;
      body = JSON.parse(page.body);
      if (!isDataType(page.dataType)) throw new Error(`unknown data type ${page.dataType}`);
    } catch (e) {
      report.failed++;
      const w = `${page.dataType}: raw page ${page.requestKey} not readable: ${errText(e)}; skipped`;
      opts.logger?.warn({ account: opts.account, dataType: page.dataType }, w);
      if (report.warnings.length < 50) report.warnings.push(w);
      continue;
    }
    const def = dataType(page.dataType);
    const tz = typeof req.tz === 'string' && req.tz ? req.tz : 'UTC';
    const zone = zoneNamed(tz);
    let mapped;
    try {
      const family = req.method === 'rollUp' ? req.body?.dataSourceFamily : undefined;
      mapped = mapPage(def, body, {
        account: opts.account,
        zone,
        page: `raw page ${(req.page ?? 0) + 1} of ${req.from}..${req.to}`,
        ...(typeof family === 'string' ? { family } : {}),
      });
    } catch (e) {
      report.failed++;
      if (report.warnings.length < 50) report.warnings.push(errText(e));
      continue;
    }
    const r = target.write(() => {
      const res = applyPage(target, opts.account, mapped, page.fetchedAt, { rounded: roundedOf(def) });
      failpoint('rebuild.tx-before-commit');
      return res;
    });
    report.pages++;
    report.added += r.added;
    report.changed += r.changed;
    report.sessions += r.sessions;
    report.skipped += mapped.skipped;
    for (const w of mapped.warnings) if (report.warnings.length < 50) report.warnings.push(w);
    const t = (report.types[def.id] ??= { pages: 0, added: 0, changed: 0, sessions: 0 });
    t.pages++;
    t.added += r.added;
    t.changed += r.changed;
    t.sessions += r.sessions;
    opts.onProgress?.({ done: report.pages + report.failed, total, type: def.id });
    // let signals and timers run between pages
    if ((report.pages & 63) === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return report;
}
