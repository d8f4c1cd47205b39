import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import * as zlib from 'node:zlib';
import yazl from 'yazl';
import tarStream from 'tar-stream';
import { ArchiveError, exportTimeOf, listInputs, readEntries, type ArchiveEntry } from '../../src/sources/takeout/archive.js';

const tmp = mkdtempSync(join(tmpdir(), 'fb-archive-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

async function readAll(s: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString('utf8');
}

async function writeZip(
  file: string,
  files: [string, string | Buffer, { compress?: boolean; forceZip64Format?: boolean }?][],
  dirs: string[] = [],
): Promise<void> {
  const z = new yazl.ZipFile();
  for (const d of dirs) z.addEmptyDirectory(d);
  for (const [name, content, opts] of files) z.addBuffer(Buffer.from(content), name, opts ?? {});
  z.end();
  const out = createWriteStream(file);
  z.outputStream.pipe(out);
  await once(out, 'close');
}

async function writeTgz(file: string, files: [string, string][]): Promise<void> {
  const pack = tarStream.pack();
  const out = createWriteStream(file);
  pack.pipe(zlib.createGzip()).pipe(out);
  pack.entry({ name: './Takeout/', type: 'directory' });
  for (const [name, content] of files) pack.entry({ name, size: Buffer.byteLength(content) }, content);
  pack.finalize();
  await once(out, 'close');
}

async function collect(paths: string[], read: (e: ArchiveEntry) => boolean = () => true): Promise<[string, string | null][]> {
  const out: [string, string | null][] = [];
  for await (const e of readEntries(paths)) out.push([e.path, read(e) ? await readAll(await e.open()) : null]);
  return out;
}

const HR = 'timestamp,beats per minute,data source\n2026-04-06T02:43:45Z,134.0,Inspire 3\n';

test('zip: entries in archive order, directories skipped, sizes known', async () => {
  const f = join(tmp, 'takeout-20260415T120000Z-001.zip');
  await writeZip(
    f,
    [
      ['Takeout/Fitbit/Global Export Data/heart_rate-2026-04-06.json', '[{"dateTime":"04/06/26 04:00:00","value":{"bpm":63,"confidence":3}}]'],
      ['Takeout/Fitbit/Physical Activity_GoogleData/heart_rate_2026-04-06.csv', HR, { compress: false }],
    ],
    ['Takeout/', 'Takeout/Fitbit/'],
  );
  const got = [] as ArchiveEntry[];
  let late = '';
  for await (const e of readEntries([f])) {
    got.push(e);
    // a zip entry can still be opened after the iterator moved on (until the archive is finished)
    if (got.length === 2) late = await readAll(await got[0]!.open());
  }
  assert.match(late, /"bpm":63/);
  assert.deepEqual(
    got.map((e) => e.path),
    ['Takeout/Fitbit/Global Export Data/heart_rate-2026-04-06.json', 'Takeout/Fitbit/Physical Activity_GoogleData/heart_rate_2026-04-06.csv'],
  );
  assert.equal(got[1]!.size, Buffer.byteLength(HR));
  assert.equal(got[1]!.compressedSize, Buffer.byteLength(HR));
  assert.equal(got[0]!.archive, f);
  // once the iteration finished, the zip is closed
  await assert.rejects(got[1]!.open(), ArchiveError);
  assert.deepEqual(await listInputs([f]), [{ path: f, kind: 'zip', bytes: readFileSync(f).length, skippedLinks: [] }]);
});

test('zip: several parts are read in order; ZIP64 format is read', async () => {
  const a = join(tmp, 'takeout-20260415T120000Z-001.zip');
  const b = join(tmp, 'takeout-20260415T120000Z-002.zip');
  await writeZip(a, [['Takeout/Fitbit/a.csv', 'x\n1\n']]);
  await writeZip(b, [
    ['Takeout/Fitbit/b.csv', 'x\n2\n', { forceZip64Format: true }],
    ['Takeout/Fitbit/c.csv', 'y'.repeat(100_000), { forceZip64Format: true }],
  ]);
  const got = await collect([a, b]);
  assert.deepEqual(
    got.map(([p]) => p),
    ['Takeout/Fitbit/a.csv', 'Takeout/Fitbit/b.csv', 'Takeout/Fitbit/c.csv'],
  );
  assert.equal(got[1]![1], 'x\n2\n');
  assert.equal(got[2]![1], 'y'.repeat(100_000));
});

test('zip: truncated file (central directory missing) → ArchiveError naming the file', async () => {
  const f = join(tmp, 'cut.zip');
  const big = Array.from({ length: 2000 }, (_, i) => `2026-04-06T02:${String(i % 60).padStart(2, '0')}:45Z,${i},Inspire 3`).join('\n');
  await writeZip(join(tmp, 'whole.zip'), [
    ['a.csv', big],
    ['b.csv', big],
  ]);
  const whole = readFileSync(join(tmp, 'whole.zip'));
  writeFileSync(f, whole.subarray(0, whole.length >> 1));
  await assert.rejects(
    listInputs([f]),
    (e: unknown) => e instanceof ArchiveError && e.file === f && /truncated|incomplete/.test(e.message) && e.message.includes(f),
  );
  await assert.rejects(collect([f]), (e: unknown) => e instanceof ArchiveError && /truncated/.test(e.message));
});

test('zip: a corrupt entry fails with archive + entry named, the next entry still reads', async () => {
  const f = join(tmp, 'corrupt.zip');
  const marker = 'MARKER-CONTENT-0123456789';
  await writeZip(f, [
    ['Takeout/bad.csv', `x\n${marker}\n`, { compress: false }],
    ['Takeout/good.csv', 'x\n42\n'],
  ]);
  const buf = readFileSync(f);
  const at = buf.indexOf(marker);
  assert.ok(at > 0);
  buf[at + 3] = 0x21; // flip one stored byte → CRC mismatch
  writeFileSync(f, buf);
  const results: string[] = [];
  for await (const e of readEntries([f])) {
    try {
      results.push(`${e.path}=${(await readAll(await e.open())).trim()}`);
    } catch (err) {
      assert.ok(err instanceof ArchiveError);
      assert.ok(err.message.includes(f) && err.message.includes('Takeout/bad.csv'), err.message);
      results.push(`${e.path}!`);
    }
  }
  assert.deepEqual(results, ['Takeout/bad.csv!', 'Takeout/good.csv=x\n42']);
});

test('zip: corrupt deflate data is reported for that entry', async () => {
  const f = join(tmp, 'corrupt-deflate.zip');
  const payload = Array.from({ length: 5000 }, (_, i) => `row ${i} ${(i * 7919) % 1000}`).join('\n');
  await writeZip(f, [
    ['a.txt', payload],
    ['b.txt', 'ok'],
  ]);
  const buf = readFileSync(f);
  for (let i = 60; i < 400; i += 7) buf[i] = buf[i]! ^ 0x5a; // damage the compressed stream of a.txt
  writeFileSync(f, buf);
  const results: string[] = [];
  for await (const e of readEntries([f])) {
    try {
      results.push(`${e.path}=${(await readAll(await e.open())).length}`);
    } catch (err) {
      assert.ok(err instanceof ArchiveError && err.message.includes('a.txt'), String(err));
      results.push(`${e.path}!`);
    }
  }
  assert.deepEqual(results, ['a.txt!', 'b.txt=2']);
});

test('tgz: sequential entries; unopened entries skipped; partially read entries abandoned', async () => {
  const f = join(tmp, 'export.tgz');
  const big = 'z'.repeat(300_000);
  await writeTgz(f, [
    ['./Takeout/Fitbit/one.csv', HR],
    ['./Takeout/Fitbit/big.txt', big],
    ['./Takeout/Fitbit/two.csv', 'x\n2\n'],
    ['./Takeout/Fitbit/three.csv', 'x\n3\n'],
  ]);
  assert.equal((await listInputs([f]))[0]!.kind, 'tgz');
  const got: [string, string | null][] = [];
  let total = 0;
  for await (const e of readEntries([f])) {
    total += e.compressedSize;
    if (e.path.endsWith('big.txt')) {
      assert.equal(e.size, big.length);
      const s = await e.open();
      // read one chunk, then abandon
      for await (const c of s) {
        assert.ok(c.length > 0);
        break;
      }
      got.push([e.path, 'abandoned']);
    } else if (e.path.endsWith('two.csv')) {
      got.push([e.path, null]); // not opened
    } else {
      got.push([e.path, await readAll(await e.open())]);
    }
  }
  assert.deepEqual(got, [
    ['Takeout/Fitbit/one.csv', HR],
    ['Takeout/Fitbit/big.txt', 'abandoned'],
    ['Takeout/Fitbit/two.csv', null],
    ['Takeout/Fitbit/three.csv', 'x\n3\n'],
  ]);
  assert.ok(total > 0 && total <= readFileSync(f).length);
});

test('tgz: an entry opened after the iterator advanced is refused', async () => {
  const f = join(tmp, 'late.tgz');
  await writeTgz(f, [
    ['a.csv', 'a'],
    ['b.csv', 'b'],
  ]);
  const entries: ArchiveEntry[] = [];
  for await (const e of readEntries([f])) entries.push(e);
  await assert.rejects(entries[0]!.open(), (e: unknown) => e instanceof ArchiveError && /before the iterator advances/.test(e.message));
});

test('tgz: truncated archive → ArchiveError saying truncated', async () => {
  const f = join(tmp, 'cut.tgz');
  const rnd = Array.from({ length: 20000 }, (_, i) => `${i},${(i * 2654435761) % 99991}`).join('\n');
  await writeTgz(join(tmp, 'whole.tgz'), [
    ['a.csv', rnd],
    ['b.csv', rnd],
  ]);
  const whole = readFileSync(join(tmp, 'whole.tgz'));
  writeFileSync(f, whole.subarray(0, whole.length >> 1));
  await assert.rejects(collect([f]), (e: unknown) => e instanceof ArchiveError && e.file === f && /truncated/.test(e.message));
});

test('folder: recursive, sorted, relative "/" paths, directories skipped', async () => {
  const root = join(tmp, 'Takeout');
  mkdirSync(join(root, 'Fitbit', 'Sleep Score'), { recursive: true });
  mkdirSync(join(root, 'Fitbit', 'Global Export Data'), { recursive: true });
  mkdirSync(join(root, 'Fitbit', 'Empty'), { recursive: true });
  writeFileSync(join(root, 'Fitbit', 'Sleep Score', 'sleep_score.csv'), 's');
  writeFileSync(join(root, 'Fitbit', 'Global Export Data', 'steps-2026-03-19.json'), '[]');
  writeFileSync(join(root, 'Fitbit', 'Global Export Data', 'heart_rate-2026-04-06.json'), '[1]');
  writeFileSync(join(root, 'archive_browser.html'), '<html>');
  const got = await collect([root]);
  assert.deepEqual(got, [
    ['Fitbit/Global Export Data/heart_rate-2026-04-06.json', '[1]'],
    ['Fitbit/Global Export Data/steps-2026-03-19.json', '[]'],
    ['Fitbit/Sleep Score/sleep_score.csv', 's'],
    ['archive_browser.html', '<html>'],
  ]);
  const [inp] = await listInputs([root]);
  assert.deepEqual(inp, { path: root, kind: 'dir', bytes: 1 + 2 + 3 + 6, skippedLinks: [] });
});

test('listInputs: missing, empty and unrecognised inputs are clear errors naming the path; magic beats extension', async () => {
  const missing = join(tmp, 'nope.zip');
  await assert.rejects(
    listInputs([missing]),
    (e: unknown) => e instanceof ArchiveError && e.file === missing && e.message.includes(missing) && /no such/.test(e.message),
  );
  const empty = join(tmp, 'empty.zip');
  writeFileSync(empty, '');
  await assert.rejects(listInputs([empty]), (e: unknown) => e instanceof ArchiveError && /empty/.test(e.message));
  const text = join(tmp, 'notes.zip');
  writeFileSync(text, 'hello, this is not a zip');
  await assert.rejects(listInputs([text]), (e: unknown) => e instanceof ArchiveError && e.file === text && /not a recognised/.test(e.message));
  const zipNamedTgz = join(tmp, 'really-a-zip.tgz');
  await writeZip(zipNamedTgz, [['a', 'b']]);
  assert.equal((await listInputs([zipNamedTgz]))[0]!.kind, 'zip');
});

test('exportTimeOf: Takeout name, else mtime', () => {
  assert.equal(exportTimeOf('/x/takeout-20260415T120000Z-001.zip'), Date.UTC(2026, 3, 15, 12, 0, 0));
  const f = join(tmp, 'my-export.zip');
  writeFileSync(f, 'x');
  utimesSync(f, new Date('2026-01-02T03:04:05Z'), new Date('2026-01-02T03:04:05Z'));
  assert.equal(exportTimeOf(f), Date.UTC(2026, 0, 2, 3, 4, 5));
  assert.throws(() => exportTimeOf(join(tmp, 'missing-export.zip')), ArchiveError);
});
