// The floor: what any importer must spend at least. Reads every entry of the archives with yauzl
// and JSON.parse()s each .json file; reports the time spent inside JSON.parse only (the
// decompression floor is measured separately with `unzip -p`).
// usage: node --import tsx bench/import/floor.ts ARCHIVE...
import yauzl from 'yauzl';

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (e, z) => (e || !z ? reject(e ?? new Error(`${path}: no zip file`)) : resolve(z))),
  );
}

let parseMs = 0;
let files = 0;
let bytes = 0;
for (const path of process.argv.slice(2)) {
  const zip = await openZip(path);
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith('.json')) {
        zip.readEntry();
        return;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) {
          reject(err ?? new Error(`${entry.fileName}: no stream`));
          return;
        }
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const t0 = performance.now();
          try {
            JSON.parse(text);
          } catch {
            /* no-data files */
          }
          parseMs += performance.now() - t0;
          files += 1;
          bytes += text.length;
          zip.readEntry();
        });
        stream.on('error', reject);
      });
    });
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
}
console.log(JSON.stringify({ jsonFiles: files, jsonBytes: bytes, parseSeconds: parseMs / 1000 }));
