/**
 * Fault injection for the Google emulator, and its request counters.
 *
 * A `FaultPlan` is consulted by the server (server.ts) for every request before anything else
 * (before the bearer check and the quota: a faulted request consumes no quota). The first
 * planned fault whose `match` fits and whose `after` requests have passed fires, `times` times
 * (default 1; `Infinity` or -1: every matching request); then the seeded random faults, if any.
 * Kinds:
 * - `429`: the quota body (errors.ts) with `Retry-After: retryAfterSec` (default 1; null: no header);
 * - `500` / `503`: Google's INTERNAL / UNAVAILABLE bodies;
 * - `timeout`: never answers; the socket stays open until the client gives up (or the emulator closes);
 * - `truncated`: the real answer's headers (with its full Content-Length) and the first half of its
 *   body, then the socket is destroyed;
 * - `revoke`: revokes every OAuth grant, then serves the request, which now fails the bearer check
 *   (401); later calls 401, refresh → 400 invalid_grant;
 * - `account-not-linked`: the reference's ACCOUNT_NOT_LINKED body (400 FAILED_PRECONDITION), verbatim;
 * - `html-404`: Google's HTML 404 page.
 * `match.path`: a RegExp tested against the path (no query), or a string the path must contain;
 * without `path`, only API paths (`/v4/…`, `/v4beta/…`) match. `match.method`: e.g. 'POST'.
 *
 * `RequestStats` counts answered requests per `METHOD path` and outcome (the HTTP status, or
 * `timeout`, `truncated`, `aborted`).
 */

import { mulberry32 } from '../synthetic/prng.js';

