import { pino, type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line. */
export const REDACT_PATHS = [
  'access_token',
  'refresh_token',
  'client_secret',
  'password',
  'token',
  'authorization',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.password',
  '*.token',
  '*.authorization',
];

/**
 * The process logger: JSON lines (pino) on stderr, so stdout stays clean for command output
 * (tables, --json). Secrets are redacted by key.
 */
export function createLogger(level: string = process.env.FITBIT_BRIDGE_LOG_LEVEL ?? 'info', destination: number | NodeJS.WritableStream = 2): Logger {
  const dest = typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino({ level, base: undefined, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, dest);
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
