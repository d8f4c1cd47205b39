/**
 * `fitbit-bridge addon-run`: the Home Assistant add-on's entry point (the `addon` stage of the
 * Dockerfile). Reads the add-on options (/data/options.json), takes the MQTT broker and its
 * credentials from the Supervisor when the options name none, the time zone from the Supervisor,
 * writes the configuration to /data/fitbit-bridge.yaml (secrets beside it in /data/secrets, mode
 * 0600) and then runs `fitbit-bridge run` on it, with HTTP on 0.0.0.0:8099 for ingress.
 */
import { Command, InvalidArgumentError } from 'commander';
import { addonRunEnv, prepareAddon } from '../../addon/runtime.js';
import { AddonError } from '../../addon/options.js';
import { createLogger } from '../../util/log.js';
import { CliError } from '../errors.js';
import { EXIT } from '../../exit-codes.js';
import { runCommand } from './run.js';

interface AddonFlags {
  options: string;
  data: string;
  supervisor: string;
  port: number;
  baseConfig: string;
  sync: boolean;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('a port number 0–65535');
  return n;
}

export function addonCommand(): Command {
  return new Command('addon-run')
    .summary('run as the Home Assistant add-on (options from /data/options.json, MQTT from the Supervisor)')
    .description(
      'The entry point of the Home Assistant add-on image. Reads the add-on options, asks the Supervisor for the MQTT broker ' +
        '(when the options name none) and the time zone, writes the configuration to <data>/fitbit-bridge.yaml and runs ' +
        '`fitbit-bridge run` with the store and tokens in <data> and HTTP on 0.0.0.0:<port> for ingress. ' +
        'Outside the add-on use `fitbit-bridge run` with a config file instead.',
    )
    .option('--options <file>', 'add-on options written by the Supervisor', '/data/options.json')
    .option('--data <dir>', 'persistent data folder (store, tokens, generated configuration)', '/data')
    .option('--supervisor <url>', 'Supervisor API base URL', 'http://supervisor')
    .option('--port <n>', 'HTTP port (the ingress_port of config.yaml)', parsePort, 8099)
    .option('--base-config <file>', "optional YAML with further configuration keys (the add-on's config folder)", '/config/config.yaml')
    .option('--no-sync', 'do not sync from the API')
    .addHelpText(
      'after',
      `
Environment: SUPERVISOR_TOKEN (set by the Supervisor), TZ (fallback time zone).
Every FITBIT_BRIDGE_* variable is ignored here: the add-on options are the configuration.`,
    )
    .action(async (flags: AddonFlags) => {
      const logger = createLogger('info');
      let prepared;
      try {
        prepared = await prepareAddon({
          optionsPath: flags.options,
          dataDir: flags.data,
          supervisorUrl: flags.supervisor,
          httpPort: flags.port,
          baseConfigPath: flags.baseConfig,
          env: process.env,
          logger,
        });
      } catch (e) {
        if (e instanceof AddonError) throw new CliError(e.message, "Fix the add-on options or the add-on's services, then restart the add-on", EXIT.USAGE, e);
        throw e;
      }
      const env = addonRunEnv(process.env, prepared.configFile);
      for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
      Object.assign(process.env, env);
      await runCommand().parseAsync(flags.sync ? [] : ['--no-sync'], { from: 'user' });
    });
}