export const FAULT_KINDS = ['429', '500', '503', 'timeout', 'truncated', 'revoke', 'account-not-linked', 'html-404'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultMatch {
  path?: RegExp | string;
  method?: string;
}

export interface FaultSpec {
  kind: FaultKind;
  /** How many matching requests it hits (default 1; Infinity or -1 = all). */
  times?: number;
  /** Let this many matching requests through first (default 0). */
  after?: number;
  match?: FaultMatch;
  /** 429 only: Retry-After seconds (default 1); null sends no Retry-After. */
  retryAfterSec?: number | null;
}

export interface Fault {
  id: number;
  kind: FaultKind;
  times: number;
  after: number;
  match: FaultMatch;
  retryAfterSec: number | null;
  /** Matching requests seen / faults fired so far. */
  seen: number;
  fired: number;
}

export interface RandomFaultSpec {
  /** Probability per matching request, 0..1. */
  rate: number;
  seed?: number;
  /** Default: 429, 500, 503, truncated. */
  kinds?: FaultKind[];
  match?: FaultMatch;
}

/** What the server must do with one request. */
export interface FaultAction {
  kind: FaultKind;
  retryAfterSec: number | null;
  /** Plan entry id, or 0 for a random fault. */
  id: number;
}

function fits(m: FaultMatch, method: string, path: string): boolean {
  if (m.method !== undefined && m.method.toUpperCase() !== method.toUpperCase()) return false;
  if (m.path === undefined) return path.startsWith('/v4/') || path.startsWith('/v4beta/');
  return typeof m.path === 'string' ? path.includes(m.path) : m.path.test(path);
}

export class FaultPlan {
  private readonly faults: Fault[] = [];
  private nextId = 1;
  private rnd: { spec: Required<Omit<RandomFaultSpec, 'match'>> & { match: FaultMatch }; next: () => number } | null = null;
  /** Faults fired per kind. */
  readonly fired: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;

  add(spec: FaultSpec): Fault {
    if (!FAULT_KINDS.includes(spec.kind)) throw new Error(`unknown fault kind "${String(spec.kind)}" (known: ${FAULT_KINDS.join(', ')})`);
    const times = spec.times === undefined ? 1 : spec.times < 0 ? Infinity : spec.times;
    const f: Fault = {
      id: this.nextId++,
      kind: spec.kind,
      times,
      after: spec.after ?? 0,
      match: spec.match ?? {},
      retryAfterSec: spec.retryAfterSec === undefined ? 1 : spec.retryAfterSec,
      seen: 0,
      fired: 0,
    };
    this.faults.push(f);
    return f;
  }

  remove(id: number): boolean {
    const i = this.faults.findIndex((f) => f.id === id);
    if (i < 0) return false;
    this.faults.splice(i, 1);
    return true;
  }

  /** Removes every planned fault and the random faults. */
  clear(): void {
    this.faults.length = 0;
    this.rnd = null;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** Seeded random faults at `rate` (null: off). */
  random(spec: RandomFaultSpec | null): void {
    if (spec === null) {
      this.rnd = null;
      return;
    }
    if (!(spec.rate >= 0 && spec.rate <= 1)) throw new Error(`fault rate must be within 0..1, not ${spec.rate}`);
    const kinds = spec.kinds ?? ['429', '500', '503', 'truncated'];
    for (const k of kinds) if (!FAULT_KINDS.includes(k)) throw new Error(`unknown fault kind "${String(k)}"`);
    const seed = spec.seed ?? 1;
    this.rnd = { spec: { rate: spec.rate, seed, kinds, match: spec.match ?? {} }, next: mulberry32(seed) };
  }

  /** The fault for this request, or null (counts seen / fired). */
  take(method: string, path: string): FaultAction | null {
    for (const f of this.faults) {
      if (f.fired >= f.times || !fits(f.match, method, path)) continue;
      f.seen++;
      if (f.seen <= f.after) continue;
      f.fired++;
      this.fired[f.kind]++;
      return { kind: f.kind, retryAfterSec: f.retryAfterSec, id: f.id };
    }
    const r = this.rnd;
    if (r && fits(r.spec.match, method, path) && r.next() < r.spec.rate) {
      const kind = r.spec.kinds[Math.floor(r.next() * r.spec.kinds.length)] as FaultKind;
      this.fired[kind]++;
      return { kind, retryAfterSec: 1, id: 0 };
    }
    return null;
  }
}

/** A FaultSpec from JSON (the control surface): `match.path` a substring, `match.pathRegex` a RegExp source. */
export function faultSpecFromJson(o: unknown): FaultSpec {
  if (typeof o !== 'object' || o === null) throw new Error('expected a JSON object');
  const j = o as Record<string, unknown>;
  const kind = String(j.kind) as FaultKind;
  if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind "${String(j.kind)}" (known: ${FAULT_KINDS.join(', ')})`);
  const spec: FaultSpec = { kind };
  if (j.times !== undefined) spec.times = j.times === null ? Infinity : Number(j.times);
  if (j.after !== undefined) spec.after = Number(j.after);
  if (j.retryAfterSec !== undefined) spec.retryAfterSec = j.retryAfterSec === null ? null : Number(j.retryAfterSec);
  if (j.match !== undefined) {
    const m = j.match as Record<string, unknown>;
    spec.match = {};
    if (typeof m.path === 'string') spec.match.path = m.path;
    if (typeof m.pathRegex === 'string') spec.match.path = new RegExp(m.pathRegex);
    if (typeof m.method === 'string') spec.match.method = m.method;
  }
  return spec;
}

/** A Fault as JSON (RegExp → its source). */
export function faultToJson(f: Fault): Record<string, unknown> {
  const match: Record<string, unknown> = {};
  if (typeof f.match.path === 'string') match.path = f.match.path;
  else if (f.match.path) match.pathRegex = f.match.path.source;
  if (f.match.method) match.method = f.match.method;
  return { ...f, times: Number.isFinite(f.times) ? f.times : -1, match };
}

export type RequestCounts = Record<string, Record<string, number>>;

export class RequestStats {
  private counts: RequestCounts = {};
  private total = 0;

  record(method: string, path: string, outcome: string): void {
    const key = `${method} ${path}`;
    const m = (this.counts[key] ??= {});
    m[outcome] = (m[outcome] ?? 0) + 1;
    this.total++;
  }

  /** Copy of the counters: `{ "GET /v4/users/me/dataTypes/steps/dataPoints": { "200": 3, "429": 1 } }`. */
  snapshot(): { total: number; requests: RequestCounts } {
    return { total: this.total, requests: JSON.parse(JSON.stringify(this.counts)) as RequestCounts };
  }

  /** Count of one outcome over every path (e.g. `count('429')`), or of every outcome of paths containing `pathPart`. */
  count(outcome?: string, pathPart?: string): number {
    let n = 0;
    for (const [k, m] of Object.entries(this.counts)) {
      if (pathPart !== undefined && !k.includes(pathPart)) continue;
      for (const [o, c] of Object.entries(m)) if (outcome === undefined || o === outcome) n += c;
    }
    return n;
  }

  reset(): void {
    this.counts = {};
    this.total = 0;
  }
}
