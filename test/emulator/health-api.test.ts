import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealthApi, type HealthApi, type HealthApiOptions } from '../../src/emulator/health-api.js';
import { SCHEMA_FIELDS, type DataPoint, type ListDataPointsResponse } from '../../src/sources/google-health/api-types.js';
import { syntheticDay, type Series } from '../../src/synthetic/model.js';
import { SCOPE_INSUFFICIENT_BODY } from '../support/google-errors.js';

const TZ = 'America/New_York';
const SEED = 7;
const FIRST = '2024-03-08';
const LAST = '2024-03-11';
const SCOPES = [
  'https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly',
  'https://www.googleapis.com/auth/googlehealth.health_metrics_and_measurements.readonly',
];
const HR = 'heart_rate.sample_time.physical_time';
const ST = 'steps.interval.start_time';
const STC = 'steps.interval.civil_start_time';

interface Harness {
  base: string;
  api: HealthApi;
  setNow(ms: number): void;
  close(): Promise<void>;
}

async function start(extra: Partial<HealthApiOptions> = {}, scopes = SCOPES): Promise<Harness> {
  let now = Date.UTC(2024, 2, 20, 12);
  // page layouts of past ranges: without the empty first page (its own tests: contract.test.ts)
  const api = createHealthApi({
    seed: SEED,
    timezone: TZ,
    firstDay: FIRST,
    lastDay: LAST,
    clock: () => now,
    ...extra,
    variant: { emptyPages: 'none', ...extra.variant },
  });
  const server: Server = createServer((req, res) => {
    api.handle(req, res, { accessToken: 'test-token', scopes }).then(
      (ok) => {
        if (!ok) {
          res.writeHead(404, { 'Content-Type': 'text/html; charset=UTF-8' });
          res.end('<!DOCTYPE html><html><title>Error 404 (Not Found)!!1</title></html>');
        }
      },
      (e: unknown) => {
        res.writeHead(500);
        res.end(String(e));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    api,
    setNow: (ms) => {
      now = ms;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function listUrl(h: Harness, type: string, q: Record<string, string | number>): string {
  const u = new URL(`${h.base}/v4/users/me/dataTypes/${type}/dataPoints`);
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, String(v));
  return u.toString();
}

async function getJson(url: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const r = await fetch(url);
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text) as unknown, headers: r.headers };
}

/** Every page of a list, in order. */
async function allPages(h: Harness, type: string, q: Record<string, string | number>): Promise<ListDataPointsResponse[]> {
  const pages: ListDataPointsResponse[] = [];
  let token = '';
  for (;;) {
    const { status, body } = await getJson(listUrl(h, type, token ? { ...q, pageToken: token } : q));
    assert.equal(status, 200, JSON.stringify(body));
    const page = body as ListDataPointsResponse;
    pages.push(page);
    if (!page.nextPageToken) return pages;
    token = page.nextPageToken;
  }
}

const day = (date: string) => syntheticDay({ seed: SEED, date, timezone: TZ });
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

function inRange(series: Series[], from: number, to: number): { n: number; sum: number } {
  let n = 0,
    sum = 0;
  for (const s of series)
    for (let i = 0; i < s.t.length; i++) {
      const t = s.t[i] as number;
      if (t >= from && t < to) {
        n++;
        sum += s.v[i] as number;
      }
    }
  return { n, sum };
}

/** Checks a value against the generated schema table (discovery field names and JSON types), and proto3 zero omission. */
function checkShape(value: unknown, schema: string, path: string): void {
  const fields = SCHEMA_FIELDS[schema];
  assert.ok(fields, `${path}: no schema ${schema}`);
  assert.equal(typeof value, 'object', path);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const spec = fields[k];
    assert.ok(spec, `${path}.${k} is not a field of ${schema}`);
    const at = `${path}.${k}`;
    if (spec.startsWith('array:ref:')) {
      assert.ok(Array.isArray(v) && v.length > 0, `${at}: empty lists are omitted`);
      (v as unknown[]).forEach((x, i) => checkShape(x, spec.slice(10), `${at}[${i}]`));
    } else if (spec.startsWith('ref:')) checkShape(v, spec.slice(4), at);
    else if (spec === 'string(int64)') {
      assert.equal(typeof v, 'string', `${at}: int64 as a JSON string`);
      assert.match(v as string, /^-?[1-9]\d*$/, `${at}: non-zero integer string`);
    } else if (spec.startsWith('integer')) {
      assert.ok(Number.isInteger(v) && v !== 0, `${at}: non-zero integer`);
    } else if (spec === 'string(google-datetime)') assert.match(v as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, at);
    else if (spec === 'string(google-duration)') assert.match(v as string, /^-?\d+s$/, at);
    else assert.ok(typeof v === 'string' && v !== '', `${at}: non-empty string`);
  }
}

// ---- error bodies --------------------------------------------------------------------------------

function filterError(reason: string, description: string): unknown {
  return {
    error: {
      code: 400,
      message: `Invalid data point filter: ${reason}.`,
      status: 'INVALID_ARGUMENT',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'INVALID_DATA_POINT_FILTER',
          domain: 'health.googleapis.com',
          metadata: { detailedReasons: reason },
        },
        { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'filter', description }] },
      ],
    },
  };
}

