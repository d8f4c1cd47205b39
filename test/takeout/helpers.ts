/** Test helpers: temp archives built from the hand-written golden fixture, a real store, dumps. */
import { cpSync, mkdirSync, readdirSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';
import tarStream from 'tar-stream';
import { createGzip } from 'node:zlib';
import { readFileSync } from 'node:fs';
import type { Store } from '../../src/store/types.js';
import { importTakeout, type ImportOptions, type ImportSummary } from '../../src/sources/takeout/import.js';
import { silentLogger } from '../../src/util/log.js';

export const FIXTURE = fileURLToPath(new URL('../fixtures/takeout/basic/', import.meta.url));
export const ROOT = 'Takeout/Fitbit';

/** Export folder names carry the export instant (exportTimeOf reads it). */
export const OLD_EXPORT = 'takeout-20260415T120000Z-001';
export const NEW_EXPORT = 'takeout-20260420T120000Z-001';

import { Tmp as BaseTmp } from '../support/tmp.js';

export class Tmp extends BaseTmp {
  constructor() {
    super('fb-takeout-test-');
  }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Relative paths (from the fixture root) of the golden fixture's files. */
export function fixtureFiles(): string[] {
  return walk(FIXTURE)
    .map((p) => relative(FIXTURE, p).split('\\').join('/'))
    .sort();
}

/** Copies the fixture files accepted by `keep` into a new export folder. */
export function copyFixture(tmp: Tmp, name: string, keep: (rel: string) => boolean = () => true): string {
  const out = tmp.path(name);
  mkdirSync(out, { recursive: true });
  for (const rel of fixtureFiles()) {
    if (!keep(rel)) continue;
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    cpSync(join(FIXTURE, rel), join(out, rel));
  }
  return out;
}

/** Writes an export folder with the given files (paths relative to `Takeout/Fitbit/`). */
export function makeExport(tmp: Tmp, name: string, files: Record<string, string | Buffer>): string {
  const out = tmp.path(name);
  for (const [rel, data] of Object.entries(files)) {
    const p = join(out, ROOT, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
  return out;
}

/** Zips a folder (entries relative to it) with yazl. */
export async function zipFolder(folder: string, zipPath: string, compress = true): Promise<string> {
  const z = new yazl.ZipFile();
  for (const p of walk(folder)) z.addFile(p, relative(folder, p).split('\\').join('/'), { compress });
  z.end();
  await new Promise<void>((resolve, reject) => {
    const ws = createWriteStream(zipPath);
    z.outputStream
      .pipe(ws)
      .on('close', () => resolve())
      .on('error', reject);
  });
  return zipPath;
}

export async function runImport(store: Store, paths: string[], extra: Partial<ImportOptions> = {}): Promise<ImportSummary> {
  return importTakeout({ paths, account: 'me', store, logger: silentLogger(), ...extra });
}

/** Canonical store content (samples and sessions) for equality checks. */
export function dumpStore(store: Store, account = 'me'): string[] {
  const out: string[] = [];
  const series = store
    .listSeries({ account })
    .filter((s) => s.count > 0)
    .sort((a, b) => (a.metric + a.source < b.metric + b.source ? -1 : 1));
  for (const s of series) {
    for (const x of store.iterateSamples({ account, metric: s.metric, source: s.source }))
      out.push(`${s.metric}|${s.source}|${new Date(x.t).toISOString()}|${x.offset}|${x.v}`);
  }
  for (const kind of ['sleep', 'exercise'] as const) {
    for (const x of store.sessions(account, kind, undefined, undefined, { resolve: false })) {
      out.push(
        `${kind}|${x.layer}|${x.source}|${x.start}|${x.end}|${x.startOffset}|${x.endOffset}|${x.externalId}|${JSON.stringify(x.segments)}|${JSON.stringify(x.details)}`,
      );
    }
  }
  return out.sort();
}

/** Samples of one series as [ISO instant, offset, value]. */
export function samplesOf(store: Store, metric: string, source: string, account = 'me'): [string, number, number][] {
  return [...store.iterateSamples({ account, metric: metric as never, source })].map((x) => [new Date(x.t).toISOString(), x.offset, x.v]);
}

/** Packs a folder into a .tgz (entries in walk order: the profile comes last). */
export async function tgzFolder(folder: string, tgzPath: string): Promise<string> {
  const pack = tarStream.pack();
  const done = new Promise<void>((resolve, reject) => {
    pack
      .pipe(createGzip())
      .pipe(createWriteStream(tgzPath))
      .on('close', () => resolve())
      .on('error', reject);
  });
  for (const p of walk(folder)) {
    const data = readFileSync(p);
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: relative(folder, p).split('\\').join('/'), size: data.length }, data, (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await done;
  return tgzPath;
}
