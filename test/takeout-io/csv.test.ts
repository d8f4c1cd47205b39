import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { CsvFileError, normalizeHeader, readCsv, type CsvBatch } from '../../src/sources/takeout/csv.js';

/** Feeds the text in chunks of `size` bytes (to cross chunk boundaries everywhere). */
function chunked(text: string | Buffer, size: number): Readable {
  const b = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  return Readable.from(parts);
}

async function all(text: string | Buffer, size = 1 << 16): Promise<{ batches: CsvBatch[]; header: string[] | null; rows: string[][]; lines: number[] }> {
  const batches: CsvBatch[] = [];
  for await (const b of readCsv(chunked(text, size), 't.csv')) batches.push(b);
  return { batches, header: batches[0]?.header ?? null, rows: batches.flatMap((b) => b.rows), lines: batches.flatMap((b) => b.lines) };
}

test('BOM, CRLF, blank lines, line numbers; nothing trimmed', async () => {
  const text = '\uFEFFtimestamp,beats per minute,data source\r\n2026-04-06T02:43:45Z,134.0,Inspire 3\r\n\r\n  \r\n2026-04-06T02:43:50Z, 135.0 ,Fitbit App\r\n';
  for (const size of [1, 2, 3, 7, 1 << 16]) {
    const r = await all(text, size);
    assert.deepEqual(r.header, ['timestamp', 'beats per minute', 'data source'], `chunk ${size}`);
    assert.deepEqual(
      r.rows,
      [
        ['2026-04-06T02:43:45Z', '134.0', 'Inspire 3'],
        ['2026-04-06T02:43:50Z', ' 135.0 ', 'Fitbit App'],
      ],
      `chunk ${size}`,
    );
    assert.deepEqual(r.lines, [2, 5]);
  }
});

test('a multi-byte character split across chunks survives', async () => {
  const r = await all('name,value\ncafé ☕,1\n', 1);
  assert.deepEqual(r.rows, [['café ☕', '1']]);
});

test('RFC 4180 quotes: commas, doubled quotes, newlines, empty fields', async () => {
  const text = 'a,b,c\n"x, y","say ""hi""",plain\n"multi\nline\r\ntext",,"" \n1,2,\nlast,"q"';
  for (const size of [1, 3, 5, 1 << 16]) {
    const r = await all(text, size);
    assert.deepEqual(
      r.rows,
      [
        ['x, y', 'say "hi"', 'plain'],
        ['multi\nline\r\ntext', '', ' '],
        ['1', '2', ''],
        ['last', 'q'],
      ],
      `chunk ${size}`,
    );
    assert.deepEqual(r.lines, [2, 3, 6, 7], `chunk ${size}`);
  }
});

test('LF only, no trailing newline, header kept as is; normalizeHeader', async () => {
  const r = await all('Timestamp, Beats Per Minute\n2026-04-13,5');
  assert.deepEqual(r.header, ['Timestamp', ' Beats Per Minute']);
  assert.deepEqual(r.rows, [['2026-04-13', '5']]);
  assert.equal(normalizeHeader(' Beats Per Minute '), 'beats per minute');
});

test('empty file yields nothing; header only yields one empty batch', async () => {
  assert.equal((await all('')).batches.length, 0);
  assert.equal((await all('\uFEFF\r\n\n')).batches.length, 0);
  const h = await all('timestamp,value\r\n');
  assert.equal(h.batches.length, 1);
  assert.deepEqual(h.batches[0], { header: ['timestamp', 'value'], rows: [], lines: [] });
});

test('batches of at most 4096 rows, all rows kept in order', async () => {
  const n = 10_000;
  const text = 'timestamp,steps,data source\n' + Array.from({ length: n }, (_, i) => `2026-04-06T02:43:45Z,${i},Inspire 3`).join('\n') + '\n';
  const r = await all(text, 4000);
  assert.ok(r.batches.every((b) => b.rows.length <= 4096 && b.rows.length === b.lines.length));
  assert.equal(r.rows.length, n);
  assert.equal(r.rows[n - 1]![1], String(n - 1));
  assert.equal(r.lines[n - 1], n + 1);
  assert.ok(r.batches.length >= 3);
});

test('unterminated quote → CsvFileError with file and line', async () => {
  await assert.rejects(
    all('a,b\n1,2\n"open,3\n4,5\n'),
    (e: unknown) => e instanceof CsvFileError && e.file === 't.csv' && e.line === 3 && /unterminated/.test(e.message),
  );
});
