/**
 * A Takeout import and an API sync of the same days merge instead of doubling: after importing a
 * synthetic export, syncing the same (seeded) user from the emulator adds nothing to the device
 * series the API has exact counterparts for, changes no value (int64 roundings keep the Takeout
 * decimals), and the resolved sessions are one per night / workout (the api layer wins).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { syncAccount } from '../../src/sources/google-health/sync.js';
import { importTakeout } from '../../src/sources/takeout/import.js';
import { silentLogger } from '../../src/util/log.js';
import { generate, Tmp as ITmp } from '../integration/helpers.js';
import { ACCOUNT, FIRST, NOW, SEED, TZ, Tmp, authorizeAccount, clientFor, emulator, syncConfig } from './helpers.js';
import { rangeTotals } from '../../src/synthetic/index.js';
import { DEFAULT_VARIANTS } from '../../src/emulator/health-api.js';
import { COMPANIONS, dataSourceOf } from '../../src/emulator/health-api/sources.js';
import { sourceLabel } from '../../src/sources/google-health/mapping.js';

const tmp = new Tmp();
const itmp = new ITmp();
after(() => {
  tmp.cleanup();
  itmp.cleanup();
});

/** Sources only the API has (the emulator's companions: Fitbit Air, Health Connect, manual sleep), by the bridge's names. */
const API_ONLY = new Set(COMPANIONS.map((src) => sourceLabel(dataSourceOf(src, DEFAULT_VARIANTS))));

/** Types stored in series of their own (no Takeout counterpart, or no device breakdown). */
const OWN_SERIES = new Set(['total-calories', 'floors', 'active-energy-burned', 'respiratory-rate-sleep-summary']);

describe('Takeout import + API sync of the same days', () => {
  it('the sync adds nothing to the imported device series and the sessions resolve to one each', async () => {
    // the export covers 2026-03-02 … 2026-03-09 (+ the partial export day); the emulator serves FIRST … LAST inside it
    const g = await generate(itmp, { format: 'dir', days: 8, endDate: '2026-03-09' });
    assert.equal(g.stats.startDate, FIRST);
    const store = tmp.store();
    const imp = await importTakeout({ paths: g.inputs, account: ACCOUNT, store, logger: silentLogger() });
    assert.equal(imp.exitCode, 0);
    const emu = await emulator();
    const client = clientFor(emu, await authorizeAccount(emu, tmp.mkdir('tokens')));
    try {
      const r = await syncAccount({ store, client, account: ACCOUNT, timezone: TZ, mode: 'all', config: syncConfig(), now: () => NOW });
      const bad: string[] = [];
      for (const [id, t] of Object.entries(r.types)) {
        assert.equal(t.error, undefined, `${id}: ${t.error}`);
        if (OWN_SERIES.has(id) || id === 'sleep' || id === 'exercise') continue;
        assert.ok(t.points > 0, `${id}: the API had data`);
        if (t.added !== 0 || t.changed !== 0) bad.push(`${id}: ${t.added} added, ${t.changed} changed`);
      }
      assert.deepEqual(bad, []);
      assert.ok((r.types['active-energy-burned']?.added ?? 0) > 0, 'active energy: API only');
      // the emulator's days: sessions whose dateOfSleep / start day lies in FIRST … LAST
      const truth = rangeTotals({ seed: SEED, timezone: TZ, startDate: FIRST, days: 7 });
      for (const kind of ['sleep', 'exercise'] as const) {
        const api = store.sessions(ACCOUNT, kind, -Infinity, Infinity, { resolve: false }).filter((s) => s.layer === 'api' && !API_ONLY.has(s.source));
        const want = Object.values(truth[kind] ?? {}).reduce((a, x) => a + x.count, 0);
        assert.equal(api.length, want, `${kind}: api sessions`);
        const from = Math.min(...api.map((s) => s.start)),
          to = Math.max(...api.map((s) => s.end));
        const resolved = store.sessions(ACCOUNT, kind, from, to).filter((s) => !API_ONLY.has(s.source));
        assert.equal(resolved.length, want, `${kind}: one resolved session each`);
        assert.ok(
          resolved.every((s) => s.layer === 'api'),
          `${kind}: the api layer is preferred`,
        );
        const takeout = store.sessions(ACCOUNT, kind, from, to, { resolve: false }).filter((s) => s.layer === 'takeout-csv');
        // (UserExercises_*.csv has no data-source column: the importer names it "Google export")
        const key = (s: { start: number; end: number; source: string }) => [s.start, s.end, kind === 'exercise' ? '' : s.source];
        if (kind === 'sleep') {
          // UserSleeps lists each sleep once per algorithm version: the API serves the newest one (v2)
          const csvKeys = new Set(takeout.map((s) => JSON.stringify(key(s))));
          const missing = api.filter((s) => !csvKeys.has(JSON.stringify(key(s))));
          assert.deepEqual(missing.map(key), [], `${kind}: every API sleep has a Takeout CSV version with the same start, end and device`);
        } else assert.deepEqual(takeout.map(key), api.map(key), `${kind}: same start, end and device as the Takeout CSV layer`);
      }
    } finally {
      await client.close();
      await emu.close();
    }
  });
});
