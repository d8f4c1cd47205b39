/**
 * Hostile input, links (issue 13): folder walks never follow symbolic links (loops, links out of
 * the tree, links at secrets or FIFOs), list them as skipped, never quote what a link points at;
 * a zip whose entry names escape the archive is refused saying why; a truncated .tgz keeps the
 * files before the damage and says so; SIGTERM stops import-takeout and `run`'s drop folder.
 *
 * Every case ends with a clear message and an intact store.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import yazl from 'yazl';
import { createWriteStream } from 'node:fs';
import Database from 'better-sqlite3';
import { storeDigest } from '../../src/store/digest.js';
import type { Store } from '../../src/store/types.js';
import { ArchiveError, listInputs, readEntries, walkFolder } from '../../src/sources/takeout/archive.js';
import { DropFolderWatcher } from '../../src/sources/takeout/drop-folder.js';
import { formatSummary, importTakeout, type ImportSummary } from '../../src/sources/takeout/import.js';
import { STATE_KEYS } from '../../src/store/state-keys.js';
import { createLogger, silentLogger } from '../../src/util/log.js';
import { InterruptedError } from '../../src/errors.js';
import { ROOT_DIR, Tmp, cliEnv, digestOfStore, generate, startCli } from '../integration/helpers.js';

const tmp = new Tmp();
after(() => tmp.cleanup());

const TZ = 'America/New_York';
const SECRET = 'root:$6$SECRET-HASH-do-not-print:19000:0:99999:7:::';
const HR_CSV = 'timestamp,beats per minute,data source\n2026-04-06T10:00:00Z,61,Pixel Watch\n2026-04-06T10:01:00Z,62,Pixel Watch\n';
const PROFILE = 'id,timezone\nABC123,America/New_York\n';

/** A log destination collecting the lines. */
function sink(lines: string[]): NodeJS.WritableStream {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
}

function write(path: string, data: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, data);
}

/** An extracted export with one heart-rate CSV and a profile, under `Takeout/Fitbit`. */
function exportFolder(name: string): { root: string; fitbit: string } {
  const root = tmp.mkdir(name);
  const fitbit = join(root, 'Takeout', 'Fitbit');
  write(join(fitbit, 'Physical Activity_GoogleData', 'heart_rate_2026-04-06.csv'), HR_CSV);
  write(join(fitbit, 'Your Profile', 'Profile.csv'), PROFILE);
  return { root, fitbit };
}

async function runImport(store: Store, paths: string[], signal?: AbortSignal): Promise<ImportSummary> {
  return importTakeout({ paths, account: 'default', store, logger: silentLogger(), timezone: TZ, ...(signal ? { signal } : {}) });
}

function heartRateCount(store: Store): number {
  let n = 0;
  for (const s of store.listSeries({ account: 'default', metric: 'heart_rate' })) n += s.count;
  return n;
}

