/**
 * CONTRACT test of the emulator, pinned to the documented API (discovery document + shared
 * reference), not to any client: every request / response shape, every served DataPoint, rollup
 * and error type is walked against health-v4-discovery.json; filters accepted and rejected with
 * the reference's bodies; paging; proto3 JSON; the HTML 404; the 429.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATA_TYPES, SERVED_TYPES } from '../../src/emulator/health-api.js';
import { dataPointsMethod, loadDiscovery, NO_DEVIATIONS, unionKeys, validate, type Report } from './discovery.js';
import { allPages, companions, day, dp, iso, pointsOf, startClient, TZ, type Client } from './helpers.js';
import { SCOPE_INSUFFICIENT_BODY } from '../support/google-errors.js';

const D = loadDiscovery();
const DP_KEYS = unionKeys(D, 'DataPoint');
const RDP_KEYS = unionKeys(D, 'ReconciledDataPoint');
const ROLLUP_KEYS = unionKeys(D, 'RollupDataPoint');

function ok(rep: Report, what: string): void {
  assert.deepEqual(rep.errors, [], `${what}: ${rep.errors.slice(0, 5).join('; ')}`);
}

/**
 * An error answer: `{"error": Status}` where Status is the discovery schema plus the HTTP mapping's
 * `status` (the google.rpc.Code name), as in every body of the reference.
 */
export function checkError(body: unknown, code: number, status: string): void {
  assert.ok(body && typeof body === 'object', 'a JSON error body');
  assert.deepEqual(Object.keys(body), ['error']);
  const { status: st, ...rest } = (body as { error: Record<string, unknown> }).error;
  assert.equal(st, status);
  assert.equal(rest.code, code);
  assert.equal(typeof rest.message, 'string');
  ok(validate(D, rest, 'Status'), 'Status');
  for (const d of (rest.details as Record<string, unknown>[] | undefined) ?? [])
    assert.match(String(d['@type']), /^type\.googleapis\.com\/google\.rpc\.(ErrorInfo|BadRequest)$/);
}

const REFERENCE_SLEEP_MEMBER_BODY = {
  error: {
    code: 400,
    message: 'Invalid data point filter: INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER.',
    status: 'INVALID_ARGUMENT',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'INVALID_DATA_POINT_FILTER',
        domain: 'health.googleapis.com',
        metadata: { detailedReasons: 'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER' },
      },
      {
        '@type': 'type.googleapis.com/google.rpc.BadRequest',
        fieldViolations: [{ field: 'filter', description: "Member 'sleep.interval.civil_start_time' is not supported for filtering. (at line 1, column 1)" }],
      },
    ],
  },
};

/** The filter of one local day (2024-03-09) on the type's first documented member. */
function dayFilter(type: string): string {
  const def = DATA_TYPES.get(type);
  assert.ok(def);
  const f = def.filterId;
  switch (def.record) {
    case 'interval':
      return `${f}.interval.civil_start_time >= "2024-03-08" AND ${f}.interval.civil_start_time < "2024-03-12"`;
    case 'sample':
      return `${f}.sample_time.civil_time >= "2024-03-08" AND ${f}.sample_time.civil_time < "2024-03-12T00:00:00"`;
    case 'daily':
      return `${f}.date >= "2024-03-09" AND ${f}.date < "2024-03-10"`;
    case 'session':
      return type === 'sleep'
        ? 'sleep.interval.civil_end_time >= "2024-03-09" AND sleep.interval.civil_end_time < "2024-03-10"'
        : `${f}.interval.civil_start_time >= "2024-03-08" AND ${f}.interval.civil_start_time < "2024-03-12"`;
  }
}

let c: Client;
before(async () => {
  c = await startClient();
});
after(() => c.close());

describe('discovery: the routes the emulator serves are the documented ones', () => {
  test('methods, HTTP verbs and paths', async () => {
    const cases: [string, string, unknown?][] = [
      ['list', 'GET'],
      ['reconcile', 'GET'],
      ['rollUp', 'POST', { range: { startTime: '2024-03-09T05:00:00Z', endTime: '2024-03-09T06:00:00Z' }, windowSize: '60s' }],
      ['dailyRollUp', 'POST', { range: { start: { date: { year: 2024, month: 3, day: 9 } }, end: { date: { year: 2024, month: 3, day: 10 } } } }],
    ];
    for (const [name, verb, body] of cases) {
      const m = dataPointsMethod(D, name);
      assert.equal(m.httpMethod, verb, name);
      const path = `/${m.flatPath.replace('{usersId}', 'me').replace('{dataTypesId}', 'steps')}`;
      const a = verb === 'GET' ? await c.get(path, { pageSize: 3 }) : await c.post(path, body);
      assert.equal(a.status, 200, `${name} ${path}: ${a.text}`);
      assert.ok(m.response);
      ok(validate(D, a.body, m.response), name);
      // the other verb is not a route: Google's HTML 404
      const wrong = await fetch(c.emu.url + path, { method: verb === 'GET' ? 'POST' : 'GET', headers: { authorization: `Bearer ${c.token}` } });
      assert.equal(wrong.status, 404, `${name} with the wrong verb`);
      assert.match(wrong.headers.get('content-type') ?? '', /^text\/html/);
      await wrong.text();
    }
  });
});

