/** `fitbit-bridge doctor`: checks the configuration, authorisations, endpoints, disk and store, and says what to fix. */
import { Command, InvalidArgumentError } from 'commander';
import type { GlobalOptions } from '../context.js';
import { EXIT } from '../../exit-codes.js';

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 300) throw new InvalidArgumentError('Expected a number of seconds > 0 and <= 300.');
  return n;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .summary('check the setup and say what to fix')
    .description(
      'Checks, one line each with ok / warn / PROBLEM and what to do: the configuration loads (and from which file and variables), ' +
        "each account's Google authorisation (missing, refused, expired or ending within a day), the Google token endpoint and API, " +
        'the MQTT broker and the remote-write TSDB (when configured) are reachable with the configured credentials, the free space ' +
        "of the store's disk, the store itself (opened read-only: quick_check, schema version, size, WAL) and that the token files, the store and the dump are private (with the chmod that fixes them). " +
        'Safe beside a running `fitbit-bridge run`: it changes nothing (the remote-write check sends an empty write request).',
    )
    .option('--json', 'print the checks as JSON on stdout')
    .option('--timeout <seconds>', 'timeout of each network check', parseSeconds, 5)
    .addHelpText(
      'after',
      `
Examples:
  fitbit-bridge doctor
  fitbit-bridge doctor --json | jq '.checks[] | select(.status != "ok")'

Exit code: 0 when nothing is a problem (warnings allowed), 1 when something is.`,
    )
    .action(async (flags: { json?: boolean; timeout: number }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const mod = await import('../../doctor/index.js');
      const report = await mod.runDoctor({
        ...(g.config !== undefined ? { file: g.config } : {}),
        ...(g.db !== undefined ? { db: g.db } : {}),
        ...(g.logLevel !== undefined ? { logLevel: g.logLevel } : {}),
        env: process.env,
        deps: { timeoutMs: flags.timeout * 1000 },
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${mod.formatDoctor(report)}\n`);
      process.exitCode = report.exitCode === 0 ? EXIT.OK : EXIT.PARTIAL;
    });
}