describe('folder walks and symbolic links', () => {
  it('three `x -> .` links: the walk ends at once, each link skipped and listed, the data imported', async () => {
    const { root, fitbit } = exportFolder('loops');
    for (const n of ['x', 'y', 'z']) symlinkSync('.', join(root, n));
    symlinkSync('..', join(fitbit, 'up'));
    const t0 = Date.now();
    const w = await walkFolder(root);
    assert.ok(Date.now() - t0 < 5000);
    assert.deepEqual(w.files.map((f) => f.rel).sort(), [
      'Takeout/Fitbit/Physical Activity_GoogleData/heart_rate_2026-04-06.csv',
      'Takeout/Fitbit/Your Profile/Profile.csv',
    ]);
    assert.deepEqual(w.links.sort(), [join(fitbit, 'up'), join(root, 'x'), join(root, 'y'), join(root, 'z')].sort());

    const store = tmp.store();
    const s = await runImport(store, [root]);
    assert.equal(s.exitCode, 0, JSON.stringify(s.files.failed));
    assert.deepEqual([...s.files.skippedLinks].sort(), [join(fitbit, 'up'), join(root, 'x'), join(root, 'y'), join(root, 'z')].sort());
    assert.equal(s.files.imported, 2);
    assert.equal(heartRateCount(store), 2);
    const text = formatSummary(s);
    assert.match(text, /Symbolic links skipped \(never followed or read; copy the files themselves into the folder\): 4/);
    assert.ok(text.includes(join(root, 'x')));
    store.close();
  });

  it('links out of the tree (a secret, a data file, a FIFO, a folder) are never read; the secret is never quoted', async () => {
    const outside = tmp.mkdir('outside');
    const shadow = join(outside, 'shadow');
    writeFileSync(shadow, `${SECRET}\n`);
    const foreignHr = join(outside, 'heart_rate_2026-04-07.csv');
    writeFileSync(foreignHr, HR_CSV.replace(/2026-04-06/g, '2026-04-07'));
    write(join(outside, 'dir', 'Physical Activity_GoogleData', 'heart_rate_2026-04-08.csv'), HR_CSV.replace(/2026-04-06/g, '2026-04-08'));
    const fifo = join(outside, 'fifo');
    const mk = spawnSync('mkfifo', [fifo]);

    const root = tmp.mkdir('out-of-tree');
    const fitbit = join(root, 'Takeout', 'Fitbit');
    mkdirSync(join(fitbit, 'Your Profile'), { recursive: true });
    mkdirSync(join(fitbit, 'Physical Activity_GoogleData'), { recursive: true });
    symlinkSync(shadow, join(fitbit, 'Your Profile', 'Profile.csv')); // the /etc/shadow case
    symlinkSync(foreignHr, join(fitbit, 'Physical Activity_GoogleData', 'heart_rate_2026-04-07.csv'));
    symlinkSync(join(outside, 'dir'), join(fitbit, 'more'));
    if (mk.status === 0) symlinkSync(fifo, join(fitbit, 'Physical Activity_GoogleData', 'heart_rate_2026-04-09.csv'));
    write(join(fitbit, 'Physical Activity_GoogleData', 'heart_rate_2026-04-06.csv'), HR_CSV);

    const lines: string[] = [];
    const logger = createLogger('debug', sink(lines));
    const store = tmp.store();
    const s = await importTakeout({ paths: [root], account: 'default', store, logger, timezone: TZ });
    assert.equal(s.exitCode, 0, JSON.stringify(s.files.failed));
    assert.equal(s.files.skippedLinks.length, mk.status === 0 ? 4 : 3);
    assert.equal(s.files.imported, 1, 'only the real file');
    assert.equal(heartRateCount(store), 2, 'nothing of the linked files');
    assert.equal(s.profileId, null, 'the linked "Profile.csv" was not read');
    const everything = `${formatSummary(s)}${JSON.stringify(s)}${lines.join('')}${JSON.stringify(store.getState(STATE_KEYS.dropFolder))}`;
    assert.ok(!everything.includes('SECRET-HASH'), 'the secret is never printed');
    store.close();
  });

  it('a link swapped in after the walk is not opened (O_NOFOLLOW + same inode)', async () => {
    const outside = tmp.mkdir('outside2');
    writeFileSync(join(outside, 'shadow'), `${SECRET}\n`);
    const { root, fitbit } = exportFolder('swap');
    const target = join(fitbit, 'Physical Activity_GoogleData', 'heart_rate_2026-04-06.csv');
    let err: unknown = null;
    for await (const e of readEntries([root])) {
      if (!e.path.endsWith('heart_rate_2026-04-06.csv')) continue;
      // replaced by a link between the walk and the open
      spawnSync('rm', [target]);
      symlinkSync(join(outside, 'shadow'), target);
      try {
        await e.open();
      } catch (x) {
        err = x;
      }
    }
    assert.ok(err instanceof ArchiveError, String(err));
    assert.match(err.message, /symbolic link since the folder was listed; not read/);
    assert.ok(!err.message.includes('SECRET'));
  });

  it('the drop folder: links at the top and inside exports are skipped (logged once), never read', async () => {
    const drop = tmp.mkdir('drop-links');
    const outside = tmp.mkdir('outside3');
    writeFileSync(join(outside, 'options.json'), '{"client_secret":"SECRET-HASH","mqtt_password":"SECRET-HASH"}');
    symlinkSync(join(outside, 'options.json'), join(drop, 'takeout-20260401T120000Z-001.zip'));
    symlinkSync(outside, join(drop, 'linked-folder'));
    const exp = join(drop, 'takeout-20260402T120000Z');
    write(join(exp, 'Takeout', 'Fitbit', 'Physical Activity_GoogleData', 'heart_rate_2026-04-06.csv'), HR_CSV);
    symlinkSync(join(outside, 'options.json'), join(exp, 'Takeout', 'Fitbit', 'Your Profile.csv'));
    for (const n of ['x', 'y', 'z']) symlinkSync('.', join(exp, n));

    const lines: string[] = [];
    const logger = createLogger('debug', sink(lines));
    const store = tmp.store();
    let now = 1_000_000;
    const w = new DropFolderWatcher({ dir: drop, account: 'default', store, logger, settleMs: 1000, timezone: TZ, clock: () => now });
    await w.scan();
    now += 2000;
    const evs = await w.scan();
    assert.deepEqual(
      evs.map((e) => [e.kind, e.files.join(',')]),
      [['imported', 'takeout-20260402T120000Z']],
    );
    assert.equal(heartRateCount(store), 2);
    const linkLogs = lines.filter((l) => l.includes('symbolic link(s) skipped'));
    assert.equal(linkLogs.length, 1, 'logged once, not at every scan');
    assert.match(linkLogs[0] ?? '', /6 symbolic link\(s\) skipped/);
    const everything = `${lines.join('')}${store.getState(STATE_KEYS.dropFolder) ?? ''}${JSON.stringify(evs)}`;
    assert.ok(!everything.includes('SECRET-HASH'), 'options.json never read');
    store.close();
  });

  it('the drop folder stops at once when its signal is aborted; the export is not recorded as failed', async () => {
    const drop = tmp.mkdir('drop-abort');
    const { inputs } = await generate(tmp, { format: 'dir', days: 3, endDate: '2026-03-09' });
    spawnSync('cp', ['-r', inputs[0] as string, drop]);
    const store = tmp.store();
    const ac = new AbortController();
    let now = 1_000_000;
    let importing = false;
    const w = new DropFolderWatcher({
      dir: drop,
      account: 'default',
      store,
      logger: silentLogger(),
      settleMs: 1000,
      clock: () => now,
      signal: ac.signal,
      importer: (paths) => {
        importing = true;
        ac.abort(new InterruptedError('stopping'));
        return importTakeout({ paths, account: 'default', store, logger: silentLogger(), signal: ac.signal });
      },
    });
    await w.scan();
    now += 2000;
    await assert.rejects(w.scan(), (e: unknown) => e instanceof InterruptedError);
    assert.ok(importing);
    const state = JSON.parse(store.getState(STATE_KEYS.dropFolder) ?? '{"imported":[],"failed":[]}') as { imported: unknown[]; failed: unknown[] };
    assert.deepEqual(state.failed, [], 'an interrupted import is not a failure');
    assert.deepEqual(state.imported, []);
    store.close();
  });
});

