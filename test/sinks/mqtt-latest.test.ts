/** The latest-values model (src/sinks/latest.ts) and account-name sanitising, on real SQLite stores. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { computeLatest, DailyHighWater, resolveTimezone } from '../../src/sinks/latest.js';
import { zoneNamed } from '../../src/time/index.js';
import { accountNames, idPart, topicSegment } from '../../src/sinks/mqtt/names.js';
import { LEGACY_JSON_SOURCE, type Sample, type SeriesKey, type SessionRecord, type Store } from '../../src/store/types.js';
import { Tmp } from '../support/tmp.js';

const tmp = new Tmp('fb-latest-');
after(() => tmp.cleanup());

const TZ = 'America/New_York';
const EX = { exportMs: Date.UTC(2026, 4, 1) };
/** Local New York time on 2026-04-<day> (EDT, UTC-4). */
function ny(h: number, m = 0, day = 6): number {
  return Date.UTC(2026, 3, day, h + 4, m);
}
function minutes(from: number, count: number, v: number | ((i: number) => number), offset = -240): Sample[] {
  return Array.from({ length: count }, (_, i) => ({ t: from + i * 60_000, offset, v: typeof v === 'number' ? v : v(i) }));
}
const key = (metric: SeriesKey['metric'], source = 'Inspire 3', account = 'me'): SeriesKey => ({ account, metric, source });

function latest(store: Store, now: number, tz = TZ) {
  return computeLatest(store, 'me', { now, timezone: tz });
}