describe('every served data type: list, reconcile, rollUp, dailyRollUp shapes', () => {
  test('list: DataPoint per discovery, one union key named after the type, a dataSource, newest first', async () => {
    for (const type of SERVED_TYPES) {
      const def = DATA_TYPES.get(type);
      assert.ok(def);
      const a = await c.get(dp(type), { filter: dayFilter(type), pageSize: 25 });
      if (!def.ops.has('list')) {
        assert.equal(a.status, 400, `${type} has no list`);
        checkError(a.body, 400, 'INVALID_ARGUMENT');
        continue;
      }
      assert.equal(a.status, 200, `${type}: ${a.text}`);
      ok(validate(D, a.body, 'ListDataPointsResponse'), type);
      const pts = pointsOf([a.body as Record<string, unknown>]);
      assert.ok(pts.length > 0, `${type}: the synthetic user has data`);
      let prev = Infinity;
      for (const p of pts) {
        const keys = Object.keys(p).filter((k) => k !== 'name' && k !== 'dataSource');
        assert.deepEqual(keys, [DP_KEYS.get(type)], `${type}: exactly the union key of its data type`);
        assert.ok(p.dataSource, `${type}: list points carry their dataSource`);
        assert.equal(p.name !== undefined, def.identifiable, `${type}: name only on identifiable types`);
        const body = p[keys[0] as string] as Record<string, { startTime?: string; physicalTime?: string } | undefined> & {
          date?: { year: number; month: number; day: number };
        };
        const t = body.interval?.startTime ?? body.sampleTime?.physicalTime;
        const x = t ? Date.parse(t) : Date.UTC(body.date?.year ?? 0, (body.date?.month ?? 1) - 1, body.date?.day ?? 0);
        assert.ok(x <= prev, `${type}: newest first`);
        prev = x;
      }
    }
  });

  test('reconcile: ReconciledDataPoint with dataPointName and no dataSource', async () => {
    for (const type of SERVED_TYPES) {
      const def = DATA_TYPES.get(type);
      assert.ok(def);
      if (!def.ops.has('reconcile')) continue;
      const a = await c.get(dp(type, ':reconcile'), { filter: dayFilter(type), pageSize: 25 });
      assert.equal(a.status, 200, `${type}: ${a.text}`);
      ok(validate(D, a.body, 'ReconcileDataPointsResponse'), type);
      const pts = pointsOf([a.body as Record<string, unknown>]);
      assert.ok(pts.length > 0, type);
      for (const p of pts) {
        assert.equal(p.dataSource, undefined);
        assert.match(String(p.dataPointName), new RegExp(`^users/${c.emu.user.healthUserId}/dataTypes/${type}/dataPoints/[a-z0-9-]{4,63}$`));
        assert.deepEqual(
          Object.keys(p).filter((k) => k !== 'dataPointName'),
          [RDP_KEYS.get(type)],
        );
      }
    }
  });

  test('rollUp and dailyRollUp: documented value keys, zero windows left out', async () => {
    const rolled = SERVED_TYPES.filter((t) => DATA_TYPES.get(t)?.ops.has('rollUp'));
    assert.deepEqual(rolled.sort(), [
      'active-energy-burned',
      'active-zone-minutes',
      'altitude',
      'distance',
      'floors',
      'heart-rate',
      'steps',
      'total-calories',
      'weight',
    ]);
    for (const type of rolled) {
      const key = ROLLUP_KEYS.get(type);
      assert.ok(key, `${type} has a RollupDataPoint key in discovery`);
      const r = await c.post(dp(type, ':rollUp'), {
        range: { startTime: '2024-03-08T05:00:00Z', endTime: '2024-03-12T04:00:00Z' },
        windowSize: '3600s',
        pageSize: 10000,
      });
      assert.equal(r.status, 200, `${type}: ${r.text}`);
      ok(validate(D, r.body, 'RollUpDataPointsResponse'), type);
      const windows = (r.body as { rollupDataPoints?: Record<string, unknown>[] }).rollupDataPoints ?? [];
      assert.ok(windows.length > 0, type);
      for (const w of windows) {
        assert.deepEqual(Object.keys(w).sort(), ['endTime', key, 'startTime'].sort(), type);
        assert.equal(Date.parse(String(w.endTime)) - Date.parse(String(w.startTime)), 3_600_000);
        assert.ok(Object.keys(w[key] as object).length > 0, `${type}: a zero window is left out`);
      }
      if (type !== 'heart-rate' && type !== 'total-calories')
        assert.ok(windows.length < 95, `${type}: 95 hours, some of them empty and left out (${windows.length})`);
      const dr = await c.post(dp(type, ':dailyRollUp'), {
        range: { start: { date: { year: 2024, month: 3, day: 8 } }, end: { date: { year: 2024, month: 3, day: 12 } } },
      });
      assert.equal(dr.status, 200, `${type}: ${dr.text}`);
      ok(validate(D, dr.body, 'DailyRollUpDataPointsResponse'), type);
      for (const w of (dr.body as { rollupDataPoints?: Record<string, unknown>[] }).rollupDataPoints ?? []) {
        assert.deepEqual(Object.keys(w).sort(), ['civilEndTime', 'civilStartTime', key].sort());
        assert.deepEqual((w.civilStartTime as { time: unknown }).time, {}, 'civil window bounds carry time: {}');
      }
    }
  });

  test('proto3 JSON: int64 strings, no zero fields, no empty lists', async () => {
    const raw =
      (await c.get(dp('steps'), { pageSize: 500, prettyPrint: 'false' })).text +
      (await c.get(dp('active-zone-minutes'), { pageSize: 500, prettyPrint: 'false' })).text;
    const sleep = (await c.get(dp('sleep'), { pageSize: 25, prettyPrint: 'false' })).text;
    assert.match(raw, /"count":"[1-9]\d*"/);
    assert.match(sleep, /"minutesAsleep":"[1-9]\d*"/);
    assert.match(raw, /"activeZoneMinutes":"[12]"/);
    assert.doesNotMatch(raw, /:0[,}]|:"0"[,}]|:false|:""|\[\]|"nanos":0/);
    // sleep as served live: zero minutes present as "0" (LIVE_DEVIATIONS), nothing else zero
    assert.match(sleep, /"minutesAwake":"0"|"minutesToFallAsleep":"0"|"minutesAfterWakeUp":"0"/);
    assert.doesNotMatch(sleep.replace(/"minutes[A-Za-z]*":"0"|"count":"0"|"(nap|mainSleep)":false/g, ''), /:0[,}]|:"0"[,}]|:false|:""|\[\]|"nanos":0/);
  });
});