describe('archives', () => {
  async function zipWith(path: string, names: string[]): Promise<string> {
    const z = new yazl.ZipFile();
    for (const n of names) z.addBuffer(Buffer.from(HR_CSV), n);
    z.end();
    await new Promise<void>((resolve, reject) => z.outputStream.pipe(createWriteStream(path)).on('close', resolve).on('error', reject));
    return path;
  }

  it('a zip with a ../ entry name is refused before anything is imported, saying the path escapes the archive', async () => {
    // yazl refuses such names itself: a placeholder of the same length is written, then patched
    const evil = '../../../../tmp/evil_heart_rate.csv';
    const safe = 'Takeout/Fitbit/heart_rate_a.csv';
    const placeholder = 'x'.repeat(evil.length);
    const f = await zipWith(join(tmp.mkdir('zip-escape'), 'takeout-20260401T120000Z-001.zip'), [
      `Takeout/Fitbit/Physical Activity_GoogleData/heart_rate_2026-04-06.csv`,
      safe,
      placeholder,
    ]);
    const buf = readFileSync(f);
    let at = buf.indexOf(placeholder);
    let n = 0;
    while (at >= 0) {
      buf.write(evil, at, 'latin1');
      n++;
      at = buf.indexOf(placeholder, at + 1);
    }
    assert.equal(n, 2, 'local header and central directory');
    writeFileSync(f, buf);
    await assert.rejects(listInputs([f]), (e: unknown) => e instanceof ArchiveError && /path escapes the archive/.test(e.message) && e.message.includes('../'));
    const store = tmp.store();
    const before = storeDigest(store);
    await assert.rejects(
      runImport(store, [f]),
      (e: unknown) => e instanceof ArchiveError && /refused: entry ".*" climbs out of the archive with \.\.\/: its path escapes the archive/.test(e.message),
    );
    assert.equal(storeDigest(store), before, 'nothing imported');
    assert.equal(heartRateCount(store), 0);
    store.close();
  });

  it('a truncated .tgz: the files before the damage are imported, and the summary says so', async () => {
    const { inputs } = await generate(tmp, { format: 'tgz', days: 4, endDate: '2026-03-09' });
    const f = inputs[0] as string;
    truncateSync(f, Math.floor(statSync(f).size * 0.6));
    const store = tmp.store();
    const s = await runImport(store, [f]);
    assert.equal(s.exitCode, 1);
    assert.ok(s.files.imported > 0, 'the files before the damage are stored');
    const fail = s.files.failed.find((x) => x.file === f);
    assert.ok(fail, JSON.stringify(s.files.failed));
    assert.match(fail.error, /truncated or incomplete .*the files before the damage were imported \(each one whole\), the rest was not read/);
    assert.match(formatSummary(s), /the files before the damage were imported/);
    store.close();
  });
});

