import { BridgeError, errText, finishSentence } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';

/**
 * An error the CLI reports as `fitbit-bridge: <what happened>. <what to do>` with an exit code.
 * `what` and `todo` are sentences without the final period (`todo` becomes the error's `advice`).
 */
export class CliError extends BridgeError {
  constructor(what: string, todo: string, exitCode: ExitCode, cause?: unknown) {
    super(what, todo, exitCode, cause !== undefined ? { cause } : {});
    this.name = 'CliError';
  }
}

export function usageError(what: string, todo = "Run 'fitbit-bridge --help' for usage"): CliError {
  return new CliError(what, todo, EXIT.USAGE);
}

export function inputError(what: string, todo: string): CliError {
  return new CliError(what, todo, EXIT.INPUT);
}

export function storeError(what: string, todo: string, cause?: unknown): CliError {
  return new CliError(what, todo, EXIT.STORE, cause);
}

/** True for errors that come from SQLite / better-sqlite3 (by their SQLITE_* code). */
export function isSqliteError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

/**
 * Maps any error to the message the CLI prints (after `fitbit-bridge: `) and its exit code: the
 * only such mapping. Our own errors are BridgeErrors and carry both; SQLite and errno errors of
 * the platform are recognised by their codes; everything else is an unexpected error.
 */
export function describeError(e: unknown): { message: string; exitCode: number } {
  if (e instanceof BridgeError) return { message: e.describe(), exitCode: e.exitCode };
  if (isSqliteError(e)) {
    return { message: `store error: ${finishSentence((e as Error).message)} Check the store file (--db) and the disk it is on.`, exitCode: EXIT.STORE };
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string') {
    const where = err.path !== undefined ? ` ${err.path}` : '';
    if (err.code === 'ENOSPC') return { message: `the disk is full (writing${where}). Free some space and run the command again.`, exitCode: EXIT.STORE };
    if (err.code === 'ENOENT') return { message: `not found:${where || ` ${err.message}`}. Check the path.`, exitCode: EXIT.INPUT };
    if (err.code === 'EACCES' || err.code === 'EPERM')
      return { message: `permission denied:${where || ` ${err.message}`}. Check the file permissions.`, exitCode: EXIT.INPUT };
  }
  return { message: `unexpected error: ${finishSentence(errText(e))} Run again with --log-level debug for details.`, exitCode: EXIT.PARTIAL };
}
