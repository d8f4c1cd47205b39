/**
 * The one base of the errors a user can act on, and the helpers every module shares to talk
 * about errors. Ground floor: depends on nothing else in src but ./exit-codes.ts.
 *
 * A `BridgeError` says what happened (`what`), what to do about it (`advice`, may be '' when
 * `what` says it already) and the exit code of the command it ends (src/exit-codes.ts). The CLI
 * prints `fitbit-bridge: <describe()>` and exits with `exitCode` (src/cli/errors.ts
 * `describeError` is the only place that maps errors to exit codes). Code that must tell errors
 * apart uses `instanceof` and typed properties, never the class name or the message text.
 */
import { EXIT, type ExitCode } from './exit-codes.js';

/** `s` ending with a period (or ! ?). */
export function finishSentence(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** `what. advice` (no doubled period), or `what` alone without advice. */
export function joinSentences(what: string, advice: string): string {
  return advice === '' ? what : `${what}. ${advice}`.replace(/\.\.$/, '.');
}

export interface BridgeErrorOptions {
  cause?: unknown;
  /**
   * The error's `message` when it is not `what. advice` (messages that were worded before the
   * base existed and that logs, the docs and tests hold to). `describe()` is unaffected.
   */
  message?: string;
}

export class BridgeError extends Error {
  constructor(
    /** What happened: a sentence without the final period. */
    readonly what: string,
    /** What to do: a sentence, or '' when `what` says it already. */
    readonly advice: string,
    readonly exitCode: ExitCode,
    options: BridgeErrorOptions = {},
  ) {
    super(options.message ?? joinSentences(what, advice), options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
  }

  /** The line the CLI prints after `fitbit-bridge: `: what happened, then what to do. */
  describe(): string {
    return finishSentence(joinSentences(this.what, this.advice));
  }
}

/**
 * An operation stopped on purpose (SIGINT / SIGTERM, a shutdown): what was done is kept. The
 * reason given to `AbortController.abort()` by our own code.
 */
export class InterruptedError extends BridgeError {
  constructor(what = 'interrupted', advice = 'Run the command again to continue', exitCode: ExitCode = EXIT.PARTIAL) {
    super(what, advice, exitCode, { message: what });
  }
}

/**
 * True for the reason of an aborted operation: an InterruptedError, or the DOMException an
 * AbortSignal carries when aborted without a reason ('AbortError') or by AbortSignal.timeout()
 * ('TimeoutError'). A DOMException has no subclasses: its `name` is its type (WHATWG WebIDL).
 */
export function isAbortReason(e: unknown): boolean {
  if (e instanceof InterruptedError) return true;
  return e instanceof DOMException && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

/** The message of an error, or the value as text. */
export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
