// Bytes per sample with the values shuffled: copies every intraday series of a store into a fresh
// store with its values randomly permuted (instants and offsets kept), so the figure does not rest
// on the generator's smooth random walk.
// usage: node --import tsx bench/import/shuffled.ts SOURCE_DB TARGET_DB
import { rmSync } from 'node:fs';
import { openStore } from '../../src/store/store.js';
import type { Sample } from '../../src/store/types.js';

const [src, dst] = process.argv.slice(2);
if (!src || !dst) throw new Error('usage: shuffled.ts SOURCE_DB TARGET_DB');
for (const suffix of ['', '-wal', '-shm']) rmSync(dst + suffix, { force: true });
const a = openStore(src, { readonly: true });
const b = openStore(dst);
let seed = 12345;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x80000000;
};
let samples = 0;
for (const s of a.listSeries()) {
  const all: Sample[] = [...a.iterateSamples(s)];
  const values = all.map((x) => x.v);
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = values[i]!;
    values[i] = values[j]!;
    values[j] = t;
  }
  const shuffled = all.map((x, i) => ({ t: x.t, offset: x.offset, v: values[i]! }));
  b.write(() => b.writeSamples(s, shuffled, { exportMs: 0 }));
  samples += shuffled.length;
}
a.close();
b.close();
const c = openStore(dst, { readonly: true });
const bytes = c.diskBytes();
c.close();
console.log(JSON.stringify({ samples, dbBytes: bytes, bytesPerSample: bytes / samples }));