test('filters: accepted and rejected (table)', async () => {
  const h = await start();
  try {
    const d9 = day('2024-03-09');
    const hrFrom = d9.start + 5 * 3_600_000,
      hrTo = hrFrom + 3_600_000;
    const civilDay = inRange(d9.steps, d9.start, d9.end);
    const d9Afternoon = d9.start + 12 * 3_600_000; // no DST on 03-09
    const accepted: { name: string; type: string; filter: string; expect: { n: number; sum: number } }[] = [
      {
        name: 'heart rate, both bounds',
        type: 'heart-rate',
        filter: `${HR} >= "${iso(hrFrom)}" AND ${HR} < "${iso(hrTo)}"`,
        expect: inRange([d9.heartRate], hrFrom, hrTo),
      },
      {
        name: 'heart rate, numeric offset',
        type: 'heart-rate',
        filter: `${HR} >= "${iso(hrFrom).replace('Z', '+00:00')}" AND ${HR} < "${iso(hrTo - 5 * 3_600_000).replace('Z', '-05:00')}"`,
        expect: inRange([d9.heartRate], hrFrom, hrTo),
      },
      {
        name: 'heart rate, civil time',
        type: 'heart-rate',
        filter: 'heart_rate.sample_time.civil_time >= "2024-03-09T00:00:00" AND heart_rate.sample_time.civil_time < "2024-03-09T01:00"',
        expect: inRange([d9.heartRate], d9.start, d9.start + 3_600_000),
      },
      { name: 'steps, civil dates', type: 'steps', filter: `${STC} >= "2024-03-09" AND ${STC} < "2024-03-10"`, expect: civilDay },
      { name: 'steps, physical day, no spaces', type: 'steps', filter: `${ST}>="${iso(d9.start)}"AND ${ST}<"${iso(d9.end)}"`, expect: civilDay },
      { name: 'steps, lower bound only', type: 'steps', filter: `${ST} >= "${iso(day(LAST).start)}"`, expect: inRange(day(LAST).steps, 0, Infinity) },
      { name: 'steps, upper bound only', type: 'steps', filter: `${STC} < "2024-03-09"`, expect: inRange(day(FIRST).steps, 0, Infinity) },
      {
        name: 'distance, civil date-time',
        type: 'distance',
        filter: `distance.interval.civil_start_time >= "2024-03-09T12:00:00" AND distance.interval.civil_start_time < "2024-03-10"`,
        expect: inRange(d9.distance, d9Afternoon, d9.end),
      },
      { name: 'empty range', type: 'steps', filter: `${ST} >= "2030-01-01T00:00:00Z"`, expect: { n: 0, sum: 0 } },
    ];
    for (const c of accepted) {
      const pages = await allPages(h, c.type, { filter: c.filter, pageSize: 10000, prettyPrint: 'false' });
      const pts = pages.flatMap((p) => p.dataPoints ?? []);
      const val = (p: DataPoint) => Number(p.heartRate?.beatsPerMinute ?? p.steps?.count ?? p.distance?.millimeters);
      assert.equal(pts.length, c.expect.n, c.name);
      const sum = pts.reduce((s, p) => s + val(p), 0);
      const want = c.type === 'distance' ? Math.round(c.expect.sum * 1000) : c.expect.sum;
      assert.ok(Math.abs(sum - want) < 1e-6, `${c.name}: sum ${sum} != ${want}`);
    }

    const T = '"2024-03-09T00:00:00Z"';
    const rejected: { name: string; type: string; filter: string; body: unknown }[] = [
      {
        name: 'the reference example, verbatim',
        type: 'steps',
        filter: `steps.interval.civil_end_time >= "2024-03-09"`,
        body: filterError(
          'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER',
          "Member 'steps.interval.civil_end_time' is not supported for filtering. (at line 1, column 1)",
        ),
      },
      {
        name: 'hyphenated type name',
        type: 'heart-rate',
        filter: `heart-rate.sample_time.physical_time >= ${T}`,
        body: filterError(
          'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER',
          "Member 'heart-rate.sample_time.physical_time' is not supported for filtering. (at line 1, column 1)",
        ),
      },
      {
        name: 'unknown member in the second term',
        type: 'steps',
        filter: `${ST} >= ${T} AND steps.interval.end_time < ${T}`,
        body: filterError(
          'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER',
          "Member 'steps.interval.end_time' is not supported for filtering. (at line 1, column 57)",
        ),
      },
      {
        name: "another type's member",
        type: 'heart-rate',
        filter: `${ST} >= ${T}`,
        body: filterError(
          'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER',
          "Member 'steps.interval.start_time' is not supported for filtering. (at line 1, column 1)",
        ),
      },
      ...(['>', '<=', '='] as const).map((op) => ({
        name: `operator ${op}`,
        type: 'steps',
        filter: `${ST} ${op} ${T}`,
        body: filterError('INVALID_DATA_POINT_FILTER_OPERATOR', `Operator '${op}' is not supported for filtering; use '>=' or '<'. (at line 1, column 27)`),
      })),
      {
        name: 'date for a physical member',
        type: 'steps',
        filter: `${ST} >= "2024-03-09"`,
        body: filterError(
          'INVALID_DATA_POINT_FILTER_VALUE',
          `Invalid value "2024-03-09" for member '${ST}': expected an RFC 3339 timestamp such as "2023-11-24T00:00:00Z". (at line 1, column 30)`,
        ),
      },
      {
        name: 'zone on a civil member',
        type: 'steps',
        filter: `${STC} >= ${T}`,
        body: filterError(
          'INVALID_DATA_POINT_FILTER_VALUE',
          `Invalid value "2024-03-09T00:00:00Z" for member '${STC}': expected a civil date or date-time such as "2023-11-24" or "2023-11-24T12:34:56". (at line 1, column 36)`,
        ),
      },
      {
        name: 'unquoted value',
        type: 'steps',
        filter: `${ST} >= 2024-03-09T00:00:00Z`,
        body: filterError('INVALID_DATA_POINT_FILTER_SYNTAX', "Unexpected '2024-03-09T00:00:00Z', expected a quoted value. (at line 1, column 30)"),
      },
      {
        name: 'OR outside sleep',
        type: 'steps',
        filter: `${ST} >= ${T} OR ${ST} < ${T}`,
        body: filterError('INVALID_DATA_POINT_FILTER_SYNTAX', "Unexpected 'OR', expected 'AND' or the end of the filter. (at line 1, column 53)"),
      },
      {
        name: 'dangling AND',
        type: 'steps',
        filter: `${ST} >= ${T} AND`,
        body: filterError(
          'INVALID_DATA_POINT_FILTER_SYNTAX',
          "Unexpected end of filter, expected a member such as 'steps.interval.start_time'. (at line 1, column 56)",
        ),
      },
    ];
    for (const c of rejected) {
      const { status, body } = await getJson(listUrl(h, c.type, { filter: c.filter }));
      assert.equal(status, 400, c.name);
      assert.deepEqual(body, c.body, c.name);
    }
  } finally {
    await h.close();
  }
});