describe('users, settings, paired devices', () => {
  test('identity, profile, settings (IANA zone), pairedDevices paging', async () => {
    const id = await c.get('/v4/users/me/identity');
    assert.equal(id.status, 200);
    ok(validate(D, id.body, 'Identity'), 'identity');
    assert.equal((id.body as { name: string }).name, 'users/me/identity');
    const hid = (id.body as { healthUserId: string }).healthUserId;
    assert.equal((await c.get(`/v4/users/${hid}/identity`)).status, 200, 'the healthUserId works as {u}');
    const prof = await c.get('/v4/users/me/profile');
    ok(validate(D, prof.body, 'Profile'), 'profile');
    const set = await c.get('/v4/users/me/settings');
    ok(validate(D, set.body, 'Settings'), 'settings');
    assert.equal((set.body as { timeZone: string }).timeZone, TZ);
    const dev = await c.get('/v4/users/me/pairedDevices');
    ok(validate(D, dev.body, 'ListPairedDevicesResponse'), 'pairedDevices');
    const devs = (dev.body as { pairedDevices: { name: string; deviceVersion: string }[] }).pairedDevices;
    assert.equal(devs[0]?.deviceVersion, 'Inspire 3');
    const one = await c.get(`/v4/${devs[0]?.name ?? ''}`);
    assert.equal(one.status, 200);
    ok(validate(D, one.body, 'PairedDevice'), 'pairedDevices.get');
    assert.equal((await c.get('/v4/users/me/pairedDevices', { pageSize: 101 })).status, 200, 'above 100 is coerced');
    assert.equal((await c.get('/v4/users/someone-else/identity')).status, 404);
  });

  test('scopes per method as the discovery document says; the 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT body (seen live), MISSING_OAUTH_SCOPE as a variant', async () => {
    const only = await startClient({}, ['https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly']);
    const variant = await startClient({ variant: { scopeError: 'MISSING_OAUTH_SCOPE' } }, [
      'https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly',
    ]);
    try {
      const table: [string, string, number, string?][] = [
        [dp('steps'), 'health.users.dataTypes.dataPoints.list', 200],
        [dp('exercise'), 'health.users.dataTypes.dataPoints.list', 200],
        [dp('heart-rate'), 'health.users.dataTypes.dataPoints.list', 403, 'health_metrics_and_measurements'],
        [dp('weight'), 'health.users.dataTypes.dataPoints.list', 403, 'health_metrics_and_measurements'],
        [dp('sleep'), 'health.users.dataTypes.dataPoints.list', 403, 'sleep'],
        ['/v4/users/me/profile', 'health.users.getProfile', 403, 'profile'],
        ['/v4/users/me/settings', 'health.users.getSettings', 403, 'settings'],
        ['/v4/users/me/pairedDevices', 'health.users.pairedDevices.list', 403, 'settings'],
        ['/v4/users/me/identity', 'health.users.getIdentity', 200],
      ];
      for (const [path, method, status, scope] of table) {
        const allowed = methodScopes(method);
        // the scope the emulator demands is one of the method's scopes (a users.* method: the only one)
        const need = `https://www.googleapis.com/auth/googlehealth.${scope ?? 'activity_and_fitness'}.readonly`;
        if (method.startsWith('health.users.dataTypes.') || status === 200) assert.ok(allowed.includes(need), `${method}: ${need}`);
        else assert.deepEqual(allowed, [need], method);
        const a = await only.get(path, { pageSize: 1 });
        assert.equal(a.status, status, path);
        if (!scope) continue;
        checkError(a.body, 403, 'PERMISSION_DENIED');
        assert.deepEqual(a.body, SCOPE_INSUFFICIENT_BODY);
        const v = await variant.get(path, { pageSize: 1 });
        assert.deepEqual(v.body, {
          error: {
            code: 403,
            message: 'Request had insufficient authentication scopes.',
            status: 'PERMISSION_DENIED',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                reason: 'MISSING_OAUTH_SCOPE',
                domain: 'health.googleapis.com',
                metadata: { requiredScope: `https://www.googleapis.com/auth/googlehealth.${scope}.readonly` },
              },
            ],
          },
        });
      }
    } finally {
      await only.close();
      await variant.close();
    }
  });
});

/** The `scopes` of a discovery method by id (e.g. health.users.getSettings). */
function methodScopes(id: string): string[] {
  type R = { methods?: Record<string, { id: string; scopes?: string[] }>; resources?: Record<string, R> };
  const walk = (r: R): string[] | null => {
    for (const m of Object.values(r.methods ?? {})) if (m.id === id) return m.scopes ?? [];
    for (const sub of Object.values(r.resources ?? {})) {
      const found = walk(sub);
      if (found) return found;
    }
    return null;
  };
  const found = walk(D as unknown as R);
  assert.ok(found, `no method ${id} in the discovery document`);
  return found;
}

