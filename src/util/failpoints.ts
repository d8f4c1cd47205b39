/**
 * Failpoints: named places where a test can make the process die as if it had been SIGKILLed.
 *
 * `FITBIT_BRIDGE_FAILPOINT=<name>` kills the process (SIGKILL, no cleanup, no flush) the first time
 * `failpoint('<name>')` runs; `<name>:<N>` kills at the N-th hit (1-based). Several specs may be
 * given separated by commas. Unset (production) the call is one comparison against null.
 *
 * `FITBIT_BRIDGE_FAILPOINT_LOG=<file>` (tests) appends the name of every failpoint reached, one per
 * line, so a test can list the failpoints a clean run passes through.
 */
import { appendFileSync } from 'node:fs';

/** Every seeded failpoint, for documentation and for the tests that kill at each of them. */
export const FAILPOINTS = [
  // auth
  'token.before-rename', // temp token file written and fsynced, not yet renamed over the old one
  'token.after-rename', // new token file in place, directory not yet fsynced
  // sync engine: account and type level
  'sync.start', // before the first request of the account
  'sync.before-type', // before the first request of a data type
  'sync.between-types', // after a type finished, before the next one
  'sync.end', // everything done, before the report
  // one request / page
  'sync.before-request', // the request is planned, not yet sent
  'sync.after-request', // the response is in memory, nothing of it written
  'sync.after-map', // the page is mapped to samples/sessions, no transaction yet
  'sync.tx-begin', // inside the page's transaction, nothing written yet
  'sync.tx-after-raw-page', // raw page written inside the transaction
  'sync.tx-after-samples', // samples written inside the transaction
  'sync.tx-after-sessions', // sessions written inside the transaction
  'sync.tx-before-commit', // coverage written, transaction not yet committed
  'sync.after-commit', // the page's transaction committed
  'sync.between-pages', // before the request of the next page of the same window
  'sync.between-windows', // a window is complete, before the next window
  // backfill
  'sync.before-probe', // an empty backfill window: before asking for the next older point
  'sync.after-probe', // the probe answered, the coverage jump not yet committed
  // filter fallback (sleep)
  'sync.filter-fallback', // the sleep filter member was refused, the alternative not yet remembered
  // raw page storage
  'rawpage.mid-write', // inside the transaction, between compressing and inserting the raw page
  // rebuild
  'rebuild.between-pages', // rebuild: between two raw pages
  'rebuild.tx-before-commit', // rebuild: inside a page's transaction before commit
] as const;

export type FailpointName = (typeof FAILPOINTS)[number];

interface Armed {
  name: string;
  at: number;
}

function parseSpec(spec: string | undefined): Armed[] | null {
  if (spec === undefined || spec.trim() === '') return null;
  const out: Armed[] = [];
  for (const part of spec.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^([A-Za-z0-9._-]+)(?::(\d+))?$/.exec(p);
    if (!m) throw new Error(`FITBIT_BRIDGE_FAILPOINT: expected <name> or <name>:<N>, got ${JSON.stringify(p)}`);
    out.push({ name: m[1] as string, at: m[2] === undefined ? 1 : Math.max(1, Number(m[2])) });
  }
  return out.length ? out : null;
}

let armed: Armed[] | null = parseSpec(process.env.FITBIT_BRIDGE_FAILPOINT);
let logFile: string | null = process.env.FITBIT_BRIDGE_FAILPOINT_LOG || null;
const hits = new Map<string, number>();

/** Dies (SIGKILL) here when the environment armed this failpoint; otherwise does nothing. */
export function failpoint(name: FailpointName): void {
  if (armed === null && logFile === null) return;
  if (logFile !== null) {
    try {
      appendFileSync(logFile, `${name}\n`);
    } catch {
      /* a test aid only */
    }
  }
  if (armed === null) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  for (const a of armed) {
    if (a.name === name && a.at === n) {
      process.kill(process.pid, 'SIGKILL');
      // SIGKILL is delivered asynchronously on some platforms: never run past the failpoint.
      for (;;) {
        /* wait for the signal */
      }
    }
  }
}

/** Re-reads the environment (tests running in-process); returns the previous spec. */
export function setFailpoints(spec: string | undefined, log?: string | null): void {
  armed = parseSpec(spec);
  logFile = log ?? null;
  hits.clear();
}
