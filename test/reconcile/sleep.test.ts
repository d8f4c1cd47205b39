/** The sleep rule (src/reconcile/sleep.ts), pure: grouping, version choice, main vs nap. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { algorithmNumber, chooseSleeps, flattenSegments, groupSleeps } from '../../src/reconcile/sleep.js';
import type { SessionLayer, StoredSession } from '../../src/store/types.js';

const HOUR = 3_600_000;
/** 2026-04-12T00:00Z; sessions are in New York summer time (−4 h). */
const T0 = Date.UTC(2026, 3, 12);
let nextId = 1;

function sleep(layer: SessionLayer, version: string, startH: number, endH: number, mainSleep: boolean | null = null): StoredSession {
  return {
    id: nextId++,
    seq: 0,
    account: 'me',
    kind: 'sleep',
    source: 'Inspire 3',
    layer,
    version,
    start: T0 + startH * HOUR,
    startOffset: -240,
    end: T0 + endH * HOUR,
    endOffset: -240,
    externalId: null,
    mainSleep,
    segments: [],
    details: {},
  };
}

const pick = (r: { chosen: StoredSession[] }): string[] => r.chosen.map((s) => `${s.layer}:${s.version}@${(s.start - T0) / HOUR}:${s.mainSleep}`);

describe('chooseSleeps', () => {
  it('groups overlapping sessions of any layer; separate sleeps stay apart', () => {
    const a = sleep('takeout-json', '', 3, 10);
    const b = sleep('takeout-csv', 'sleep_session_v2', 5.5, 10.5);
    const nap = sleep('takeout-csv', 'sleep_session_v1', 18, 18.5);
    assert.deepEqual(
      groupSleeps([nap, b, a]).map((g) => g.length),
      [2, 1],
    );
  });

  it('newest: API > highest CSV version > JSON; legacy: JSON > v1 > other versions > API', () => {
    const all = [
      sleep('takeout-json', '', 3, 10, true),
      sleep('takeout-csv', 'sleep_session_v1', 3, 10),
      sleep('takeout-csv', 'sleep_session_v2', 3.2, 10.1),
      sleep('api', '', 3.1, 10),
    ];
    assert.deepEqual(pick(chooseSleeps(all, 'newest')), ['api:@3.1:true']);
    assert.deepEqual(pick(chooseSleeps(all.slice(0, 3), 'newest')), ['takeout-csv:sleep_session_v2@3.2:true']);
    assert.deepEqual(pick(chooseSleeps(all, 'legacy')), ['takeout-json:@3:true']);
    assert.deepEqual(pick(chooseSleeps(all.slice(1), 'legacy')), ['takeout-csv:sleep_session_v1@3:true']);
    assert.deepEqual(pick(chooseSleeps([all[2]!, all[3]!], 'legacy')), ['takeout-csv:sleep_session_v2@3.2:true']);
    // a UserSleeps row without algorithm_version (older exports) counts as v1: above the JSON log
    assert.deepEqual(pick(chooseSleeps([all[0]!, sleep('takeout-csv', '', 3, 10)], 'newest')), ['takeout-csv:@3:true']);
  });

  it('every session of the chosen version is kept: a night logged in two parts stays two', () => {
    const all = [sleep('takeout-json', '', 2, 10, true), sleep('takeout-csv', 'sleep_session_v2', 2, 5), sleep('takeout-csv', 'sleep_session_v2', 6, 10)];
    const r = chooseSleeps(all, 'newest');
    assert.deepEqual(pick(r), ['takeout-csv:sleep_session_v2@2:true', 'takeout-csv:sleep_session_v2@6:true']);
    assert.equal(r.alternatives.length, 1);
  });

  it('main vs nap: own flag, else inherited, else the longest sleep ending that local day', () => {
    // no flag anywhere: the longer one is the main sleep
    assert.deepEqual(pick(chooseSleeps([sleep('takeout-csv', 'sleep_session_v1', 3, 10), sleep('takeout-csv', 'sleep_session_v1', 18, 19)])), [
      'takeout-csv:sleep_session_v1@3:true',
      'takeout-csv:sleep_session_v1@18:false',
    ]);
    // a long nap on a day whose main sleep is known stays a nap
    assert.deepEqual(pick(chooseSleeps([sleep('api', '', 3, 5, true), sleep('takeout-csv', 'sleep_session_v1', 12, 19)])), [
      'api:@3:true',
      'takeout-csv:sleep_session_v1@12:false',
    ]);
    // inherited from the JSON version of the same sleep
    assert.deepEqual(pick(chooseSleeps([sleep('takeout-json', '', 18, 19, false), sleep('takeout-csv', 'sleep_session_v2', 18.1, 19)])), [
      'takeout-csv:sleep_session_v2@18.1:false',
    ]);
  });

  it('segments of two versions merged into one session are cut to the session, each instant once', () => {
    assert.deepEqual(
      flattenSegments(
        [
          { start: 0, end: 10, stage: 'light' },
          { start: 5, end: 20, stage: 'deep' },
          { start: 15, end: 30, stage: 'rem' },
        ],
        2,
        25,
      ),
      [
        { start: 2, end: 10, stage: 'light' },
        { start: 10, end: 20, stage: 'deep' },
        { start: 20, end: 25, stage: 'rem' },
      ],
    );
    assert.equal(algorithmNumber('sleep_stages_v2'), 2);
    assert.equal(algorithmNumber(''), 0);
  });
});
