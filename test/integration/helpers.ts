/** Helpers of the end-to-end tests: temp dirs, stores, synthetic exports, importing, the CLI. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storeDigest } from '../../src/store/digest.js';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { importTakeout, type ImportSummary } from '../../src/sources/takeout/import.js';
import { archiveBaseName, exportInstant, generateTakeout, type GenerateTakeoutOptions, type GenerateTakeoutResult } from '../../src/synthetic/index.js';
import { silentLogger } from '../../src/util/log.js';

export const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const SEED = 20260312;
export const TZ = 'America/New_York';
export const ACCOUNT = 'default';

import { startNode, type ChildRun, type StartedChild } from '../support/child.js';
import { Tmp as BaseTmp } from '../support/tmp.js';

export class Tmp extends BaseTmp {
  constructor() {
    super('fb-integration-');
  }
}

type GenOpts = Omit<GenerateTakeoutOptions, 'out'>;

/**
 * A synthetic export. `dir` exports are written into a folder named like the archives
 * (`takeout-<export instant>-001`) so the importer sees the same export time as for a zip.
 */
export async function generate(tmp: Tmp, opts: GenOpts): Promise<GenerateTakeoutResult & { inputs: string[] }> {
  const full = { seed: SEED, timezone: TZ, ...opts };
  if (full.format === 'dir') {
    const out = join(tmp.mkdir('gen'), `${archiveBaseName(exportInstant(full.endDate ?? '2026-04-30'))}-001`);
    const r = await generateTakeout({ ...full, out });
    return { ...r, inputs: [out] };
  }
  const r = await generateTakeout({ ...full, out: tmp.mkdir('gen') });
  return { ...r, inputs: r.files };
}

export async function runImport(store: Store, paths: string[], extra: { force?: boolean } = {}): Promise<ImportSummary> {
  return importTakeout({ paths, account: ACCOUNT, store, logger: silentLogger(), ...extra });
}

/** Imports into a fresh store and returns its digest (the store is closed). */
export async function digestOfImport(tmp: Tmp, ...batches: string[][]): Promise<string> {
  const store = tmp.store();
  for (const paths of batches) {
    const s = await runImport(store, paths);
    if (s.exitCode !== 0) throw new Error(`import of ${paths.join(', ')} failed: ${JSON.stringify(s.files.failed)}`);
  }
  const d = storeDigest(store);
  store.close();
  return d;
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

/** Copies the files of an export folder accepted by `keep` (relative paths) into a new folder of the same name under `to`. */
export function copySubset(src: string, to: string, keep: (rel: string) => boolean): string {
  const name = src.split(/[\\/]/).filter(Boolean).pop() ?? 'export';
  const out = join(to, name);
  let n = 0;
  for (const file of walk(src)) {
    const rel = relative(src, file).split('\\').join('/');
    if (!keep(rel)) continue;
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    cpSync(file, join(out, rel));
    n++;
  }
  if (n === 0) throw new Error(`copySubset: no file of ${src} selected`);
  return out;
}

/** Environment of a CLI child: isolated from the user's config and data dirs. */
export function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FITBIT_BRIDGE_')) env[k] = v;
  return { ...env, XDG_CONFIG_HOME: join(home, 'xdg-config'), XDG_DATA_HOME: join(home, 'xdg-data'), FITBIT_BRIDGE_LOG_LEVEL: 'silent', ...extra };
}

/** How a CLI run ended and what it wrote. */
export type CliRun = ChildRun;

/** Runs the CLI to completion (synchronously). */
export function cli(home: string, args: string[]): CliRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT_DIR, env: cliEnv(home), encoding: 'utf8' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI (its output collected); `extraEnv` is added to the isolated environment. */
export function startCli(home: string, args: string[], extraEnv: Record<string, string> = {}): StartedChild {
  return startNode(['src/cli/main.ts', ...args], cliEnv(home, extraEnv), ROOT_DIR);
}

/** Starts the CLI; `killAfterMs` sends SIGKILL after that delay (if still running). */
export async function cliAsync(home: string, args: string[], killAfterMs?: number): Promise<CliRun & { ms: number }> {
  const t0 = Date.now();
  const run = startCli(home, args);
  const timer = killAfterMs === undefined ? null : setTimeout(() => run.child.kill('SIGKILL'), killAfterMs);
  try {
    const r = await run.done;
    return { code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: r.at - t0 };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** The digest of the store file at `db` (opened and closed again). */
export function digestOfStore(db: string): string {
  const store = openStore(db);
  try {
    return storeDigest(store);
  } finally {
    store.close();
  }
}