test('paging a whole day of heart rate returns exactly the truth, newest first', async () => {
  const h = await start();
  try {
    const d = day('2024-03-10'); // DST day: 23 local hours
    const filter = `${HR} >= "${iso(d.start)}" AND ${HR} < "${iso(d.end)}"`;
    const pages = await allPages(h, 'heart-rate', { filter, pageSize: 7000, prettyPrint: 'false' });
    const pts = pages.flatMap((p) => p.dataPoints ?? []);
    const hr = d.heartRate;
    assert.ok(pages.length >= 3);
    assert.equal(pts.length, hr.t.length);
    const times = pts.map((p) => Date.parse(p.heartRate?.sampleTime?.physicalTime ?? ''));
    assert.equal(times[0], hr.t[hr.t.length - 1], 'newest first');
    assert.equal(times[times.length - 1], hr.t[0]);
    for (let i = 1; i < times.length; i++) assert.ok((times[i] as number) < (times[i - 1] as number), 'strictly descending');
    assert.equal(
      pts.reduce((s, p) => s + Number(p.heartRate?.beatsPerMinute), 0),
      hr.v.reduce((a, b) => a + b, 0),
    );
    // sample for sample: instant, value, offset, civil time
    for (let i = 0; i < pts.length; i++) {
      const k = hr.t.length - 1 - i;
      const p = pts[i] as DataPoint;
      const t = hr.t[k] as number,
        off = hr.offset[k] as number;
      assert.equal(p.heartRate?.beatsPerMinute, String(hr.v[k]));
      assert.equal(p.heartRate?.sampleTime?.utcOffset, `${off * 60}s`);
      const c = new Date(t + off * 60_000);
      assert.deepEqual(p.heartRate?.sampleTime?.civilTime?.date, { year: c.getUTCFullYear(), month: c.getUTCMonth() + 1, day: c.getUTCDate() });
      assert.equal(p.heartRate?.sampleTime?.civilTime?.time?.hours ?? 0, c.getUTCHours());
      assert.equal(p.heartRate?.sampleTime?.civilTime?.time?.seconds ?? 0, c.getUTCSeconds());
    }
    assert.ok(pts.some((p) => p.heartRate?.sampleTime?.utcOffset === '-18000s') && pts.some((p) => p.heartRate?.sampleTime?.utcOffset === '-14400s'));
    for (const [i, p] of pts.entries()) if (i % 97 === 0) checkShape(p, 'DataPoint', `dataPoints[${i}]`);
    assert.deepEqual(pts[0]?.dataSource, {
      recordingMethod: 'PASSIVELY_MEASURED',
      platform: 'FITBIT',
      device: { displayName: 'Inspire 3', formFactor: 'FITNESS_BAND' }, // the named-tracker shape seen live (Pixel Watch)
    });
    assert.deepEqual(Object.keys(pts[0] ?? {}).sort(), ['dataSource', 'heartRate']);

    // heart rate's default page size (observed live) is 50; the docs' 1440 for other types
    const first = (await getJson(listUrl(h, 'heart-rate', { filter }))).body as ListDataPointsResponse;
    assert.equal(first.dataPoints?.length, 50);
    assert.ok(first.nextPageToken);
  } finally {
    await h.close();
  }
  const long = await start({ lastDay: '2024-03-17' }); // > 1440 step points in all
  try {
    for (const q of [{}, { pageSize: 0 }] as Record<string, number>[]) {
      const steps = (await getJson(listUrl(long, 'steps', q))).body as ListDataPointsResponse;
      assert.equal(steps.dataPoints?.length, 1440);
      assert.ok(steps.nextPageToken);
    }
  } finally {
    await long.close();
  }
});

