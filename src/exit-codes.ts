/**
 * Exit codes of the `fitbit-bridge` command. Scripts and service managers may rely on them.
 *
 * | code | meaning                                                                                |
 * |------|----------------------------------------------------------------------------------------|
 * | 0    | OK: everything asked for was done.                                                     |
 * | 1    | Partial failure: the command ran, but some inputs failed (e.g. some Takeout files      |
 * |      | could not be read); what succeeded is stored. Also used for unexpected internal errors.|
 * | 2    | Usage or configuration error: bad flag or argument, invalid config file / env var.     |
 * |      | Nothing was changed.                                                                   |
 * | 3    | Store error: the SQLite store could not be opened, read or written (e.g. the disk is   |
 * |      | full: the store is left intact).                                                       |
 * | 4    | Input not found or unreadable: a path given on the command line (Takeout archive or    |
 * |      | folder, the store for read-only commands) does not exist or cannot be read.            |
 */
export const EXIT = {
  OK: 0,
  PARTIAL: 1,
  USAGE: 2,
  STORE: 3,
  INPUT: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The table above as help text (shown by `fitbit-bridge --help`). */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  ok',
  '  1  partial failure (some input files failed; the rest is stored)',
  '  2  usage or configuration error',
  '  3  store error (cannot open / write the store, e.g. disk full)',
  '  4  input not found or unreadable',
].join('\n');
