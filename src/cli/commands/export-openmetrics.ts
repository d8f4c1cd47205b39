/** `fitbit-bridge export-openmetrics <file>`: the history as OpenMetrics text for promtool backfilling. */
import { Command } from 'commander';
import type { MetricId } from '../../metrics/registry.js';
import { createContext, type GlobalOptions } from '../context.js';
import { usageError } from '../errors.js';
import { parseAccountName, parseDate, parseMetrics } from '../validate.js';

interface ExportFlags {
  account?: string;
  from?: string;
  to?: string;
  metric?: MetricId[];
}

export function exportOpenMetricsCommand(): Command {
  return new Command('export-openmetrics')
    .summary('write the history as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`')
    .description(
      'Write every sample (and the per-day series) as OpenMetrics text with timestamps, under the same names as remote write (fitbit_history_*, see docs/tsdb.md), to backfill a plain Prometheus: promtool tsdb create-blocks-from openmetrics <file> <dir>, then move the blocks into its data folder. <file> "-" writes to stdout.',
    )
    .argument('<file>', 'file to write (atomically), or - for stdout')
    .option('--account <name>', 'only this account (default: every account)', parseAccountName)
    .option('--from <date>', 'first local date, YYYY-MM-DD (inclusive)', parseDate)
    .option('--to <date>', 'last local date, YYYY-MM-DD (inclusive)', parseDate)
    .option('--metric <id...>', 'only these metrics (repeatable or comma-separated; see `fitbit-bridge stats`)', parseMetrics)
    .addHelpText(
      'after',
      `
Examples:
  fitbit-bridge export-openmetrics history.om
  promtool tsdb create-blocks-from openmetrics history.om ./blocks
  fitbit-bridge export-openmetrics - --from 2020-01-01 --to 2023-12-31 --metric heart_rate,steps > old.om

Do not backfill the last 3 hours this way (Prometheus' head block holds them): use --to, or remote write.`,
    )
    .action(async (file: string, flags: ExportFlags, cmd: Command) => {
      if (flags.from !== undefined && flags.to !== undefined && flags.from > flags.to) {
        throw usageError(`--from ${flags.from} is after --to ${flags.to}`, 'Swap the dates or fix one of them');
      }
      const ctx = createContext(cmd.optsWithGlobals<GlobalOptions>());
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
        const mod = await import('../../sinks/openmetrics/export.js');
        const s = await mod.exportOpenMetrics({
          store,
          file,
          ...(flags.account !== undefined ? { account: flags.account } : {}),
          ...(flags.from !== undefined ? { from: flags.from } : {}),
          ...(flags.to !== undefined ? { to: flags.to } : {}),
          ...(flags.metric !== undefined ? { metrics: flags.metric } : {}),
        });
        const span = s.first === null ? '' : ` from ${new Date(s.first).toISOString()} to ${new Date(s.last!).toISOString()}`;
        const msg = `export-openmetrics: ${s.samples} samples of ${s.series} series (${s.families} metrics)${span}${file === '-' ? '' : ` written to ${file}\nnext: promtool tsdb create-blocks-from openmetrics ${file} <output dir>, then move the blocks into Prometheus' data folder`}\n`;
        (file === '-' ? process.stderr : process.stdout).write(msg);
      } finally {
        store.close();
      }
    });
}