test('steps and distance: per-source truth, string int64s, interval shape, no zero fields', async () => {
  const h = await start();
  try {
    const d = day('2024-03-09');
    for (const type of ['steps', 'distance'] as const) {
      const pages = await allPages(h, type, {
        filter: `${type}.interval.civil_start_time >= "2024-03-09" AND ${type}.interval.civil_start_time < "2024-03-10"`,
      });
      const pts = pages.flatMap((p) => p.dataPoints ?? []);
      const truth = type === 'steps' ? d.steps : d.distance;
      for (const s of truth) {
        const mine = pts.filter((p) => p.dataSource?.device?.displayName === s.source);
        assert.equal(mine.length, s.t.length, `${type} ${s.source}`);
        const got = mine.reduce((a, p) => a + Number(type === 'steps' ? p.steps?.count : p.distance?.millimeters), 0);
        const want = s.v.reduce((a, b) => a + (type === 'steps' ? b : Math.round(b * 1000)), 0);
        assert.equal(got, want, `${type} ${s.source} sum`);
      }
      assert.ok(
        truth.every((s) => s.v.every((v) => v > 0)),
        'the truth has no zero rows',
      );
      for (const [i, p] of pts.entries()) {
        checkShape(p, 'DataPoint', `${type}[${i}]`);
        assert.equal(p.dataSource?.platform, 'FITBIT');
      }
      const p = pts[pts.length - 1] as DataPoint;
      const iv = (type === 'steps' ? p.steps?.interval : p.distance?.interval) ?? {};
      const t = (type === 'steps' ? d.steps : d.distance).reduce((m, s) => Math.min(m, s.t[0] ?? Infinity), Infinity);
      assert.equal(iv.startTime, iso(t));
      assert.equal(iv.endTime, iso(t + 60_000));
      assert.equal(iv.startUtcOffset, '-18000s');
      assert.equal(iv.endUtcOffset, '-18000s');
      const c = new Date(t - 5 * 3_600_000);
      assert.deepEqual(iv.civilStartTime?.date, { year: 2024, month: 3, day: 9 });
      assert.deepEqual(iv.civilStartTime?.time, {
        ...(c.getUTCHours() ? { hours: c.getUTCHours() } : {}),
        ...(c.getUTCMinutes() ? { minutes: c.getUTCMinutes() } : {}),
      });
      const raw = JSON.stringify(pages);
      assert.match(raw, type === 'steps' ? /"count":"[1-9]\d*"/ : /"millimeters":"[1-9]\d*"/);
      assert.doesNotMatch(raw, /:0[,}]|:"0"|"seconds":0|"nanos":0|\[\]/);
    }
  } finally {
    await h.close();
  }
});

