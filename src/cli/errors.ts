import { EXIT, type ExitCode } from './exit-codes.js';

/**
 * An error the CLI reports as `fitbit-bridge: <what happened>. <what to do>` with an exit code.
 * `what` and `todo` are sentences without the final period.
 */
export class CliError extends Error {
  constructor(
    public readonly what: string,
    public readonly todo: string,
    public readonly exitCode: ExitCode,
    cause?: unknown,
  ) {
    super(`${what}. ${todo}`.replace(/\.\.$/, '.'));
    this.name = 'CliError';
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
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

/** True for errors that come from SQLite / better-sqlite3. */
export function isSqliteError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return e.name === 'SqliteError' || (typeof code === 'string' && code.startsWith('SQLITE_'));
}