describe('latest values', () => {
  test('an empty store: every value null', () => {
    const l = latest(tmp.store(), ny(12));
    for (const [k, r] of Object.entries(l.values)) {
      const expected =
        k === 'steps_last_60_min' ? { value: null, at: null, offset: null, ageS: null, through: null } : { value: null, at: null, offset: null, ageS: null };
      assert.deepEqual(r, expected, k);
    }
    assert.equal(l.localDate, '2026-04-06');
    assert.equal(l.dayStart, Date.UTC(2026, 3, 6, 4));
    assert.equal(l.dayEnd, Date.UTC(2026, 3, 7, 4));
  });

  test('steps today: merged per minute over the sources (tracker first), local day only, nothing after now', () => {
    const s = tmp.store();
    s.writeSamples(key('steps'), minutes(ny(7), 10, 10), EX); // 07:00–07:09 tracker
    s.writeSamples(key('steps', 'Fitbit App'), minutes(ny(7, 5), 10, 8), EX); // 07:05–07:14 phone, overlapping
    s.writeSamples(key('steps', LEGACY_JSON_SOURCE), minutes(ny(7, 20), 10, 0), EX); // zero minutes
    s.writeSamples(key('steps'), minutes(ny(23, 59, 5), 1, 500), EX); // yesterday 23:59 local (03:59Z today)
    s.writeSamples(key('steps'), minutes(ny(13), 1, 777), EX); // in the future of `now`
    const l = latest(s, ny(8));
    assert.equal(l.values.steps_today.value, 50 + 50 + 40);
    assert.equal(l.values.steps_today.at, ny(7, 29));
    assert.equal(l.values.steps_today.offset, -240);
    assert.equal(l.values.steps_today.ageS, 31 * 60);
    // the last 60 minutes at 08:00 hold 07:00 … 08:00
    assert.equal(l.values.steps_last_60_min.value, 140);
    const later = latest(s, ny(8, 10));
    // explicit: at 08:10 the window starts at 07:10 → 07:10–07:14 phone (8 × 5)
    assert.equal(later.values.steps_last_60_min.value, 40);
    assert.equal(latest(s, ny(9)).values.steps_last_60_min.value, 0);
    assert.equal(latest(s, ny(9)).values.steps_last_60_min.through, ny(7, 29), 'an empty window: the newest steps sample still tells how fresh it is');
    assert.equal(latest(s, ny(14)).values.steps_today.value, 140 + 777);
    // the next local day starts from zero
    const tomorrow = latest(s, ny(0, 30, 7));
    assert.equal(tomorrow.values.steps_today.value, 0);
    assert.equal(tomorrow.values.steps_today.at, null);
    assert.equal(tomorrow.localDate, '2026-04-07');
  });

  test('calories, distance and floors today are summed the same way', () => {
    const s = tmp.store();
    s.writeSamples(key('calories', 'rollup'), minutes(ny(0), 600, 1.2), EX);
    s.writeSamples(key('distance'), minutes(ny(7), 10, 12.34), EX);
    s.writeSamples(key('floors'), minutes(ny(7), 3, 1), EX);
    const l = latest(s, ny(10));
    assert.equal(l.values.calories_today.value, 720);
    assert.equal(l.values.distance_today.value, 123.4);
    assert.equal(l.values.floors_today.value, 3);
  });

  test('current heart rate: the newest sample of any source at or before now', () => {
    const s = tmp.store();
    s.writeSamples(
      key('heart_rate'),
      [
        { t: ny(9), offset: -240, v: 61 },
        { t: ny(9, 1), offset: -240, v: 62 },
      ],
      EX,
    );
    s.writeSamples(
      key('heart_rate', 'Pixel Watch'),
      [
        { t: ny(9, 2), offset: -240, v: 70 },
        { t: ny(11), offset: -240, v: 99 },
      ],
      EX,
    );
    const l = latest(s, ny(10));
    assert.deepEqual(l.values.heart_rate, { value: 70, at: ny(9, 2), offset: -240, ageS: 58 * 60 });
    assert.equal(latest(s, ny(11)).values.heart_rate.value, 99);
    assert.equal(l.values.newest_sample.value, ny(9, 2));
  });

  test('daily values: the newest day wins (stamped at local midnight)', () => {
    const s = tmp.store();
    s.writeSamples(
      key('resting_heart_rate'),
      [
        { t: ny(0, 0, 5), offset: -240, v: 57 },
        { t: ny(0, 0, 6), offset: -240, v: 55 },
      ],
      EX,
    );
    s.writeSamples(key('hrv_daily_rmssd'), [{ t: ny(0, 0, 6), offset: -240, v: 41.234 }], EX);
    s.writeSamples(key('spo2_daily_avg'), [{ t: ny(0, 0, 6), offset: -240, v: 96.1 }], EX);
    s.writeSamples(key('respiratory_rate'), [{ t: ny(0, 0, 6), offset: -240, v: 14.2 }], EX);
    const l = latest(s, ny(12));
    assert.equal(l.values.resting_heart_rate.value, 55);
    assert.equal(l.values.resting_heart_rate.at, ny(0));
    assert.equal(l.values.hrv.value, 41.23);
    assert.equal(l.values.spo2.value, 96.1);
    assert.equal(l.values.breathing_rate.value, 14.2);
  });

  test("sleep: the stage now or the last stage, and last night's time asleep (naps do not count)", () => {
    const s = tmp.store();
    const night: SessionRecord = {
      account: 'me',
      kind: 'sleep',
      source: 'Inspire 3',
      layer: 'api',
      start: ny(23, 0, 5),
      startOffset: -240,
      end: ny(7),
      endOffset: -240,
      mainSleep: true,
      segments: [
        { start: ny(23, 0, 5), end: ny(23, 30, 5), stage: 'light' },
        { start: ny(23, 30, 5), end: ny(2), stage: 'deep' },
        { start: ny(2), end: ny(6, 50), stage: 'rem' },
        { start: ny(6, 50), end: ny(7), stage: 'wake' },
      ],
      details: {},
    };
    s.upsertSession(night);
    s.upsertSession({ ...night, start: ny(14), end: ny(14, 30), mainSleep: false, segments: [{ start: ny(14), end: ny(14, 30), stage: 'light' }] });
    const during = latest(s, ny(3));
    assert.equal(during.values.sleep_stage.value, 'rem');
    assert.equal(during.values.sleep_stage.at, ny(2));
    assert.equal(during.values.sleep_stage.through, ny(6, 50), 'the stage holds until its segment ends');
    // 03:00: this night has not ended; last night is the one before (none)
    assert.equal(during.values.sleep_duration.value, null);
    const noon = latest(s, ny(12));
    assert.equal(noon.values.sleep_stage.value, 'wake');
    assert.equal(noon.values.sleep_stage.through, ny(7), 'the last stage of a sleep that has ended: through its end, before now');
    assert.equal(noon.values.sleep_duration.value, 30 + 150 + 290);
    assert.equal(noon.values.sleep_duration.at, ny(7));
    const evening = latest(s, ny(20));
    assert.equal(evening.values.sleep_stage.value, 'light', 'the nap is the newest session');
    assert.equal(evening.values.sleep_duration.value, 470, 'the nap is not last night');
    // the figure is the stages' time asleep (sleepDayFigures), whatever the provider's minutesAsleep says
    s.upsertSession({ ...night, details: { minutesAsleep: 455 } });
    assert.equal(latest(s, ny(12)).values.sleep_duration.value, 470);
    // another version of the same night (Takeout UserSleeps v2, 20 min later) is the same sleep: counted once
    s.upsertSession({
      ...night,
      layer: 'takeout-csv',
      version: 'sleep_session_v2',
      mainSleep: null,
      start: ny(23, 20, 5),
      segments: [
        { start: ny(23, 20, 5), end: ny(3), stage: 'deep' },
        { start: ny(3), end: ny(7), stage: 'light' },
      ],
    });
    assert.equal(latest(s, ny(12)).values.sleep_duration.value, 470, 'the API session is the newest version');
    // two days later it is no longer "last night"
    assert.equal(latest(s, ny(12, 0, 8)).values.sleep_duration.value, null);
  });

  test('local days follow the zone, DST included', () => {
    // 2026-03-08: New York springs forward, the day has 23 hours
    const d = zoneNamed(TZ).dayAt(Date.UTC(2026, 2, 8, 12));
    assert.deepEqual(d, { date: '2026-03-08', start: Date.UTC(2026, 2, 8, 5), end: Date.UTC(2026, 2, 9, 4) });
    const f = zoneNamed(TZ).dayAt(Date.UTC(2026, 10, 1, 12));
    assert.equal(f.end - f.start, 25 * 3_600_000);
    assert.deepEqual(zoneNamed('Asia/Tokyo').dayAt(Date.UTC(2026, 3, 6, 23, 30)), {
      date: '2026-04-07',
      start: Date.UTC(2026, 3, 6, 15),
      end: Date.UTC(2026, 3, 7, 15),
    });
  });

  test('the zone comes from the config, else the store, else UTC', () => {
    const s = tmp.store();
    assert.deepEqual(resolveTimezone(s, 'me'), { timezone: 'UTC', from: 'default' });
    s.setAccount({ name: 'me', profileId: null, timezone: 'Europe/Berlin' });
    assert.deepEqual(resolveTimezone(s, 'me'), { timezone: 'Europe/Berlin', from: 'store' });
    assert.deepEqual(resolveTimezone(s, 'me', TZ), { timezone: TZ, from: 'config' });
  });
});

