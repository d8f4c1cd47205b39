/** `fitbit-bridge emulator`: runs the local Google OAuth + Health API emulator until SIGINT / SIGTERM. */
import { Command, InvalidArgumentError } from 'commander';
import { FAULT_KINDS } from '../../emulator/faults.js';
import { VARIANT_CHOICES, parseVariantArgs } from '../../emulator/health-api/variants.js';
import { startGoogleEmulator, type GoogleEmulator, type GoogleEmulatorOptions } from '../../emulator/index.js';
import { errText } from '../../errors.js';
import { addDays } from '../../time/index.js';
import { usageError } from '../errors.js';
import { parseDate, parseTimeZone } from '../validate.js';

function intIn(lo: number, hi: number, what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (/^\d+$/.test(value) && n >= lo && n <= hi) return n;
    throw new InvalidArgumentError(`Expected ${what}: an integer from ${lo} to ${hi}.`);
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export interface EmulatorFlags {
  port?: number;
  host?: string;
  seed?: number;
  days?: number;
  timezone?: string;
  endDate?: string;
  quota?: number;
  lag?: number;
  variant?: string[];
}

/** The options `startGoogleEmulator` gets from the flags (exported for tests). */
export function emulatorOptions(flags: EmulatorFlags): GoogleEmulatorOptions {
  let variant;
  try {
    variant = parseVariantArgs(flags.variant ?? []);
  } catch (e) {
    throw usageError(errText(e), "Run 'fitbit-bridge emulator --help' for the variants");
  }
  const days = flags.days ?? 30;
  return {
    port: flags.port ?? 0,
    host: flags.host ?? '127.0.0.1',
    seed: flags.seed ?? 1,
    days,
    ...(flags.timezone !== undefined ? { timezone: flags.timezone } : {}),
    ...(flags.endDate !== undefined ? { lastDay: flags.endDate, firstDay: addDays(flags.endDate, -(days - 1)) } : {}),
    ...(flags.quota !== undefined ? { quotaPerMinute: flags.quota } : {}),
    ...(flags.lag !== undefined ? { dataLagMs: flags.lag * 1000 } : {}),
    variant,
  };
}

/** What the command prints once the emulator listens. */
export function emulatorBanner(e: GoogleEmulator): string {
  const v = Object.entries(e.api.variants)
    .map(([k, x]) => `${k}=${String(x)}`)
    .join(' ');
  return [
    `Google emulator listening on ${e.url}`,
    `  synthetic user: seed ${e.user.seed}, ${e.user.timezone}, ${e.user.firstDay} .. ${e.user.lastDay} (healthUserId ${e.user.healthUserId})`,
    `  quota ${e.api.quota.limit}/min, data lag ${e.api.options.dataLagMs / 1000} s; variants: ${v}`,
    `  client id:     ${e.clientId}`,
    `  client secret: ${e.clientSecret}   (an emulator value, not a secret)`,
    `  control:       ${e.url}/__emulator/stats, ${e.url}/__emulator/faults`,
    '',
    'Point the bridge at it (config.yaml):',
    'google:',
    `  authorize_endpoint: ${e.config.authorize_endpoint}`,
    `  token_endpoint: ${e.config.token_endpoint}`,
    `  api_base_url: ${e.config.api_base_url}`,
    `  client_id: ${e.config.client_id}`,
    `  client_secret: ${e.config.client_secret}`,
    '',
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}

export function emulatorCommand(): Command {
  const variants = Object.entries(VARIANT_CHOICES)
    .map(([k, vs]) => `${k}=${vs.join('|')}`)
    .join(', ');
  return new Command('emulator')
    .summary('run the local Google OAuth + Health API emulator')
    .description(
      "Serve Google OAuth and the Google Health API v4 from a deterministic synthetic user (the same truth the demo's Takeout archive holds), so the bridge can be run and tested without an account or network. Runs until SIGINT / SIGTERM.",
    )
    .option('--port <n>', 'port to listen on (default: a free one)', intIn(0, 65535, 'a port'))
    .option('--host <addr>', 'address to bind (default 127.0.0.1)')
    .option('--seed <n>', 'synthetic user (default 1)', intIn(0, 2 ** 31 - 1, 'a seed'))
    .option('--days <n>', 'days of history (default 30)', intIn(1, 3650, 'a number of days'))
    .option('--timezone <iana>', 'time zone of the synthetic user (default America/New_York)', parseTimeZone)
    .option('--end-date <date>', 'last local day with data (default: today; the current day is served up to now)', parseDate)
    .option('--quota <n>', 'requests per user per minute (default 300)', intIn(1, 1_000_000, 'a quota'))
    .option('--lag <seconds>', 'points appear this long after their end (late phone sync; default 0)', intIn(0, 7 * 86_400, 'seconds'))
    .option('--variant <key=value>', `an uncertain API behaviour, repeatable: ${variants}`, collect)
    .addHelpText(
      'after',
      `
Examples:
  fitbit-bridge emulator --port 8787
  fitbit-bridge emulator --days 90 --timezone Europe/Berlin --variant sleepFilterMember=civil_start_time
  curl -X POST localhost:8787/__emulator/faults -d '{"kind":"503","times":3}'

Fault kinds for /__emulator/faults: ${FAULT_KINDS.join(', ')}.`,
    )
    .action(async (flags: EmulatorFlags) => {
      const emu = await startGoogleEmulator(emulatorOptions(flags));
      process.stdout.write(emulatorBanner(emu));
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await emu.close();
    });
}
