/**
 * The configuration the web tests run on: an empty config file, the store at `dbPath`, one
 * account "alice" in `timezone`, HTTP on a free port, the schedules quiet; `env` adds to it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { QUIET_SCHEDULE_ENV } from './schedule.js';
import type { Tmp } from './tmp.js';

export function webConfig(tmp: Tmp, dbPath: string, timezone: string, env: Record<string, string> = {}): LoadedConfig {
  const file = join(tmp.dir, 'empty.yaml');
  writeFileSync(file, '');
  return loadConfig({
    file,
    overrides: { 'store.path': dbPath },
    env: {
      ...QUIET_SCHEDULE_ENV,
      FITBIT_BRIDGE_ACCOUNTS__0__NAME: 'alice',
      FITBIT_BRIDGE_ACCOUNTS__0__TIMEZONE: timezone,
      FITBIT_BRIDGE_HTTP__PORT: '0',
      ...env,
    },
  });
}
