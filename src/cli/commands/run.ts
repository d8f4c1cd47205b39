/**
 * `fitbit-bridge run`: the long-running bridge. Syncs every authorised account from the Google
 * Health API on the configured schedule, serves /healthz, /auth and /metrics, hosts the sinks,
 * and stops cleanly on SIGTERM / SIGINT. This file parses the flags, opens the store and handles
 * the signals; the bridge itself is src/run/controller.ts with the parts of src/run/parts.ts.
 */
import { Command } from 'commander';
import type { RunFlags } from '../../run/parts.js';
import { createContext, type GlobalOptions } from '../context.js';
import { packageVersion } from '../version.js';

export function runCommand(): Command {
  return new Command('run')
    .summary('run the bridge: scheduled sync, /healthz, /auth, /metrics and the sinks')
    .description(
      'The long-running bridge. Every account with a token file is synced from the Google Health API on the schedule of the config ' +
        '(schedule.recent, schedule.daily, schedule.backfill); the HTTP server on http.bind:http.port serves /healthz, /auth (authorise an account from any browser) and /metrics. ' +
        'Works without any Google account too (Takeout-only): then it serves what is in the store. Stops cleanly on SIGTERM or Ctrl-C.',
    )
    .option('--no-sync', 'do not sync from the API (serve and publish what is in the store)')
    .addHelpText(
      'after',
      `
Examples:
  fitbit-bridge run
  FITBIT_BRIDGE_HTTP__PORT=9000 fitbit-bridge run --log-level debug`,
    )
    .action(async (flags: RunFlags, cmd: Command) => {
      const ctx = createContext(cmd.optsWithGlobals<GlobalOptions>());
      // loaded here, not at the top: the other commands (and --help) do not load the bridge's parts
      const { Controller } = await import('../../run/controller.js');
      const store = await ctx.openStore();
      const version = packageVersion();
      // the parts (sources, sinks) come from the table in src/run/parts.ts
      const controller = new Controller({ config: ctx.config, store, logger: ctx.logger, version, flags: { sync: flags.sync } });
      let stopping: Promise<void> | null = null;
      const stop = (signal: string): void => {
        if (stopping) {
          ctx.logger.warn({ signal }, 'second signal: exiting now');
          process.exit(130);
        }
        ctx.logger.info({ signal }, 'stopping');
        stopping = controller.stop().finally(() => {
          store.close();
          ctx.logger.info('stopped');
        });
      };
      const done = new Promise<void>((resolve) => {
        const onSignal = (sig: NodeJS.Signals): void => {
          stop(sig);
          void stopping?.then(resolve, resolve);
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
      try {
        await controller.start();
      } catch (e) {
        await controller.stop().catch(() => undefined);
        store.close();
        throw e;
      }
      ctx.logger.info(
        { version, url: controller.http?.url() ?? null, accounts: controller.accountStatuses().map((a) => `${a.name}:${a.auth}`) },
        'fitbit-bridge is running',
      );
      await done;
    });
}