function filterErr(reason: string, description: string): unknown {
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

const MEMBER = 'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER';

describe('filters per record kind (reference grammar)', () => {
  test('accepted: every documented member, counted against the truth', async () => {
    const d9 = day('2024-03-09'),
      d10 = day('2024-03-10');
    // the synthetic user's sleeps and the companion manual ones (sources.ts)
    const sleeps = ['2024-03-08', '2024-03-09', '2024-03-10', '2024-03-11'].flatMap((x) => [...day(x).sleeps, ...companions(x).sleeps]);
    const endsIn = (a: number, b: number) => sleeps.filter((s) => s.end >= a && s.end < b).length;
    const count = (n: number, xs: number[], a: number, b: number) => {
      void n;
      return xs.filter((t) => t >= a && t < b).length;
    };
    const hrT = d9.heartRate.t;
    const cases: [string, string, string, number][] = [
      [
        'interval physical',
        'steps',
        `steps.interval.start_time >= "${iso(d9.start)}" AND steps.interval.start_time < "${iso(d9.end)}"`,
        d9.steps.reduce((n, s) => n + s.t.length, 0),
      ],
      [
        'interval civil',
        'altitude',
        'altitude.interval.civil_start_time >= "2024-03-09" AND altitude.interval.civil_start_time < "2024-03-10"',
        d9.altitude[0]?.t.length ?? 0,
      ],
      [
        'interval civil, date-time',
        'active_energy_burned'.replace(/_/g, '-'),
        'active_energy_burned.interval.civil_start_time >= "2024-03-09T06:00:00" AND active_energy_burned.interval.civil_start_time < "2024-03-09T18:00"',
        count(0, [...d9.activeEnergy.t, ...companions('2024-03-09').activeEnergy.map((m) => m.t)], d9.start + 6 * 3_600_000, d9.start + 18 * 3_600_000),
      ],
      [
        'sample physical',
        'heart-rate',
        `heart_rate.sample_time.physical_time >= "${iso(d9.start)}" AND heart_rate.sample_time.physical_time < "${iso(d9.start + 3_600_000)}"`,
        count(0, hrT, d9.start, d9.start + 3_600_000),
      ],
      [
        'sample civil',
        'oxygen-saturation',
        'oxygen_saturation.sample_time.civil_time >= "2024-03-09T00:00:00" AND oxygen_saturation.sample_time.civil_time < "2024-03-09T03:00:00"',
        count(0, [...day('2024-03-09').spo2.t, ...d10.spo2.t], d9.start, d9.start + 3 * 3_600_000),
      ],
      [
        'daily date',
        'daily-respiratory-rate',
        'daily_respiratory_rate.date >= "2024-03-09" AND daily_respiratory_rate.date < "2024-03-11"',
        [d9, d10].filter((x) => x.daily.respiratoryRate).length,
      ],
      [
        'daily, one bound',
        'daily-heart-rate-variability',
        'daily_heart_rate_variability.date < "2024-03-10"',
        ['2024-03-08', '2024-03-09'].filter((x) => day(x).daily.hrv).length,
      ],
      ['sleep end_time', 'sleep', `sleep.interval.end_time >= "${iso(d9.start)}" AND sleep.interval.end_time < "${iso(d10.end)}"`, endsIn(d9.start, d10.end)],
      [
        'sleep civil_end_time',
        'sleep',
        'sleep.interval.civil_end_time >= "2024-03-09" AND sleep.interval.civil_end_time < "2024-03-11"',
        endsIn(d9.start, d10.end),
      ],
      [
        'sleep OR',
        'sleep',
        `sleep.interval.end_time < "${iso(d9.start)}" OR sleep.interval.end_time >= "${iso(d10.end)}"`,
        sleeps.length - endsIn(d9.start, d10.end),
      ],
      [
        'sleep OR in parentheses AND',
        'sleep',
        `(sleep.interval.end_time < "${iso(d9.end)}" OR sleep.interval.end_time >= "${iso(d10.end)}") AND sleep.interval.civil_end_time >= "2024-03-09"`,
        sleeps.filter((s) => s.end >= d9.start && (s.end < d9.end || s.end >= d10.end)).length,
      ],
      [
        'exercise civil_start_time',
        'exercise',
        'exercise.interval.civil_start_time >= "2024-03-08"',
        ['2024-03-08', '2024-03-09', '2024-03-10', '2024-03-11'].reduce((n, x) => n + day(x).exercises.length, 0),
      ],
    ];
    for (const [name, type, filter, want] of cases) {
      assert.ok(want > 0 || name.includes('OR'), `${name}: a case that can fail (truth has ${want})`);
      const pts = pointsOf(await allPages(c, dp(type), { filter, pageSize: 10000 }));
      assert.equal(pts.length, want, `${name}: ${filter}`);
    }
  });

  test('rejected: operators, hyphenated type names, wrong members, the documented bodies', async () => {
    const T = '"2024-03-09T00:00:00Z"';
    const cases: [string, string, string, unknown][] = [
      [
        '>',
        'steps',
        `steps.interval.start_time > ${T}`,
        filterErr('INVALID_DATA_POINT_FILTER_OPERATOR', "Operator '>' is not supported for filtering; use '>=' or '<'. (at line 1, column 27)"),
      ],
      [
        '<=',
        'heart-rate',
        `heart_rate.sample_time.physical_time <= ${T}`,
        filterErr('INVALID_DATA_POINT_FILTER_OPERATOR', "Operator '<=' is not supported for filtering; use '>=' or '<'. (at line 1, column 38)"),
      ],
      [
        '=',
        'daily-resting-heart-rate',
        'daily_resting_heart_rate.date = "2024-03-09"',
        filterErr('INVALID_DATA_POINT_FILTER_OPERATOR', "Operator '=' is not supported for filtering; use '>=' or '<'. (at line 1, column 31)"),
      ],
      [
        'hyphenated type',
        'heart-rate',
        `heart-rate.sample_time.physical_time >= ${T}`,
        filterErr(MEMBER, "Member 'heart-rate.sample_time.physical_time' is not supported for filtering. (at line 1, column 1)"),
      ],
      [
        'interval end_time',
        'steps',
        `steps.interval.end_time >= ${T}`,
        filterErr(MEMBER, "Member 'steps.interval.end_time' is not supported for filtering. (at line 1, column 1)"),
      ],
      [
        'sample member on an interval type',
        'distance',
        `distance.sample_time.physical_time >= ${T}`,
        filterErr(MEMBER, "Member 'distance.sample_time.physical_time' is not supported for filtering. (at line 1, column 1)"),
      ],
      [
        'exercise start_time',
        'exercise',
        `exercise.interval.start_time >= ${T}`,
        filterErr(MEMBER, "Member 'exercise.interval.start_time' is not supported for filtering. (at line 1, column 1)"),
      ],
      ['sleep civil_start_time (reference body verbatim)', 'sleep', 'sleep.interval.civil_start_time >= "2024-03-09"', REFERENCE_SLEEP_MEMBER_BODY],
      [
        'daily member on a sample type',
        'weight',
        'weight.date >= "2024-03-09"',
        filterErr(MEMBER, "Member 'weight.date' is not supported for filtering. (at line 1, column 1)"),
      ],
      [
        'date with a time',
        'daily-oxygen-saturation',
        'daily_oxygen_saturation.date >= "2024-03-09T00:00:00"',
        filterErr(
          'INVALID_DATA_POINT_FILTER_VALUE',
          'Invalid value "2024-03-09T00:00:00" for member \'daily_oxygen_saturation.date\': expected a date such as "2024-08-15". (at line 1, column 33)',
        ),
      ],
      [
        'OR outside sleep',
        'weight',
        `weight.sample_time.physical_time >= ${T} OR weight.sample_time.physical_time < ${T}`,
        filterErr('INVALID_DATA_POINT_FILTER_SYNTAX', "Unexpected 'OR', expected 'AND' or the end of the filter. (at line 1, column 60)"),
      ],
    ];
    for (const [name, type, filter, body] of cases) {
      for (const verb of ['', ':reconcile']) {
        const a = await c.get(dp(type, verb), { filter });
        assert.equal(a.status, 400, `${name} ${verb}`);
        assert.deepEqual(a.body, body, `${name} ${verb}`);
        checkError(a.body, 400, 'INVALID_ARGUMENT');
      }
    }
  });

  test('variant sleepFilterMember=civil_start_time: the other member is the one rejected', async () => {
    const v = await startClient({ variant: { sleepFilterMember: 'civil_start_time' } });
    try {
      const okA = await v.get(dp('sleep'), { filter: 'sleep.interval.civil_start_time >= "2024-03-09"' });
      assert.equal(okA.status, 200);
      assert.ok(pointsOf([okA.body as Record<string, unknown>]).length > 0);
      const bad = await v.get(dp('sleep'), { filter: 'sleep.interval.end_time >= "2024-03-09T00:00:00Z"' });
      assert.deepEqual(bad.body, filterErr(MEMBER, "Member 'sleep.interval.end_time' is not supported for filtering. (at line 1, column 1)"));
    } finally {
      await v.close();
    }
  });
});

describe('paging, page sizes, HTML 404, 429, rollUp limits', () => {
  test('sleep and exercise: default and max page size 25; a bare {} after a full last page', async () => {
    const big = await startClient({ firstDay: '2023-12-01', lastDay: '2024-02-29' });
    try {
      for (const type of ['sleep', 'exercise']) {
        const queries: Record<string, number>[] = [{}, { pageSize: 100 }];
        for (const q of queries) {
          const a = await big.get(dp(type), q);
          assert.equal(pointsOf([a.body as Record<string, unknown>]).length, 25, `${type} ${JSON.stringify(q)}`);
          assert.ok((a.body as { nextPageToken?: string }).nextPageToken);
        }
      }
      const pages = await allPages(big, dp('sleep'), { pageSize: 1, filter: 'sleep.interval.civil_end_time >= "2024-02-29"' });
      assert.ok(pages.length >= 2);
      assert.deepEqual(pages.at(-1), {}, 'the page after a full last page is {}');
    } finally {
      await big.close();
    }
  });

  test('heart-rate default page size: 50 (observed) or 1440 (variant)', async () => {
    assert.equal(pointsOf([(await c.get(dp('heart-rate'))).body as Record<string, unknown>]).length, 50);
    const v = await startClient({ variant: { heartRateDefaultPageSize: 1440 } });
    try {
      assert.equal(pointsOf([(await v.get(dp('heart-rate'))).body as Record<string, unknown>]).length, 1440);
    } finally {
      await v.close();
    }
  });

  test('unknown paths: HTML 404; unknown data type: JSON 404; documented types without data: {}', async () => {
    for (const path of ['/v4/users/me/nothing', '/v4/users/me/dataTypes/steps/dataPoints:export', '/v3/users/me/identity', '/']) {
      const a = await c.get(path);
      assert.equal(a.status, 404, path);
      assert.match(a.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(a.text, /<title>Error 404 \(Not Found\)!!1<\/title>/);
    }
    const nf = await c.get(dp('hart-rate'));
    assert.equal(nf.status, 404);
    checkError(nf.body, 404, 'NOT_FOUND');
    for (const type of ['blood-glucose', 'height', 'active-minutes']) {
      const a = await c.get(dp(type));
      assert.equal(a.status, 200, type);
      assert.deepEqual(a.body, {}, type);
    }
  });

  test('429: the quota body, Retry-After, and the variant without it', async () => {
    for (const variant of ['header', 'none'] as const) {
      const q = await startClient({ quotaPerMinute: 2, variant: { retryAfter: variant } });
      try {
        assert.equal((await q.get(dp('steps'), { pageSize: 1 })).status, 200);
        assert.equal((await q.get('/v4/users/me/identity')).status, 200);
        const a = await q.get(dp('steps'), { pageSize: 1 });
        assert.equal(a.status, 429);
        checkError(a.body, 429, 'RESOURCE_EXHAUSTED');
        assert.match(
          (a.body as { error: { message: string } }).error.message,
          /^Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user'/,
        );
        assert.equal(a.headers.get('retry-after'), variant === 'header' ? '60' : null);
        assert.equal(q.emu.api.quota.used(), 2);
      } finally {
        await q.close();
      }
    }
  });

  test('rollUp: range limits (14 / 90 days), closed-open range, bad requests', async () => {
    const body = (type: string, days: number, extra: Record<string, unknown> = {}) => ({
      range: { startTime: '2024-01-01T00:00:00Z', endTime: iso(Date.UTC(2024, 0, 1) + days * 86_400_000) },
      windowSize: '86400s',
      ...extra,
    });
    const table: [string, number, number][] = [
      ['heart-rate', 14, 200],
      ['heart-rate', 15, 400],
      ['total-calories', 14, 200],
      ['total-calories', 15, 400],
      ['steps', 90, 200],
      ['steps', 91, 400],
      ['floors', 91, 400],
      ['distance', 90, 200],
    ];
    for (const [type, days, status] of table) {
      const a = await c.post(dp(type, ':rollUp'), body(type, days));
      assert.equal(a.status, status, `${type} ${days} days: ${a.text}`);
      if (status === 400) {
        checkError(a.body, 400, 'INVALID_ARGUMENT');
        assert.match(
          (a.body as { error: { message: string } }).error.message,
          new RegExp(`${type === 'heart-rate' || type === 'total-calories' ? 14 : 90} days`),
        );
      }
    }
    // closed-open: a range ending at a minute's start leaves that minute out
    const d9 = day('2024-03-09');
    const t0 = d9.steps[0]?.t[0] as number;
    const one = await c.post(dp('steps', ':rollUp'), { range: { startTime: iso(t0), endTime: iso(t0 + 60_000) }, windowSize: '60s' });
    const none = await c.post(dp('steps', ':rollUp'), { range: { startTime: iso(t0 - 60_000), endTime: iso(t0) }, windowSize: '60s' });
    assert.equal((one.body as { rollupDataPoints: unknown[] }).rollupDataPoints.length, 1);
    assert.deepEqual(none.body, {}, 'no data → {} (zero windows left out)');
    for (const bad of [
      { windowSize: '60s' },
      { range: { startTime: 'x', endTime: iso(t0) }, windowSize: '60s' },
      { ...body('steps', 1), windowSize: '0s' },
      { ...body('steps', 1), bogus: 1 },
    ]) {
      const a = await c.post(dp('steps', ':rollUp'), bad);
      assert.equal(a.status, 400, JSON.stringify(bad));
      checkError(a.body, 400, 'INVALID_ARGUMENT');
    }
    const unknown = await c.post(dp('steps', ':rollUp'), { ...body('steps', 1), bogus: 1 });
    assert.match((unknown.body as { error: { message: string } }).error.message, /^Invalid JSON payload received\. Unknown name "bogus"/);
    const noRollup = await c.post(dp('sleep', ':rollUp'), body('sleep', 1));
    assert.equal(noRollup.status, 400);
  });

  test('dailyRollUp: end exclusive (discovery) or inclusive (variant)', async () => {
    const req = { range: { start: { date: { year: 2024, month: 3, day: 9 } }, end: { date: { year: 2024, month: 3, day: 10 } } } };
    const ex = await c.post(dp('steps', ':dailyRollUp'), req);
    assert.equal((ex.body as { rollupDataPoints: unknown[] }).rollupDataPoints.length, 1);
    const v = await startClient({ variant: { dailyRollUpEnd: 'inclusive' } });
    try {
      const inc = await v.post(dp('steps', ':dailyRollUp'), req);
      const w = (inc.body as { rollupDataPoints: { civilEndTime: unknown }[] }).rollupDataPoints;
      assert.equal(w.length, 2);
      // newest first (seen live)
      assert.deepEqual(w[0]?.civilEndTime, { date: { year: 2024, month: 3, day: 11 }, time: {} });
    } finally {
      await v.close();
    }
    const two = await c.post(dp('steps', ':dailyRollUp'), {
      ...req,
      range: { ...req.range, end: { date: { year: 2024, month: 3, day: 12 } } },
      windowSizeDays: 2,
    });
    const w2 = (two.body as { rollupDataPoints: { civilStartTime: { date: unknown } }[] }).rollupDataPoints;
    assert.deepEqual(
      w2.map((x) => x.civilStartTime.date),
      [
        { year: 2024, month: 3, day: 11 },
        { year: 2024, month: 3, day: 9 },
      ],
    );
    const misaligned = await c.post(dp('steps', ':dailyRollUp'), {
      range: { start: { date: { year: 2024, month: 3, day: 9 }, time: { hours: 6 } }, end: { date: { year: 2024, month: 3, day: 10 } } },
    });
    assert.equal(misaligned.status, 400);
  });
});

describe('dataPoints.get', () => {
  test('identifiable types by the name list gave; unknown ids are the JSON 404', async () => {
    for (const type of ['sleep', 'exercise', 'weight']) {
      const filter = dayFilter(type).replace('"2024-03-09"', '"2024-03-08"').replace('"2024-03-10"', '"2024-03-12"');
      const first = pointsOf([(await c.get(dp(type), { filter })).body as Record<string, unknown>])[0];
      assert.ok(first, type);
      const name = String(first.name);
      const got = await c.get(`/v4/${name.replace(/^users\/[^/]+/, 'users/me')}`);
      assert.equal(got.status, 200, `${type}: ${got.text}`);
      ok(validate(D, got.body, dataPointsMethod(D, 'get').response ?? ''), type);
      assert.deepEqual(got.body, first);
    }
    const nf = await c.get(dp('sleep', '/40000000000'));
    assert.equal(nf.status, 404);
    checkError(nf.body, 404, 'NOT_FOUND');
    assert.equal((await c.get(dp('steps', '/12345678'))).status, 404, 'steps points are not identifiable');
  });
});

describe('shapes as served live (reference "Seen live"; variant shapes=documented keeps the document\'s)', () => {
  const FILTER = { filter: 'sleep.interval.civil_end_time >= "2024-03-08" AND sleep.interval.civil_end_time < "2024-03-12"', pageSize: 25 };
  type Pt = Record<string, unknown> & {
    dataSource?: { platform?: string; recordingMethod?: string; device?: Record<string, unknown>; application?: Record<string, unknown> };
  };

  test('data sources: a named tracker, Fitbit Air (device {}), Health Connect app (with and without a manufacturer), manual sleep', async () => {
    const ae = pointsOf(
      await allPages(c, dp('active-energy-burned'), {
        filter: 'active_energy_burned.interval.civil_start_time >= "2024-03-09" AND active_energy_burned.interval.civil_start_time < "2024-03-10"',
        pageSize: 10000,
      }),
    ) as Pt[];
    const shapes = new Set(ae.map((p) => JSON.stringify(p.dataSource)));
    assert.deepEqual(
      [...shapes].sort(),
      [
        JSON.stringify({ recordingMethod: 'PASSIVELY_MEASURED', platform: 'FITBIT', device: {} }),
        JSON.stringify({ recordingMethod: 'PASSIVELY_MEASURED', platform: 'FITBIT', device: { displayName: 'Inspire 3', formFactor: 'FITNESS_BAND' } }),
        JSON.stringify({ recordingMethod: 'PASSIVELY_MEASURED', platform: 'HEALTH_CONNECT', application: { packageName: 'com.xiaomi.wearable' } }),
        JSON.stringify({
          recordingMethod: 'PASSIVELY_MEASURED',
          platform: 'HEALTH_CONNECT',
          application: { packageName: 'com.xiaomi.wearable' },
          device: { manufacturer: 'xiaomi' },
        }),
      ].sort(),
    );
    for (const p of ae) ok(validate(D, p.dataSource, 'DataSource', 'emulator', NO_DEVIATIONS), 'DataSource');
    const sleeps = pointsOf(await allPages(c, dp('sleep'), FILTER)) as Pt[];
    const manual = sleeps.filter((p) => p.dataSource?.recordingMethod === 'MANUAL');
    assert.ok(manual.length > 0, 'a manually logged sleep in the range');
    for (const p of manual) assert.deepEqual(p.dataSource, { recordingMethod: 'MANUAL', platform: 'FITBIT' });
  });

  test('sleep: metadata.mainSleep, "0" minutes, stage offsets, no civil start / end, no externalId', async () => {
    const sleeps = pointsOf(await allPages(c, dp('sleep'), FILTER)).map((p) => p.sleep as Record<string, Record<string, unknown>>);
    assert.ok(sleeps.length >= 4);
    for (const s of sleeps) {
      assert.equal(typeof s.metadata?.mainSleep, 'boolean');
      assert.equal(s.metadata?.nap, !s.metadata?.mainSleep);
      assert.equal(s.metadata?.externalId, undefined);
      assert.equal(s.interval?.civilStartTime, undefined);
      assert.equal(s.interval?.civilEndTime, undefined);
      for (const k of ['minutesAsleep', 'minutesAwake', 'minutesInSleepPeriod', 'minutesToFallAsleep', 'minutesAfterWakeUp'])
        assert.match(String(s.summary?.[k]), /^\d+$/, k);
      for (const g of s.stages as unknown as Record<string, unknown>[]) assert.match(String(g.startUtcOffset), /^-?\d+s$/);
    }
    assert.ok(sleeps.some((s) => s.metadata?.mainSleep === true) && sleeps.some((s) => s.metadata?.mainSleep === false), 'main sleeps and naps');
    assert.ok(
      sleeps.some((s) => s.summary?.minutesAwake === '0'),
      'a zero present as "0"',
    );
  });

  test('exercise: exerciseEvents, heartRateZoneDurations, exerciseMetadata, activeDuration "…s"', async () => {
    const ex = pointsOf(await allPages(c, dp('exercise'), { filter: 'exercise.interval.civil_start_time >= "2024-03-08"', pageSize: 25 })).map(
      (p) => p.exercise as Record<string, unknown>,
    );
    assert.ok(ex.length > 0);
    for (const e of ex) {
      assert.match(String(e.activeDuration), /^\d+s$/);
      assert.deepEqual(
        (e.exerciseEvents as { exerciseEventType: string }[]).map((x) => x.exerciseEventType),
        ['START', 'STOP'],
      );
      assert.ok(e.exerciseMetadata && typeof e.exerciseMetadata === 'object');
      assert.ok((e.metricsSummary as Record<string, unknown>).heartRateZoneDurations);
    }
  });

  test('"NaN" in daily temperature / HRV doubles', async () => {
    const raw =
      (await c.get(dp('daily-sleep-temperature-derivations'), { pageSize: 100, prettyPrint: 'false' })).text +
      (await c.get(dp('daily-heart-rate-variability'), { pageSize: 100, prettyPrint: 'false' })).text;
    assert.match(raw, /"[A-Za-z0-9]+":"NaN"/);
  });

  test('shapes=documented: the document alone (named devices, externalId, civil times, zeros omitted, no companions)', async () => {
    const d = await startClient({ variant: { shapes: 'documented' } });
    try {
      for (const type of ['sleep', 'exercise', 'active-energy-burned', 'daily-sleep-temperature-derivations', 'daily-heart-rate-variability']) {
        const a = await d.get(dp(type), { pageSize: 25 });
        assert.equal(a.status, 200, a.text);
        ok(validate(D, a.body, 'ListDataPointsResponse', 'emulator', NO_DEVIATIONS), type);
        for (const p of pointsOf([a.body as Record<string, unknown>]) as Pt[])
          assert.equal(typeof p.dataSource?.device?.displayName, 'string', `${type}: a named device`);
        assert.doesNotMatch(a.text, /NaN/);
      }
      const s = pointsOf([(await d.get(dp('sleep'), { pageSize: 1 })).body as Record<string, unknown>])[0]?.sleep as Record<string, Record<string, unknown>>;
      assert.equal(typeof s.metadata?.externalId, 'string');
      assert.ok(s.interval?.civilStartTime);
    } finally {
      await d.close();
    }
  });
});

describe('as seen live (reference, "Seen live"): empty pages, filter errors naming every term, dailyRollUp order', () => {
  /** Every page of a list with the emulator's defaults (startClient pins emptyPages=none for the layout tests). */
  let live: Client;
  before(async () => {
    live = await startClient({ variant: { emptyPages: 'past-first' }, quotaPerMinute: 100_000 });
  });
  after(() => live.close());

  test('discovery: a list page is {dataPoints, nextPageToken}, both optional; ErrorInfo.metadata is a string map; fieldViolations repeated', () => {
    const list = dataPointsMethod(D, 'list');
    assert.equal(list.response, 'ListDataPointsResponse');
    ok(validate(D, { nextPageToken: 'x' }, 'ListDataPointsResponse'), 'a page with a token and no points');
    ok(validate(D, {}, 'ListDataPointsResponse'), 'a bare {} last page');
    ok(validate(D, { nextPageToken: 'x' }, 'ReconcileDataPointsResponse'), 'reconcile page with a token and no points');
  });

  test('emptyPages=past-first (default): the first page of a past range is {"nextPageToken"} alone; the points follow, the same as without', async () => {
    const cases: [string, string, string][] = [
      ['heart-rate', '', 'heart_rate.sample_time.physical_time >= "2024-03-09T05:00:00Z" AND heart_rate.sample_time.physical_time < "2024-03-10T05:00:00Z"'],
      ['steps', ':reconcile', 'steps.interval.civil_start_time >= "2024-03-09" AND steps.interval.civil_start_time < "2024-03-10"'],
      ['daily-resting-heart-rate', '', 'daily_resting_heart_rate.date < "2024-03-12"'],
      ['sleep', '', 'sleep.interval.end_time < "2024-03-12T00:00:00Z"'],
      ['exercise', '', 'exercise.interval.civil_start_time >= "2024-03-08" AND exercise.interval.civil_start_time < "2024-03-12"'],
    ];
    for (const [type, verb, filter] of cases) {
      const first = await live.get(dp(type, verb), { filter });
      assert.equal(first.status, 200, `${type}${verb}: ${first.text}`);
      const body = first.body as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['nextPageToken'], `${type}${verb}: first page`);
      ok(validate(D, body, verb ? 'ReconcileDataPointsResponse' : 'ListDataPointsResponse'), type);
      const got = pointsOf(await allPages(live, dp(type, verb), { filter, pageSize: 10_000 }));
      const want = pointsOf(await allPages(c, dp(type, verb), { filter, pageSize: 10_000 }));
      assert.ok(want.length > 0, `${type}: data`);
      assert.deepEqual(got, want, `${type}${verb}: the same points`);
      // a pageSize of 1 (a probe): empty first page, then the newest point
      const probe = await live.get(dp(type, verb), { filter, pageSize: 1 });
      assert.deepEqual(Object.keys(probe.body as object), ['nextPageToken']);
      const second = await live.get(dp(type, verb), { filter, pageSize: 1, pageToken: (probe.body as { nextPageToken: string }).nextPageToken });
      assert.deepEqual(pointsOf([second.body as Record<string, unknown>]), want.slice(0, 1), `${type}: the newest point on page 2`);
    }
  });

  test('emptyPages: open-ended ranges and ranges reaching today are answered at once; past ranges without data end on a {} page', async () => {
    const today = await startClient({ variant: { emptyPages: 'past-first' }, clock: () => Date.UTC(2024, 2, 11, 18) });
    try {
      const open = await today.get(dp('heart-rate'), { filter: 'heart_rate.sample_time.physical_time >= "2024-03-11T04:00:00Z"', pageSize: 5 });
      assert.equal(pointsOf([open.body as Record<string, unknown>]).length, 5, 'no upper bound: points on page 1');
      // 2024-03-11 is today (New York, EDT): a range ending tonight is not past
      const tonight = 'heart_rate.sample_time.physical_time >= "2024-03-11T04:00:00Z" AND heart_rate.sample_time.physical_time < "2024-03-12T04:00:00Z"';
      assert.ok(pointsOf([(await today.get(dp('heart-rate'), { filter: tonight, pageSize: 5 })).body as Record<string, unknown>]).length > 0);
      // ending at today's midnight: past
      const yesterday = 'heart_rate.sample_time.physical_time >= "2024-03-10T04:00:00Z" AND heart_rate.sample_time.physical_time < "2024-03-11T04:00:00Z"';
      assert.deepEqual(Object.keys((await today.get(dp('heart-rate'), { filter: yesterday, pageSize: 5 })).body as object), ['nextPageToken']);
    } finally {
      await today.close();
    }
    const none = await allPages(live, dp('steps'), { filter: 'steps.interval.start_time < "2020-01-01T00:00:00Z"' });
    assert.deepEqual(none, [{ nextPageToken: (none[0] as { nextPageToken: string }).nextPageToken }, {}], 'an empty page with a token, then {}');
  });

  test('a refused filter names every refused term: detailedReasons comma-joined, one fieldViolation each (columns 1 and 53)', async () => {
    const filter = 'sleep.interval.civil_start_time >= "2026-03-01" AND sleep.interval.civil_start_time < "2026-03-08"';
    const a = await live.get(dp('sleep'), { filter });
    assert.equal(a.status, 400);
    checkError(a.body, 400, 'INVALID_ARGUMENT');
    const details = (a.body as { error: { details: Record<string, unknown>[] } }).error.details;
    assert.deepEqual(details, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'INVALID_DATA_POINT_FILTER',
        domain: 'health.googleapis.com',
        metadata: { detailedReasons: `${MEMBER},${MEMBER}` },
      },
      {
        '@type': 'type.googleapis.com/google.rpc.BadRequest',
        fieldViolations: [
          { field: 'filter', description: "Member 'sleep.interval.civil_start_time' is not supported for filtering. (at line 1, column 1)" },
          { field: 'filter', description: "Member 'sleep.interval.civil_start_time' is not supported for filtering. (at line 1, column 53)" },
        ],
      },
    ]);
    // one refused term of two: one entry
    const one = await live.get(dp('steps'), {
      filter: 'steps.interval.start_time >= "2024-03-09T00:00:00Z" AND steps.interval.end_time < "2024-03-10T00:00:00Z"',
    });
    const d1 = (one.body as { error: { details: { metadata?: { detailedReasons: string }; fieldViolations?: unknown[] }[] } }).error.details;
    assert.equal(d1[0]?.metadata?.detailedReasons, MEMBER);
    assert.equal(d1[1]?.fieldViolations?.length, 1);
  });

  test('members per type as seen live: sleep end_time / civil_end_time only; daily types only <type>.date; exercise civil_start_time (variant start_time)', async () => {
    const refused = async (cl: Client, type: string, member: string, value: string): Promise<boolean> => {
      const f = DATA_TYPES.get(type)?.filterId ?? '';
      const a = await cl.get(dp(type), { filter: `${f}.${member} >= "${value}"` });
      if (a.status === 200) return false;
      assert.equal(a.status, 400, a.text);
      assert.match(a.text, new RegExp(MEMBER));
      return true;
    };
    const T = '2024-03-09T00:00:00Z';
    assert.equal(await refused(live, 'sleep', 'interval.end_time', T), false);
    assert.equal(await refused(live, 'sleep', 'interval.civil_end_time', '2024-03-09'), false);
    assert.equal(await refused(live, 'sleep', 'interval.start_time', T), true);
    assert.equal(await refused(live, 'sleep', 'interval.civil_start_time', '2024-03-09'), true);
    for (const t of [
      'daily-resting-heart-rate',
      'daily-heart-rate-variability',
      'daily-oxygen-saturation',
      'daily-respiratory-rate',
      'daily-sleep-temperature-derivations',
    ]) {
      assert.equal(await refused(live, t, 'date', '2024-03-09'), false, t);
      assert.equal(await refused(live, t, 'civil_date', '2024-03-09'), true, t);
      assert.equal(await refused(live, t, 'interval.civil_start_time', '2024-03-09'), true, t);
    }
    assert.equal(await refused(live, 'exercise', 'interval.civil_start_time', '2024-03-09'), false);
    assert.equal(await refused(live, 'exercise', 'interval.start_time', T), true);
    const v = await startClient({ variant: { exerciseFilterMember: 'start_time' } });
    try {
      assert.equal(await refused(v, 'exercise', 'interval.start_time', T), false);
      assert.equal(await refused(v, 'exercise', 'interval.civil_start_time', '2024-03-09'), true);
    } finally {
      await v.close();
    }
  });

  test('dailyRollUp answers newest first (variant dailyRollUpOrder=oldest-first)', async () => {
    const req = { range: { start: { date: { year: 2024, month: 3, day: 8 } }, end: { date: { year: 2024, month: 3, day: 12 } } } };
    const days = (a: { body: unknown }): number[] =>
      (a.body as { rollupDataPoints: { civilStartTime: { date: { day: number } } }[] }).rollupDataPoints.map((w) => w.civilStartTime.date.day);
    assert.deepEqual(days(await live.post(dp('steps', ':dailyRollUp'), req)), [11, 10, 9, 8]);
    const v = await startClient({ variant: { dailyRollUpOrder: 'oldest-first' } });
    try {
      assert.deepEqual(days(await v.post(dp('steps', ':dailyRollUp'), req)), [8, 9, 10, 11]);
    } finally {
      await v.close();
    }
  });
});
