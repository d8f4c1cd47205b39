// One import of Takeout archives into a fresh store, measured in this process:
// prints one JSON line {samples, seconds, maxRssMB, dbBytes, bytesPerSample, summary}.
// usage: node --import tsx bench/import/ours.ts DB ARCHIVE...
import { rmSync } from 'node:fs';
import { openStore } from '../../src/store/store.js';
import { importTakeout } from '../../src/sources/takeout/import.js';
import { silentLogger } from '../../src/util/log.js';

const [db, ...archives] = process.argv.slice(2);
if (!db || archives.length === 0) throw new Error('usage: ours.ts DB ARCHIVE...');
for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });

const store = openStore(db);
const t0 = performance.now();
const summary = await importTakeout({ paths: archives, account: 'bench', store, logger: silentLogger(), progress: false });
const seconds = (performance.now() - t0) / 1000;
const samples = store.listSeries().reduce((a, s) => a + s.count, 0);
store.close();
const dbStore = openStore(db, { readonly: true });
const dbBytes = dbStore.diskBytes();
dbStore.close();
const added = Object.values(summary.metrics).reduce((a, m) => a + m.added, 0);
console.log(
  JSON.stringify({
    samples,
    added,
    seconds,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    dbBytes,
    bytesPerSample: dbBytes / samples,
    exitCode: summary.exitCode,
    failed: summary.files.failed.length,
    dedupedJsonSamples: summary.dedupedJsonSamples,
  }),
);
