import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { isNoDataFile, JsonFileError, readJsonArray, type ReadJsonOptions } from '../../src/sources/takeout/json.js';

function chunked(text: string | Buffer, size = 65536): Readable {
  const b = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  return Readable.from(parts);
}

async function read(text: string | Buffer, opts: ReadJsonOptions = {}, chunk = 65536, sizeHint?: number): Promise<{ items: unknown[]; batches: number }> {
  const items: unknown[] = [];
  let batches = 0;
  const size = sizeHint ?? Buffer.byteLength(text);
  for await (const b of readJsonArray(chunked(text, chunk), 'heart_rate-2026-04-06.json', size, opts)) {
    items.push(...b);
    batches++;
  }
  return { items, batches };
}

const records = Array.from({ length: 5000 }, (_, i) => ({ dateTime: '04/06/26 04:00:00', value: { bpm: 60 + (i % 40), confidence: 3, note: 'ü' } }));
const text = JSON.stringify(records, null, 1);
const STREAM: ReadJsonOptions = { streamThreshold: 100 };

test('small path: whole array, batched', async () => {
  const r = await read(text, { batchSize: 1000 });
  assert.deepEqual(r.items, records);
  assert.equal(r.batches, 5);
});

test('streaming path (forced) gives the same records in bounded batches', async () => {
  const r = await read(text, { ...STREAM, batchSize: 777 }, 1000);
  assert.deepEqual(r.items, records);
  assert.equal(r.batches, Math.ceil(5000 / 777));
  // a wrong (small) size hint still switches to streaming once the threshold is passed
  const r2 = await read(text, STREAM, 1000, 10);
  assert.deepEqual(r2.items, records);
});

test('top-level object → one batch with that object (both paths); BOM accepted', async () => {
  const obj = { logId: 1, weight: 104.9, date: '03/19/26' };
  for (const o of [{}, STREAM]) {
    const r = await read('\uFEFF' + JSON.stringify(obj), o);
    assert.deepEqual(r.items, [obj]);
  }
  assert.deepEqual((await read('\uFEFF[1,2]', STREAM, 2)).items, [1, 2]);
});

test('empty, whitespace, [] and tiny non-JSON "no data" files yield nothing', async () => {
  for (const t of ['', '  \n', '[]', '{}', 'null', 'no data', 'nodata\n', '\uFEFF']) {
    assert.deepEqual((await read(t)).items, [], JSON.stringify(t));
    assert.deepEqual((await read(t, STREAM)).items, [], JSON.stringify(t));
    assert.equal(isNoDataFile(Buffer.from(t)), true, JSON.stringify(t));
  }
  assert.equal(isNoDataFile('[{"a":1}]'), false);
  assert.equal(isNoDataFile('this is not json at all'), false);
});

test('truncated JSON → JsonFileError naming the file, with position', async () => {
  const cut = text.slice(0, Math.floor(text.length / 2));
  await assert.rejects(
    read(cut),
    (e: unknown) =>
      e instanceof JsonFileError &&
      e.file === 'heart_rate-2026-04-06.json' &&
      /truncated/.test(e.message) &&
      e.position === Buffer.byteLength(cut) &&
      (e.line ?? 0) > 1,
  );
  await assert.rejects(read(cut, STREAM, 4096), (e: unknown) => e instanceof JsonFileError && /truncated/.test(e.message) && typeof e.position === 'number');
});

test('garbage → JsonFileError (both paths)', async () => {
  const bad = '[{"a":1},\n{"b":2},\n{"c":}]' + ' '.repeat(30);
  await assert.rejects(read(bad), (e: unknown) => e instanceof JsonFileError && e.message.includes('heart_rate-2026-04-06.json'));
  await assert.rejects(read(bad, STREAM), (e: unknown) => e instanceof JsonFileError && e.message.includes('heart_rate-2026-04-06.json'));
  await assert.rejects(read('"a long string at the top level"'), JsonFileError);
  await assert.rejects(read('<html>not json</html>'), JsonFileError);
});