describe('daily high water', () => {
  test('a total never drops within a local day; a new day starts over', () => {
    const s = tmp.store();
    s.writeSamples(key('steps', LEGACY_JSON_SOURCE), minutes(ny(7), 10, 10), EX);
    const g = new DailyHighWater();
    const a = latest(s, ny(8));
    assert.equal(g.apply(a), true);
    assert.equal(a.values.steps_today.value, 100);
    // re-attribution in two steps: removed from one source, not yet written to the other
    assert.equal(s.removeMatching(key('steps', LEGACY_JSON_SOURCE), minutes(ny(7), 10, 10), 0.5), 10);
    const b = latest(s, ny(8, 1));
    assert.equal(b.values.steps_today.value, 0, 'the store alone would drop');
    g.apply(b);
    assert.equal(b.values.steps_today.value, 100, "the guard holds the day's maximum");
    s.writeSamples(key('steps'), minutes(ny(7), 10, 10), EX);
    const c = latest(s, ny(8, 2));
    g.apply(c);
    assert.equal(c.values.steps_today.value, 100);
    // survives a restart through its state
    const g2 = new DailyHighWater(JSON.parse(JSON.stringify(g.state())) as ReturnType<typeof g.state>);
    s.removeMatching(key('steps'), minutes(ny(7), 10, 10), 0.5);
    const d = latest(s, ny(9));
    g2.apply(d);
    assert.equal(d.values.steps_today.value, 100);
    // midnight: back to what the new day holds
    const e = latest(s, ny(0, 1, 7));
    assert.equal(g2.apply(e), true);
    assert.equal(e.values.steps_today.value, 0);
  });
});

describe('account names for topics and ids', () => {
  test('sanitised and collision-free', () => {
    assert.equal(topicSegment('alice'), 'alice');
    assert.equal(topicSegment('Al+ice/#x'), 'Al_ice__x');
    assert.equal(topicSegment('bridge'), 'bridge_account');
    assert.equal(idPart('Alice.Smith-2'), 'alice_smith_2');
    assert.equal(idPart('...'), 'x');
    const n = accountNames(['Alice', 'alice', 'bob']);
    assert.equal(n.get('bob')?.id, 'bob');
    assert.notEqual(n.get('Alice')?.id, n.get('alice')?.id);
    assert.match(n.get('Alice')?.id ?? '', /^alice_[0-9a-f]{6}$/);
    assert.equal(n.get('Alice')?.topic, 'Alice');
    assert.equal(n.get('alice')?.topic, 'alice');
    assert.deepEqual(accountNames(['Alice', 'alice']), accountNames(['Alice', 'alice']), 'stable');
  });
});
