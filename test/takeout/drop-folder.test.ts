/**
 * The Takeout drop folder (src/sources/takeout/drop-folder.ts) with real files, real stores and
 * real synthetic exports; time is an injected clock and scan() is called directly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { STATE_KEYS } from '../../src/store/state-keys.js';
import { DropFolderWatcher, dropGroupOf, type DropEvent } from '../../src/sources/takeout/drop-folder.js';
import { importTakeout, type ImportSummary } from '../../src/sources/takeout/import.js';
import { storeDigest } from '../../src/store/digest.js';
import type { Store } from '../../src/store/types.js';
import { archiveBaseName, exportInstant, generateTakeout } from '../../src/synthetic/index.js';
import { silentLogger } from '../../src/util/log.js';
import { loadConfig } from '../../src/config/load.js';
import { dropFolderPart } from '../../src/sources/takeout/drop-folder-part.js';
import { bufferLogger } from '../auth/helpers.js';
import { partContext } from '../support/part-context.js';
import { Tmp } from '../support/tmp.js';

const SETTLE = 120_000;
const ACCOUNT = 'default';

const tmp = new Tmp('fb-drop-');
let single = '';
let parts: string[] = [];
let extracted = '';
let tgz = '';

before(async () => {
  single = (await generateTakeout({ out: tmp.mkdir('gen-single'), format: 'zip', days: 3, seed: 11 })).files[0] as string;
  parts = (await generateTakeout({ out: tmp.mkdir('gen-parts'), format: 'zip', days: 4, parts: 3, endDate: '2026-03-31', seed: 11 })).files;
  tgz = (await generateTakeout({ out: tmp.mkdir('gen-tgz'), format: 'tgz', days: 2, endDate: '2026-02-28', seed: 11 })).files[0] as string;
  extracted = join(tmp.mkdir('gen-dir'), `${archiveBaseName(exportInstant('2026-01-31'))}-001`);
  await generateTakeout({ out: extracted, format: 'dir', days: 2, endDate: '2026-01-31', seed: 11 });
  assert.equal(parts.length, 3);
});

after(() => tmp.cleanup());

interface Rig {
  drop: string;
  store: Store;
  calls: string[][];
  clock: { t: number };
  watcher: DropFolderWatcher;
  /** A new watcher on the same store and folder (a restart of `run`). */
  restart(): DropFolderWatcher;
  scanAt(dt: number): Promise<DropEvent[]>;
  log: () => string;
}

function rig(opts: { hashBytes?: number } = {}): Rig {
  const drop = tmp.mkdir('drop');
  const store = tmp.store();
  const calls: string[][] = [];
  const clock = { t: 1_700_000_000_000 };
  const { logger, text } = bufferLogger();
  const importer = (paths: string[]): Promise<ImportSummary> => {
    calls.push(paths.map((p) => basename(p)));
    return importTakeout({ paths, account: ACCOUNT, store, logger: silentLogger() });
  };
  const make = (): DropFolderWatcher =>
    new DropFolderWatcher({
      dir: drop,
      account: ACCOUNT,
      store,
      logger,
      settleMs: SETTLE,
      clock: () => clock.t,
      importer,
      ...(opts.hashBytes !== undefined ? { hashBytes: opts.hashBytes } : {}),
    });
  const r: Rig = {
    drop,
    store,
    calls,
    clock,
    watcher: make(),
    log: text,
    restart: () => {
      r.watcher = make();
      return r.watcher;
    },
    scanAt: async (dt: number) => {
      clock.t += dt;
      return r.watcher.scan();
    },
  };
  return r;
}

const kinds = (evs: DropEvent[]): string[] => evs.map((e) => `${e.kind}:${e.group}`);

function samples(store: Store): number {
  return store.listSeries().reduce((a, s) => a + s.count, 0);
}

async function digestOf(paths: string[]): Promise<string> {
  const s = tmp.store();
  const r = await importTakeout({ paths, account: ACCOUNT, store: s, logger: silentLogger() });
  assert.equal(r.exitCode, 0);
  return storeDigest(s);
}

test('part names group by the name before the part number', () => {
  assert.deepEqual(dropGroupOf('takeout-20260401T120000Z-001.zip', false), { group: 'takeout-20260401T120000Z.zip', part: 1 });
  assert.deepEqual(dropGroupOf('takeout-20260401T120000Z-012.TGZ', false), { group: 'takeout-20260401T120000Z.tgz', part: 12 });
  assert.deepEqual(dropGroupOf('takeout-20260401T120000Z-002.tar.gz', false), { group: 'takeout-20260401T120000Z.tar.gz', part: 2 });
  assert.deepEqual(dropGroupOf('my export.zip', false), { group: 'my export.zip', part: null });
  assert.deepEqual(dropGroupOf('takeout-20260401T120000Z-001', true), { group: 'takeout-20260401T120000Z/', part: 1 });
  assert.deepEqual(dropGroupOf('Takeout', true), { group: 'Takeout/', part: null });
});

