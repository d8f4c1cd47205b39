/**
 * A node child process running a TypeScript script through tsx, its output collected: the one
 * spawn helper of the tests (the CLI in test/integration/helpers.ts, scripts in test/sync).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface StartedChild {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Resolves when it exits (`at`: Date.now() then). */
  done: Promise<ChildRun & { at: number }>;
  /** What it wrote so far (stdout then stderr). */
  out: () => string;
}

/** Starts `node --import tsx <args>` in `cwd` with exactly `env`. */
export function startNode(args: string[], env: NodeJS.ProcessEnv, cwd: string): StartedChild {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const done = new Promise<ChildRun & { at: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, at: Date.now() }));
  });
  return { child, done, out: () => stdout + stderr };
}
