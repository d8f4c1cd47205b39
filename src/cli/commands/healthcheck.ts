/**
 * `fitbit-bridge healthcheck`: the container's HEALTHCHECK. Loads the configuration the way
 * `run` does (--config, $FITBIT_BRIDGE_CONFIG, FITBIT_BRIDGE_* variables, the config file) and
 * asks the bridge's own /healthz on the port that configuration sets. Healthy without asking
 * when HTTP is off (http.enabled: false) or on any free port (http.port: 0): then there is
 * nothing to ask. Exits 0 (healthy) or 1 (unhealthy) only, as Docker expects; one line on
 * stdout says why (Docker keeps it in `docker inspect`'s health log).
 */
import { Command, InvalidArgumentError } from 'commander';
import { isIP } from 'node:net';
import type { LoadedConfig } from '../../config/load.js';
import { errText } from '../../errors.js';
import { createContext, type GlobalOptions } from '../context.js';
import { describeError } from '../errors.js';

export interface HealthResult {
  healthy: boolean;
  /** What was asked and what came back, one line. */
  message: string;
  /** The URL asked; null when nothing was asked. */
  url: string | null;
}

/** Where the bridge of this configuration answers: the bound address, loopback for a wildcard. */
export function healthUrl(http: Pick<LoadedConfig['http'], 'bind' | 'port'>): string {
  const bind = http.bind.trim();
  let host = bind;
  if (bind === '0.0.0.0' || bind === '') host = '127.0.0.1';
  else if (bind === '::' || bind === '[::]') host = '::1';
  if (isIP(host.replace(/^\[|\]$/g, '')) === 6) host = `[${host.replace(/^\[|\]$/g, '')}]`;
  return `http://${host}:${http.port}/healthz`;
}

/** Asks /healthz of the configured HTTP server: healthy on 200 with `"status":"ok"`. */
export async function checkHealth(http: Pick<LoadedConfig['http'], 'bind' | 'port' | 'enabled'>, timeoutMs: number): Promise<HealthResult> {
  if (!http.enabled) return { healthy: true, url: null, message: 'healthy: HTTP is off (http.enabled: false), nothing to ask' };
  if (http.port === 0) return { healthy: true, url: null, message: 'healthy: http.port is 0 (any free port), nothing to ask' };
  const url = healthUrl(http);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    return { healthy: false, url, message: `unhealthy: no answer from ${url} (${cause})` };
  }
  const text = await res.text().catch(() => '');
  let status: unknown;
  try {
    status = (JSON.parse(text) as { status?: unknown }).status;
  } catch {
    status = undefined;
  }
  if (res.status === 200 && status === 'ok') return { healthy: true, url, message: `healthy: ${url} answered 200 ${text.slice(0, 200)}` };
  const hint = res.status === 403 ? ' (add 127.0.0.1 to http.allowed_clients so the container may ask itself)' : '';
  return { healthy: false, url, message: `unhealthy: ${url} answered HTTP ${res.status}${hint}` };
}

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 600) throw new InvalidArgumentError('seconds, more than 0 and at most 600');
  return n;
}

export function healthcheckCommand(): Command {
  return new Command('healthcheck')
    .summary("ask the running bridge's /healthz on the configured port (the container's health check)")
    .description(
      'Loads the configuration like `run` (config file, FITBIT_BRIDGE_* variables) and asks GET /healthz on http.bind:http.port ' +
        '(127.0.0.1 when bound to 0.0.0.0). Exit 0 when it answers 200, 1 otherwise; 0 without asking when HTTP is off or on port 0. ' +
        "The images' HEALTHCHECK runs it.",
    )
    .option('--timeout <seconds>', 'how long to wait for the answer', parseSeconds, 4)
    .addHelpText(
      'after',
      `
Examples:
  fitbit-bridge healthcheck
  docker inspect --format '{{json .State.Health}}' fitbit-bridge`,
    )
    .action(async (flags: { timeout: number }, cmd: Command) => {
      let result: HealthResult;
      try {
        const ctx = createContext(cmd.optsWithGlobals<GlobalOptions>());
        result = await checkHealth(ctx.config.http, flags.timeout * 1000);
      } catch (e) {
        // Docker reserves exit code 2: a configuration the bridge cannot load is "unhealthy" (1)
        const { message } = describeError(e);
        result = { healthy: false, url: null, message: `unhealthy: ${message || errText(e)}` };
      }
      process.stdout.write(`${result.message}\n`);
      process.exitCode = result.healthy ? 0 : 1;
    });
}
