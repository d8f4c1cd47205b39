/**
 * A content digest of a store: equal digests mean the same samples and sessions, whatever order
 * they were written in, whatever ids, change sequence numbers or block layout the store used.
 *
 * Covered: every series with at least one sample — (account, metric, source) and its samples
 * (t, offset, v as exact float64) in instant order — and every session of every layer
 * (resolve: false) with all its fields except `id` and `seq`; `details` is serialised with sorted
 * keys. Not covered: empty series (a series whose samples were all removed is the same content as
 * no series), accounts, key/value state, the change sequence.
 */
import { createHash, type Hash } from 'node:crypto';
import type { SessionKind } from '../metrics/registry.js';
import type { SeriesKey, StoredSession, Store } from './types.js';

const SESSION_KINDS: readonly SessionKind[] = ['sleep', 'exercise'];

/** JSON with object keys sorted (stable for equal content). */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sessionText(s: StoredSession): string {
  const { id: _id, seq: _seq, ...rest } = s;
  return canonical({ ...rest, externalId: rest.externalId ?? null, mainSleep: rest.mainSleep ?? null });
}

function hashSamples(h: Hash, store: Store, key: SeriesKey): number {
  const buf = Buffer.alloc(24);
  let n = 0;
  let header = false;
  for (const s of store.iterateSamples(key)) {
    if (!header) {
      h.update(`series\u0000${key.account}\u0000${key.metric}\u0000${key.source}\u0000`);
      header = true;
    }
    buf.writeDoubleLE(s.t, 0);
    buf.writeDoubleLE(s.offset, 8);
    buf.writeDoubleLE(s.v, 16);
    h.update(buf);
    n++;
  }
  if (header) h.update(`\u0000end ${n}\u0000`);
  return n;
}

/** sha256 (hex) over the store's samples and sessions; see the module comment for what counts. */
export function storeDigest(store: Store): string {
  const h = createHash('sha256');
  const series = store.listSeries().sort((a, b) => cmp(a.account, b.account) || cmp(a.metric, b.metric) || cmp(a.source, b.source));
  for (const s of series) hashSamples(h, store, { account: s.account, metric: s.metric, source: s.source });
  const accounts = new Set<string>(store.accounts().map((a) => a.name));
  for (const s of series) accounts.add(s.account);
  for (const account of [...accounts].sort(cmp)) {
    for (const kind of SESSION_KINDS) {
      const texts = store.sessions(account, kind, -Infinity, Infinity, { resolve: false }).map(sessionText).sort(cmp);
      if (!texts.length) continue;
      h.update(`sessions\u0000${account}\u0000${kind}\u0000${texts.length}\u0000`);
      for (const t of texts) h.update(`${t}\n`);
    }
  }
  return h.digest('hex');
}