function integrity(db: string): string {
  const conn = new Database(db, { readonly: true });
  try {
    return String(conn.pragma('integrity_check', { simple: true }));
  } finally {
    conn.close();
  }
}

/** Series in the store at `db` (0 while it does not exist yet), read beside the writer. */
function seriesCount(db: string): number {
  if (!existsSync(db)) return 0;
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return Number((conn.prepare('SELECT count(*) AS n FROM series').get() as { n: number }).n);
    } finally {
      conn.close();
    }
  } catch {
    return 0;
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

describe('SIGTERM (real child processes)', () => {
  it('import-takeout stops on SIGTERM between files: exit 1, a clear message, an intact store, a rerun completes it', async (t) => {
    const home = tmp.mkdir('home-term');
    const { inputs } = await generate(tmp, { format: 'dir', days: 20, endDate: '2026-03-09' });
    const root = inputs[0] as string;
    for (const n of ['x', 'y', 'z']) symlinkSync('.', join(root, n));
    const db = tmp.dbPath();
    const run = startCli(home, ['--db', db, 'import-takeout', '--no-progress', '--timezone', TZ, root]);
    // the first file is committed: the import is under way
    const started = await until(() => seriesCount(db) > 0, 60_000);
    assert.ok(started, `the import did not start: ${run.out()}`);
    const sent = Date.now();
    run.child.kill('SIGTERM');
    const r = await run.done;
    t.diagnostic(`stopped ${r.at - sent} ms after SIGTERM (exit ${r.code})`);
    if (r.code === 0) {
      t.diagnostic('the import finished before the signal arrived');
    } else {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /import stopped \(SIGTERM\): the files read completely are stored, the file being read was not/);
      assert.ok(r.at - sent < 10_000, 'stops promptly');
    }
    assert.equal(integrity(db), 'ok');
    const again = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--db', db, 'import-takeout', '--no-progress', '--timezone', TZ, root], {
      cwd: ROOT_DIR,
      env: cliEnv(home),
      encoding: 'utf8',
    });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /Symbolic links skipped .*: 3/);
    const clean = tmp.dbPath();
    const c = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--db', clean, 'import-takeout', '--no-progress', '--timezone', TZ, root], {
      cwd: ROOT_DIR,
      env: cliEnv(home),
      encoding: 'utf8',
    });
    assert.equal(c.status, 0, c.stderr);
    assert.equal(digestOfStore(db), digestOfStore(clean), 'stopped + rerun = a clean import');
  });

  it('run stops promptly on SIGTERM while its drop folder holds link loops and an import runs', async (t) => {
    const home = tmp.mkdir('home-run');
    const drop = tmp.mkdir('drop-run');
    const { inputs } = await generate(tmp, { format: 'dir', days: 40, endDate: '2026-03-09' });
    spawnSync('cp', ['-r', inputs[0] as string, drop]);
    for (const n of ['x', 'y', 'z']) symlinkSync('.', join(drop, n));
    const exp = join(drop, (inputs[0] as string).split('/').pop() as string);
    for (const n of ['x', 'y', 'z']) symlinkSync('.', join(exp, n));
    const db = tmp.dbPath();
    const run = startCli(home, ['--db', db, 'run', '--no-sync'], {
      FITBIT_BRIDGE_LOG_LEVEL: 'info',
      FITBIT_BRIDGE_HTTP__PORT: '0',
      FITBIT_BRIDGE_TAKEOUT__DROP_FOLDER: drop,
      FITBIT_BRIDGE_TAKEOUT__DROP_SETTLE_SECONDS: '0',
      FITBIT_BRIDGE_TAKEOUT__TIMEZONE: TZ,
    });
    const importing = await until(() => /drop folder: importing/.test(run.out()), 60_000);
    assert.ok(importing, `the drop folder import did not start: ${run.out()}`);
    const sent = Date.now();
    run.child.kill('SIGTERM');
    const r = await run.done;
    t.diagnostic(`stopped ${r.at - sent} ms after SIGTERM (exit ${r.code}, signal ${r.signal})`);
    assert.ok(r.at - sent < 10_000, `stops promptly: ${r.stderr.slice(-2000)}`);
    assert.equal(r.signal, null, 'exits by itself, not killed');
    assert.match(r.stdout + r.stderr, /stopped/);
    assert.equal(integrity(db), 'ok');
  });
});
