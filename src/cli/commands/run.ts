/**
 * `fitbit-bridge run`: the long-running bridge. Syncs every authorised account from the Google
 * Health API on the configured schedule, serves /healthz, /auth and /metrics, hosts the sinks,
 * and stops cleanly on SIGTERM / SIGINT.
 */
import { Command } from 'commander';
import { mqttEnabled } from '../../config/schema.js';
import type { Extension } from '../../run/extension.js';
import { createContext, importPart, type GlobalOptions } from '../context.js';
import { packageVersion } from '../version.js';

type ControllerModule = typeof import('../../run/controller.js');
type LiveSyncModule = typeof import('../../run/live-sync.js');
type PrometheusModule = typeof import('../../sinks/prometheus/extension.js');
type MqttModule = typeof import('../../sinks/mqtt/extension.js');
type RemoteWriteModule = typeof import('../../sinks/remote-write/extension.js');
type DropFolderModule = typeof import('../../run/drop-folder-extension.js');

interface RunFlags {
  sync: boolean;
}

export function runCommand(): Command {
  return new Command('run')
    .summary('run the bridge: scheduled sync, /healthz, /auth, /metrics and the sinks')
    .description(
      'The long-running bridge. Every account with a token file is synced from the Google Health API on the schedule of the config ' +
      '(schedule.recent, schedule.daily, schedule.backfill); the HTTP server on http.bind:http.port serves /healthz, /auth (authorise an account from any browser) and /metrics. ' +
      'Works without any Google account too (Takeout-only): then it serves what is in the store. Stops cleanly on SIGTERM or Ctrl-C.',
    )
    .option('--no-sync', 'do not sync from the API (serve and publish what is in the store)')
    .addHelpText('after', `
Examples:
  fitbit-bridge run
  FITBIT_BRIDGE_HTTP__PORT=9000 fitbit-bridge run --log-level debug`)
    .action(async (flags: RunFlags, cmd: Command) => {
      const ctx = createContext(cmd.optsWithGlobals<GlobalOptions>());
      const { Controller } = await importPart<ControllerModule>('run/controller.js', 'The bridge controller');
      const store = await ctx.openStore();
      const version = packageVersion();
      const extensions: Extension[] = [];
      const prom = await importPart<PrometheusModule>('sinks/prometheus/extension.js', 'The Prometheus endpoint');
      const promExt = prom.prometheusExtension();
      extensions.push(promExt);
      if (mqttEnabled(ctx.config)) {
        const mq = await importPart<MqttModule>('sinks/mqtt/extension.js', 'The MQTT sink');
        const mqExt = mq.mqttExtension();
        extensions.push(mqExt);
        promExt.watchSinks({ mqtt: mqExt });
      }
      if (ctx.config.remote_write.url) {
        const rw = await importPart<RemoteWriteModule>('sinks/remote-write/extension.js', 'The remote-write sink');
        const rwExt = rw.remoteWriteExtension();
        extensions.push(rwExt);
        promExt.watchSinks({ remoteWrite: rwExt });
      }
      if (ctx.config.takeout.drop_folder !== undefined) {
        // last: extensions stop in reverse order, so an import in progress ends before the sinks and the store close
        const df = await importPart<DropFolderModule>('run/drop-folder-extension.js', 'The Takeout drop folder');
        extensions.push(df.dropFolderExtension());
      }
      // the live source (undici, the sync engine) is loaded only when a Google client is configured
      const live = flags.sync && ctx.config.google.client_id ? await importPart<LiveSyncModule>('run/live-sync.js', 'The live source') : null;
      let emit: ((account: string, outcome: string, status: number | null, ms: number) => void) | null = null;
      const sync = live
        ? live.createSyncRunner({ config: ctx.config, store, logger: ctx.logger, onRequest: (account, e) => emit?.(account, e.outcome, e.status, e.ms) })
        : null;
      const controller = new Controller({ config: ctx.config, store, logger: ctx.logger, version, extensions, sync });
      emit = (account, outcome, status, ms) => { controller.events.emit('api:request', { account, outcome, status, ms }); };
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
      ctx.logger.info({ version, url: controller.http?.url() ?? null, accounts: controller.accountStatuses().map((a) => `${a.name}:${a.auth}`) }, 'fitbit-bridge is running');
      await done;
    });
}
