/**
 * A sync in a child process, for the SIGKILL tests (not a test file): argv[2] is a JSON object
 * {db, tokenDir, tokenEndpoint, clientId, clientSecret, baseUrl, account, timezone, mode, now, sync, rebuildInto?}.
 * FITBIT_BRIDGE_FAILPOINT (read by src/util/failpoints.ts) decides where it dies. Prints the report as JSON.
 */
import { TokenManager } from '../../src/auth/oauth-client.js';
import type { Config } from '../../src/config/schema.js';
import { HealthClient } from '../../src/sources/google-health/client.js';
import { rebuildAccount } from '../../src/sources/google-health/rebuild.js';
import { syncAccount, type SyncMode } from '../../src/sources/google-health/sync.js';
import { openStore } from '../../src/store/store.js';

interface Args {
  db: string;
  tokenDir: string;
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  baseUrl: string;
  account: string;
  timezone: string;
  mode: SyncMode;
  now: number;
  sync: Config['sync'];
  rebuildInto?: string;
}

const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const store = openStore(a.db);
try {
  if (a.rebuildInto) {
    const target = openStore(a.rebuildInto);
    try {
      const r = await rebuildAccount({ store, account: a.account, target });
      process.stdout.write(`${JSON.stringify(r)}\n`);
    } finally {
      target.close();
    }
  } else {
    const tm = new TokenManager({ account: a.account, dir: a.tokenDir, tokenEndpoint: a.tokenEndpoint, clientId: a.clientId, clientSecret: a.clientSecret });
    const client = new HealthClient({ baseUrl: a.baseUrl, getAccessToken: (o) => tm.getAccessToken(o), quotaPerMinute: 100_000 });
    try {
      const r = await syncAccount({ store, client, account: a.account, timezone: a.timezone, mode: a.mode, config: a.sync, now: () => a.now });
      process.stdout.write(`${JSON.stringify(r)}\n`);
    } finally {
      await client.close();
    }
  }
} finally {
  store.close();
}
