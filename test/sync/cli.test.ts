/** `fitbit-bridge sync` / `rebuild` as real processes against the emulator (configuration through the environment). */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { GoogleEmulator } from '../../src/emulator/index.js';
import { storeDigest } from '../../src/store/digest.js';
import { openStore } from '../../src/store/store.js';
import { ROOT_DIR } from '../integration/helpers.js';
import { Tmp, authorizeAccount, emulator, runNode, syncEnv } from './helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());
const CLI = join(ROOT_DIR, 'test/sync/child-cli.ts');

function digestOf(db: string): string {
  const s = openStore(db);
  try {
    return storeDigest(s);
  } finally {
    s.close();
  }
}

describe('fitbit-bridge sync / rebuild', () => {
  let emu: GoogleEmulator;
  let home = '';
  let tokens = '';
  const db = tmp.dbPath();
  const run = (args: string[]) => runNode([CLI, '--db', db, ...args], syncEnv(home, emu, tokens));

  before(async () => {
    // the current day is served up to now: a real-time sync of the last 3 days
    emu = await emulator({ firstDay: undefined, lastDay: undefined, days: 3 });
    home = tmp.mkdir('home');
    tokens = tmp.mkdir('tokens');
  });
  after(async () => {
    await emu.close();
  });

  it('--dry-run shows the plan (requests, ETA at the quota) without a request or an authorisation', async () => {
    const before = emu.api.requests;
    const r = await run(['sync', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sync plan for default \(mode all, nothing fetched\):/);
    assert.match(r.stdout, /heart-rate\s+list/);
    assert.match(r.stdout, /total-calories\s+rollUp/);
    assert.match(r.stdout, /about \d+ requests, .* at the quota of 100000 requests\/minute/);
    assert.match(r.stdout, /not per device/);
    assert.equal(emu.api.requests, before);
  });

  it('not authorised: a clear message naming the auth command, exit code 2', async () => {
    const r = await run(['sync', '--no-progress']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^fitbit-bridge: account default is not authorised yet\. Run fitbit-bridge auth --account default/);
  });

  it('an unknown --type is a usage error', async () => {
    const r = await run(['sync', '--type', 'heartrate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown Google Health data type "heartrate"/);
  });

  it('syncs and prints a summary; a second run adds nothing', async () => {
    await authorizeAccount(emu, tokens);
    const r = await run(['sync', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^synced default \(mode all\): \d+ requests, \d+ pages, [1-9]\d* samples added/);
    assert.match(r.stdout, /heart-rate\s+\d+\s+\d+\s+[1-9]\d*/);
    const again = await run(['sync', '--no-progress', '--mode', 'recent', '--type', 'heart-rate,steps']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^synced default \(mode recent\): \d+ requests/);
    assert.doesNotMatch(again.stdout, /sleep/);
  });

  it('rebuild --into re-derives the same store from the raw pages', async () => {
    const into = tmp.dbPath();
    const r = await run(['rebuild', '--into', into]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^rebuilt default from \d+ raw pages/);
    assert.equal(digestOf(into), digestOf(db));
  });
});