describe('drop folder', () => {
  test('a new archive is imported once, after it settled; a restart does not import it again', async () => {
    const r = rig();
    const name = basename(single);
    copyFileSync(single, join(r.drop, name));
    writeFileSync(join(r.drop, '.takeout-x.zip.part'), 'partial download');
    writeFileSync(join(r.drop, 'notes.txt'), 'not an export');

    assert.deepEqual(kinds(await r.scanAt(0)), ['waiting:takeout-20260501T120000Z.zip']);
    assert.deepEqual(kinds(await r.scanAt(SETTLE - 1)), ['waiting:takeout-20260501T120000Z.zip']);
    assert.equal(r.calls.length, 0);
    const evs = await r.scanAt(1);
    assert.deepEqual(kinds(evs), ['imported:takeout-20260501T120000Z.zip']);
    assert.deepEqual(r.calls, [[name]]);
    const n = samples(r.store);
    assert.ok(n > 1000, `samples stored: ${n}`);
    assert.match(evs[0]?.detail ?? '', /imported \d+ files/);

    assert.deepEqual(await r.scanAt(1000), []);
    assert.deepEqual(await r.scanAt(10 * SETTLE), []);
    assert.equal(r.calls.length, 1);

    // the record is in the store's key/value state
    const state = JSON.parse(r.store.getState(STATE_KEYS.dropFolder) ?? 'null') as { imported: { name: string; hash: string }[] };
    assert.deepEqual(
      state.imported.map((x) => x.name),
      [name],
    );
    assert.match(state.imported[0]?.hash ?? '', /^[0-9a-f]{64}$/);

    r.restart();
    assert.deepEqual(await r.scanAt(0), [], 'known by name, size and mtime: not even hashed again');
    assert.deepEqual(await r.scanAt(SETTLE), []);
    assert.equal(r.calls.length, 1);
    assert.equal(samples(r.store), n);
  });

  test('the same archive again, renamed or touched, is not imported again', async () => {
    const r = rig({ hashBytes: 64 * 1024 }); // head + tail hashing on a file larger than 2 × 64 KiB
    const name = basename(single);
    copyFileSync(single, join(r.drop, name));
    await r.scanAt(0);
    assert.deepEqual(kinds(await r.scanAt(SETTLE)), ['imported:takeout-20260501T120000Z.zip']);
    const seq = r.store.currentSeq();

    copyFileSync(single, join(r.drop, 'fitbit copy.zip'));
    assert.deepEqual(kinds(await r.scanAt(0)), ['waiting:fitbit copy.zip']);
    const evs = await r.scanAt(SETTLE);
    assert.deepEqual(kinds(evs), ['duplicate:fitbit copy.zip']);
    assert.match(evs[0]?.detail ?? '', new RegExp(`same content as ${name.replace(/[.]/g, '\\.')}`));

    // the original touched (new mtime, same bytes): hashed again, still a duplicate
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(r.drop, name), later, later);
    await r.scanAt(0);
    assert.deepEqual(kinds(await r.scanAt(SETTLE)), ['duplicate:takeout-20260501T120000Z.zip']);

    assert.equal(r.calls.length, 1);
    assert.equal(r.store.currentSeq(), seq, 'nothing was written to the store');
    assert.deepEqual(await r.scanAt(SETTLE), []);
  });

  test('a half-copied archive is waited for, then imported once it is complete', async () => {
    const r = rig();
    const bytes = readFileSync(single);
    const target = join(r.drop, basename(single));
    const half = Math.floor(bytes.length / 2);
    writeFileSync(target, bytes.subarray(0, half));
    assert.deepEqual(kinds(await r.scanAt(0)), ['waiting:takeout-20260501T120000Z.zip']);
    assert.deepEqual(kinds(await r.scanAt(SETTLE / 2)), ['waiting:takeout-20260501T120000Z.zip']);
    // the copy goes on before the half settled: the settle window starts again
    appendFileSync(target, bytes.subarray(half));
    assert.deepEqual(kinds(await r.scanAt(SETTLE / 2)), ['waiting:takeout-20260501T120000Z.zip']);
    assert.deepEqual(kinds(await r.scanAt(SETTLE - 1)), ['waiting:takeout-20260501T120000Z.zip']);
    assert.equal(r.calls.length, 0);
    assert.deepEqual(kinds(await r.scanAt(1)), ['imported:takeout-20260501T120000Z.zip']);
    assert.equal(r.calls.length, 1);
    assert.equal(storeDigest(r.store), await digestOf([single]));
  });

  test('a half-copied archive that stalls past the settle window is reported, not imported, and imported when the rest arrives', async () => {
    const r = rig();
    const bytes = readFileSync(single);
    const target = join(r.drop, basename(single));
    const half = Math.floor(bytes.length / 2);
    writeFileSync(target, bytes.subarray(0, half));
    await r.scanAt(0);
    const evs = await r.scanAt(SETTLE);
    assert.deepEqual(kinds(evs), ['failed:takeout-20260501T120000Z.zip']);
    assert.match(evs[0]?.detail ?? '', /truncated or incomplete/);
    assert.equal(r.calls.length, 0, 'a truncated zip never reaches the importer');
    assert.equal(samples(r.store), 0);
    assert.deepEqual(await r.scanAt(SETTLE), [], 'not retried while unchanged');

    appendFileSync(target, bytes.subarray(half));
    assert.deepEqual(kinds(await r.scanAt(0)), ['waiting:takeout-20260501T120000Z.zip']);
    assert.deepEqual(kinds(await r.scanAt(SETTLE)), ['imported:takeout-20260501T120000Z.zip']);
    assert.equal(r.calls.length, 1);
    assert.equal(storeDigest(r.store), await digestOf([single]));
    const state = JSON.parse(r.store.getState(STATE_KEYS.dropFolder) ?? 'null') as { failed: unknown[] };
    assert.deepEqual(state.failed, [], 'the failure record is cleared by the import');
  });

  test('a multi-part export is imported as one, once every part is there and settled', async () => {
    const r = rig();
    const names = parts.map((p) => basename(p));
    copyFileSync(parts[0] as string, join(r.drop, names[0] as string));
    copyFileSync(parts[2] as string, join(r.drop, names[2] as string));
    assert.deepEqual(
      (await r.scanAt(0)).map((e) => e.detail),
      ['waiting for part 002'],
    );
    const w = await r.scanAt(5 * SETTLE);
    assert.deepEqual(
      w.map((e) => e.detail),
      ['waiting for part 002'],
      'settled parts wait for the missing one',
    );
    assert.equal(r.calls.length, 0);

    copyFileSync(parts[1] as string, join(r.drop, names[1] as string));
    const w2 = await r.scanAt(0);
    assert.equal(w2[0]?.kind, 'waiting');
    assert.match(w2[0]?.detail ?? '', new RegExp(`waiting for ${names[1]} to stop changing`));
    assert.deepEqual(kinds(await r.scanAt(SETTLE)), ['imported:takeout-20260401T120000Z.zip']);
    assert.deepEqual(r.calls, [names], 'one import of all three parts, in part order');
    assert.equal(storeDigest(r.store), await digestOf(parts));
    assert.deepEqual(await r.scanAt(SETTLE), []);
  });

  test('a broken archive that never completes is reported once and retried only when it changes, also across restarts', async () => {
    const r = rig();
    const target = join(r.drop, 'takeout-20260601T120000Z-001.zip');
    // zip magic, then garbage: looks like a zip, has no central directory
    writeFileSync(target, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(5000, 7)]));
    await r.scanAt(0);
    const evs = await r.scanAt(SETTLE);
    assert.deepEqual(kinds(evs), ['failed:takeout-20260601T120000Z.zip']);
    assert.match(r.log(), /takeout-20260601T120000Z-001\.zip/, 'the log names the file');
    assert.match(r.log(), /not imported/);
    for (let i = 0; i < 5; i++) assert.deepEqual(await r.scanAt(SETTLE), []);
    assert.equal(r.calls.length, 0);

    r.restart();
    await r.scanAt(0);
    assert.deepEqual(await r.scanAt(SETTLE), [], 'a restart does not retry it either');
    assert.deepEqual(await r.scanAt(SETTLE), []);

    appendFileSync(target, Buffer.alloc(100, 1)); // changed, still broken
    assert.deepEqual(kinds(await r.scanAt(0)), ['waiting:takeout-20260601T120000Z.zip']);
    assert.deepEqual(kinds(await r.scanAt(SETTLE)), ['failed:takeout-20260601T120000Z.zip']);
    assert.deepEqual(await r.scanAt(SETTLE), []);
    assert.equal(r.calls.length, 0);
    assert.equal(samples(r.store), 0);
  });

  test('an import that fails is reported and retried only when the file changes', async () => {
    const r = rig();
    // a complete zip of another Fitbit profile than the account's earlier imports: refused by the importer
    await importTakeout({ paths: [single], account: ACCOUNT, store: r.store, logger: silentLogger() });
    r.store.write(() => r.store.setAccount({ name: ACCOUNT, profileId: 'SOMEONE-ELSE', timezone: 'America/New_York' }));
    const name = basename(tgz);
    assert.equal(name, 'takeout-20260301T120000Z-001.tgz');
    copyFileSync(tgz, join(r.drop, name));
    await r.scanAt(0);
    const evs = await r.scanAt(SETTLE);
    assert.deepEqual(kinds(evs), ['failed:takeout-20260301T120000Z.tgz']);
    assert.match(evs[0]?.detail ?? '', /profile/);
    assert.equal(r.calls.length, 1);
    assert.deepEqual(await r.scanAt(SETTLE), []);
    assert.equal(r.calls.length, 1, 'not retried while unchanged');

    // the account mix-up is fixed and the file touched: tried again, imported
    r.store.write(() => r.store.setAccount({ name: ACCOUNT, profileId: null, timezone: 'America/New_York' }));
    const later = new Date(Date.now() + 120_000);
    utimesSync(join(r.drop, name), later, later);
    await r.scanAt(0);
    assert.deepEqual(kinds(await r.scanAt(SETTLE)), ['imported:takeout-20260301T120000Z.tgz']);
    assert.equal(r.calls.length, 2);
  });

  test('an extracted folder dropped in is imported once it settled', async () => {
    const r = rig();
    const target = join(r.drop, basename(extracted));
    cpSync(extracted, target, { recursive: true });
    assert.deepEqual(kinds(await r.scanAt(0)), ['waiting:takeout-20260201T120000Z/']);
    // a file added while "extracting": the folder changed, the window starts again
    writeFileSync(join(target, 'Takeout', 'archive_browser.html'), '<html></html>');
    assert.deepEqual(kinds(await r.scanAt(SETTLE - 1)), ['waiting:takeout-20260201T120000Z/']);
    assert.equal(r.calls.length, 0);
    assert.deepEqual(kinds(await r.scanAt(SETTLE)), ['imported:takeout-20260201T120000Z/']);
    assert.deepEqual(r.calls, [[basename(extracted)]]);
    assert.ok(samples(r.store) > 100);
    assert.deepEqual(await r.scanAt(SETTLE), []);
  });

  test('a drop folder that does not exist yet is waited for', async () => {
    const r = rig();
    const w = new DropFolderWatcher({
      dir: join(r.drop, 'later'),
      account: ACCOUNT,
      store: r.store,
      logger: silentLogger(),
      settleMs: SETTLE,
      clock: () => r.clock.t,
    });
    assert.deepEqual(await w.scan(), []);
    mkdirSync(join(r.drop, 'later'));
    copyFileSync(single, join(r.drop, 'later', basename(single)));
    r.clock.t += 1;
    assert.deepEqual(kinds(await w.scan()), ['waiting:takeout-20260501T120000Z.zip']);
    r.clock.t += SETTLE;
    assert.deepEqual(kinds(await w.scan()), ['imported:takeout-20260501T120000Z.zip']);
  });
});

