/** `fitbit-bridge import-takeout <path...>`: Google Takeout archives or folders into the store. */
import { accessSync, constants, statSync } from 'node:fs';
import { Command } from 'commander';
import { accountConfig, createContext, resolveAccount, type GlobalOptions } from '../context.js';
import { InterruptedError } from '../../errors.js';
import { inputError } from '../errors.js';
import { parseAccountName, parseTimeZone } from '../validate.js';

interface ImportFlags {
  account?: string;
  timezone?: string;
  force?: boolean;
  progress: boolean;
}

/** Every path must exist and be readable (exit code 4 otherwise), before anything is opened. */
export function checkInputPaths(paths: string[]): void {
  for (const p of paths) {
    try {
      statSync(p);
      accessSync(p, constants.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code ?? String(e)})`;
      throw inputError(`${p} ${why}`, 'Give the path of a Takeout archive (.zip, .tgz) or of an extracted Takeout folder');
    }
  }
}

export function importTakeoutCommand(): Command {
  return new Command('import-takeout')
    .summary('import Google Takeout exports into the store')
    .description(
      'Import Fitbit data from Google Takeout exports: .zip / .tgz archives (several parts of one export are fine) or extracted Takeout folders. Re-importing is safe: data already stored is not written again, and on a conflict the data of the newer export wins.',
    )
    .argument('<path...>', 'Takeout archives (.zip, .tgz) or extracted Takeout folders')
    .option('--account <name>', 'account to import into (default: the first account of the config)', parseAccountName)
    .option(
      '--timezone <iana>',
      "IANA time zone for records stamped in local time (default: the account's timezone in the config, then takeout.timezone, then the export's Profile.csv, then the zone of earlier imports)",
      parseTimeZone,
    )
    .option('--force', "import even if the export belongs to another Fitbit profile than the account's earlier imports")
    .option('--no-progress', 'no progress bar (progress is logged every few seconds instead)')
    .addHelpText(
      'after',
      `
Examples:
  fitbit-bridge import-takeout ~/Downloads/takeout-20250101T000000Z-001.zip ~/Downloads/takeout-20250101T000000Z-002.zip
  fitbit-bridge import-takeout --account alice --timezone Europe/Berlin ~/Takeout
  fitbit-bridge --db /srv/fitbit/bridge.db import-takeout takeout.tgz`,
    )
    .action(async (paths: string[], flags: ImportFlags, cmd: Command) => {
      checkInputPaths(paths);
      const ctx = createContext(cmd.optsWithGlobals<GlobalOptions>());
      // SIGTERM / Ctrl-C: the import stops between entries and records (a second signal exits at once)
      const ac = new AbortController();
      const onSignal = (sig: NodeJS.Signals): void => {
        if (ac.signal.aborted) process.exit(130);
        ac.abort(
          new InterruptedError(
            `import stopped (${sig}): the files read completely are stored, the file being read was not`,
            'Run the same import again to import the rest (what is stored is not written twice)',
          ),
        );
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const store = await ctx.openStore();
        try {
          const account = resolveAccount(ctx.config, store, flags.account);
          const timezone = flags.timezone ?? accountConfig(ctx.config, account)?.timezone ?? ctx.config.takeout.timezone;
          const mod = await import('../../sources/takeout/import.js');
          const summary = await mod.importTakeout({
            paths,
            account,
            ...(timezone !== undefined ? { timezone, timezoneFrom: flags.timezone !== undefined ? ('flag' as const) : ('config' as const) } : {}),
            force: flags.force ?? false,
            store,
            logger: ctx.logger,
            progress: flags.progress,
            signal: ac.signal,
          });
          process.stdout.write(`${mod.formatSummary(summary)}\n`);
          // stopped inside a file: the summary says what was stored; the reason goes to stderr as an error would
          if (summary.stopped && ac.signal.reason instanceof InterruptedError) process.stderr.write(`fitbit-bridge: ${ac.signal.reason.describe()}\n`);
          process.exitCode = summary.exitCode;
        } finally {
          store.close();
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
