/** `fitbit-bridge dump [dir]`: every local day of every metric as a file (CSV or JSON lines). */
import { Command, Option } from 'commander';
import type { MetricId } from '../../metrics/registry.js';
import { DUMP_FORMATS } from '../../config/schema.js';
import { createContext, type GlobalOptions } from '../context.js';
import { usageError } from '../errors.js';
import { parseAccountName, parseDate, parseMetrics } from '../validate.js';

interface DumpFlags {
  account?: string;
  from?: string;
  to?: string;
  metric?: MetricId[];
  format?: 'csv' | 'jsonl';
  progress: boolean;
  sleepAlternatives?: boolean;
}

export function dumpCommand(): Command {
  return new Command('dump')
    .summary('write every day of every metric as a file (CSV or JSON lines)')
    .description(
      'Write the store as one file per metric and local day: <dir>/<metric>/<YYYY-MM-DD>.csv (with several accounts: <dir>/<account>/<metric>/...). Incremental: a second run rewrites only the days that changed since the last one.',
    )
    .argument('[dir]', 'folder to write to (default: dump.dir of the config)')
    .option('--account <name>', 'only this account (default: every account)', parseAccountName)
    .option('--from <date>', 'first local date, YYYY-MM-DD (inclusive)', parseDate)
    .option('--to <date>', 'last local date, YYYY-MM-DD (inclusive)', parseDate)
    .option('--metric <id...>', 'only these metrics (repeatable or comma-separated; see `fitbit-bridge stats`)', parseMetrics)
    .addOption(new Option('--format <format>', 'file format (default: dump.format of the config, csv)').choices([...DUMP_FORMATS]))
    .option('--no-progress', 'no progress bar')
    .option(
      '--sleep-alternatives',
      'sleep files also list the versions of each sleep that are not counted (columns version, chosen; default: dump.sleep_alternatives of the config, false)',
    )
    .addHelpText(
      'after',
      `
Examples:
  fitbit-bridge dump ~/fitbit-dump
  fitbit-bridge dump out --from 2024-01-01 --to 2024-12-31 --metric heart_rate,steps --format jsonl
  fitbit-bridge dump out --account alice --metric sleep --metric resting_heart_rate`,
    )
    .action(async (dirArg: string | undefined, flags: DumpFlags, cmd: Command) => {
      if (flags.from !== undefined && flags.to !== undefined && flags.from > flags.to) {
        throw usageError(`--from ${flags.from} is after --to ${flags.to}`, 'Swap the dates or fix one of them');
      }
      const ctx = createContext(cmd.optsWithGlobals<GlobalOptions>());
      const dir = dirArg ?? ctx.config.dump.dir;
      if (dir === undefined) {
        throw usageError('no dump folder given', 'Pass it as an argument (fitbit-bridge dump <dir>) or set dump.dir in the config');
      }
      const store = await ctx.openStore({ readonly: true, mustExist: true });
      try {
        if (flags.account !== undefined) {
          const known = new Set([...store.accounts().map((a) => a.name), ...store.listSeries().map((s) => s.account)]);
          if (!known.has(flags.account)) {
            throw usageError(
              `no account "${flags.account}" in ${store.path} (known: ${[...known].sort().join(', ') || 'none'})`,
              'Check the spelling, or import data for it first',
            );
          }
        }
        const mod = await import('../../sinks/dump/dump.js');
        const summary = await mod.runDump({
          store,
          dir,
          ...(flags.account !== undefined ? { account: flags.account } : {}),
          ...(flags.from !== undefined ? { from: flags.from } : {}),
          ...(flags.to !== undefined ? { to: flags.to } : {}),
          ...(flags.metric !== undefined ? { metrics: flags.metric } : {}),
          format: flags.format ?? ctx.config.dump.format,
          logger: ctx.logger,
          progress: flags.progress,
          sleepAlternatives: flags.sleepAlternatives ?? ctx.config.dump.sleep_alternatives,
        });
        process.stdout.write(`${mod.formatDumpSummary(summary)}\n`);
      } finally {
        store.close();
      }
    });
}