describe('the run part', () => {
  test('imports what is dropped while run is up (fs.watch hint or poll), and stops cleanly', async () => {
    const drop = tmp.mkdir('ext-drop');
    const cfgFile = join(tmp.mkdir('ext-cfg'), 'config.yaml');
    writeFileSync(
      cfgFile,
      `store:\n  path: ${tmp.dbPath()}\naccounts:\n  - name: alice\n  - name: bob\ntakeout:\n  drop_folder: ${drop}\n  drop_poll_seconds: 1\n  drop_settle_seconds: 0\n  drop_account: bob\n`,
    );
    const config = loadConfig({ env: {}, file: cfgFile });
    assert.equal(config.takeout.drop_account, 'bob');
    const store = tmp.store(config.store.path);
    const { ctx, close } = partContext({ config, store });
    const ext = dropFolderPart({ hintDelayMs: 50 });
    await ext.start(ctx);
    try {
      copyFileSync(single, join(drop, basename(single)));
      const deadline = Date.now() + 15_000;
      while (store.listSeries({ account: 'bob' }).length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      assert.ok(store.listSeries({ account: 'bob' }).length > 0, 'imported into drop_account');
      assert.equal(store.listSeries({ account: 'alice' }).length, 0);
    } finally {
      await ext.stop();
      await close();
    }
  });

  test('an unknown drop_account stops run at start with a clear message', async () => {
    const cfgFile = join(tmp.mkdir('ext-cfg'), 'config.yaml');
    writeFileSync(cfgFile, `store:\n  path: ${tmp.dbPath()}\ntakeout:\n  drop_folder: ${tmp.mkdir('ext-drop')}\n  drop_account: carol\n`);
    const config = loadConfig({ env: {}, file: cfgFile });
    const { ctx, close } = partContext({ config, store: tmp.store(config.store.path) });
    const ext = dropFolderPart();
    await assert.rejects(ext.start(ctx), /takeout\.drop_account: no account named carol/);
    await ext.stop();
    await close();
  });
});