test('page boundaries: bare {} last page, truncation at 10000, tokens bound to the filter', async () => {
  const h = await start();
  try {
    const filter = `${STC} >= "2024-03-09" AND ${STC} < "2024-03-10"`;
    const n = inRange(day('2024-03-09').steps, 0, Infinity).n;
    const one = await getJson(listUrl(h, 'steps', { filter, pageSize: n }));
    const page1 = one.body as ListDataPointsResponse;
    assert.equal(page1.dataPoints?.length, n);
    assert.ok(page1.nextPageToken, 'a full page always carries a token');
    const r2 = await fetch(listUrl(h, 'steps', { filter, pageSize: n, pageToken: page1.nextPageToken ?? '' }));
    assert.equal(r2.status, 200);
    assert.match(r2.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(await r2.text()), {});
    // the same filter through smaller pages ends on a partial page without a token
    const pages = await allPages(h, 'steps', { filter, pageSize: n - 1 });
    assert.equal(pages.length, 2);
    assert.equal(pages[1]?.dataPoints?.length, 1);

    const big = (await getJson(listUrl(h, 'heart-rate', { pageSize: 20000, prettyPrint: 'false' }))).body as ListDataPointsResponse;
    assert.equal(big.dataPoints?.length, 10000, 'pageSize above 10000 is truncated, not an error');
    assert.equal(big.dataPoints?.[0]?.heartRate?.sampleTime?.physicalTime, iso(day(LAST).heartRate.t.at(-1) as number));

    const other = await getJson(listUrl(h, 'steps', { filter: `${STC} >= "2024-03-09"`, pageToken: page1.nextPageToken ?? '' }));
    assert.equal(other.status, 400);
    const msg = 'Invalid page token: it is malformed or was issued for a different filter.';
    const tokenErr = {
      error: {
        code: 400,
        message: msg,
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'page_token', description: msg }] }],
      },
    };
    assert.deepEqual(other.body, tokenErr);
    assert.deepEqual((await getJson(listUrl(h, 'steps', { filter, pageToken: 'garbage' }))).body, tokenErr);
    const bad = await getJson(listUrl(h, 'steps', { pageSize: 'ten' }));
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { error: { message: string } }).error.message, `Invalid value at 'page_size' (TYPE_INT32), "ten"`);
  } finally {
    await h.close();
  }
});

test('unknown data type, unknown path, missing scope', async () => {
  const h = await start();
  try {
    const nf = await getJson(listUrl(h, 'hart-rate', {}));
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.body, {
      error: {
        code: 404,
        message: "The requested resource was not found. Unknown data type 'hart-rate'.",
        status: 'NOT_FOUND',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RESOURCE_NOT_FOUND', domain: 'health.googleapis.com' }],
      },
    });
    const html = await fetch(`${h.base}/v4/users/me/nothing`);
    assert.equal(html.status, 404);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    await html.text();
    // sleep is served, under its own scope family (this token lacks it)
    const sleep = await getJson(listUrl(h, 'sleep', {}));
    assert.equal(sleep.status, 403);
    assert.equal((sleep.body as { error: { details: { reason: string }[] } }).error.details[0]?.reason, 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    // a documented type the synthetic user has no data for: empty, not an error
    assert.deepEqual((await getJson(listUrl(h, 'body-fat', {}))).body, {});
    assert.equal((await getJson(`${h.base}/v4beta/users/me/dataTypes/steps/dataPoints?pageSize=1`)).status, 200);
  } finally {
    await h.close();
  }
  const noHr = await start({}, [SCOPES[0] as string]);
  try {
    const r = await getJson(listUrl(noHr, 'heart-rate', {}));
    assert.equal(r.status, 403);
    assert.deepEqual(r.body, SCOPE_INSUFFICIENT_BODY);
    assert.equal((await getJson(listUrl(noHr, 'steps', { pageSize: 1 }))).status, 200);
  } finally {
    await noHr.close();
  }
});

test('quota: 300 requests per sliding minute, then 429 with Retry-After', async () => {
  const h = await start();
  try {
    const t0 = Date.UTC(2024, 2, 20, 12);
    const cheap = listUrl(h, 'steps', { filter: `${ST} >= "2030-01-01T00:00:00Z"`, prettyPrint: 'false' });
    const burst = async (n: number) => {
      for (let i = 0; i < n; i++)
        assert.equal(
          await fetch(cheap).then(async (r) => {
            await r.arrayBuffer();
            return r.status;
          }),
          200,
        );
    };
    h.setNow(t0);
    await burst(150);
    h.setNow(t0 + 30_000);
    await burst(150);
    assert.equal(h.api.quota.used(), 300);
    h.setNow(t0 + 45_000);
    const r = await fetch(cheap);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '15');
    assert.deepEqual(JSON.parse(await r.text()), {
      error: {
        code: 429,
        message:
          "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' of service 'health.googleapis.com' for consumer 'project_number:0'.",
        status: 'RESOURCE_EXHAUSTED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'RATE_LIMIT_EXCEEDED',
            domain: 'googleapis.com',
            metadata: {
              service: 'health.googleapis.com',
              quota_metric: 'health.googleapis.com/requests',
              quota_limit: 'RequestsPerMinutePerUser',
              quota_limit_value: '300',
              consumer: 'projects/0',
            },
          },
        ],
      },
    });
    h.setNow(t0 + 59_999);
    const r2 = await fetch(cheap);
    assert.equal(r2.status, 429);
    assert.equal(r2.headers.get('retry-after'), '1', 'at least one second');
    await r2.text();
    // the first 150 leave the window at t0 + 60 s: 150 slots free, the rest still count
    h.setNow(t0 + 60_000);
    assert.equal(h.api.quota.used(), 150);
    await burst(150);
    assert.equal(h.api.quota.used(), 300);
    const r3 = await fetch(cheap);
    assert.equal(r3.status, 429);
    assert.equal(r3.headers.get('retry-after'), '30');
    await r3.text();
    assert.equal(h.api.requests, 453, '429s are answered requests too');
    // a configured quota
    const small = await start({ quotaPerMinute: 2 });
    try {
      const u = listUrl(small, 'steps', { pageSize: 1 });
      assert.equal((await getJson(u)).status, 200);
      assert.equal((await getJson(u)).status, 200);
      const x = await getJson(u);
      assert.equal(x.status, 429);
      assert.equal(x.headers.get('retry-after'), '60');
    } finally {
      await small.close();
    }
  } finally {
    await h.close();
  }
});
