// One sync pass in a child process of bench/sync (not a benchmark by itself): argv[2] is a JSON
// object {db, tokenDir, tokenEndpoint, clientId, clientSecret, baseUrl, account, timezone, mode,
// types?, now, sync, lateOverlap?, maxRequests?}. Prints {requests, added, maxRssBytes, vmHwmBytes} as JSON: the peak resident
// memory of this process, which did nothing but open the store and run the pass.
import { readFileSync } from 'node:fs';
// It runs the built code (dist/, as installed: no TypeScript loader in the measured process).
// dist/ is loaded by a path tsc does not resolve (it need not exist when the sources are checked); its types are the sources'
const dist = (/** @type {string} */ path) => import(new URL(`../../dist/${path}`, import.meta.url).href);
/** @type {typeof import('../../src/auth/oauth-client.js')} */
const { TokenManager } = await dist('auth/oauth-client.js');
/** @type {typeof import('../../src/sources/google-health/client.js')} */
const { HealthClient } = await dist('sources/google-health/client.js');
/** @type {typeof import('../../src/sources/google-health/sync.js')} */
const { syncAccount } = await dist('sources/google-health/sync.js');
/** @type {typeof import('../../src/store/store.js')} */
const { openStore } = await dist('store/store.js');

function vmHwm() {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** @type {{db: string, tokenDir: string, tokenEndpoint: string, clientId: string, clientSecret: string, baseUrl: string, account: string, timezone: string, mode: import('../../src/sources/google-health/sync.js').SyncMode, types?: string[], now: number, sync: import('../../src/config/schema.js').Config['sync'], lateOverlap?: boolean, maxRequests?: number}} */
const a = JSON.parse(process.argv[2] ?? '{}');
const store = openStore(a.db);
const tm = new TokenManager({ account: a.account, dir: a.tokenDir, tokenEndpoint: a.tokenEndpoint, clientId: a.clientId, clientSecret: a.clientSecret });
const client = new HealthClient({ baseUrl: a.baseUrl, getAccessToken: (o) => tm.getAccessToken(o), quotaPerMinute: 1_000_000 });
const before = process.resourceUsage().maxRSS * 1024;
try {
  const r = await syncAccount({
    store,
    client,
    account: a.account,
    timezone: a.timezone,
    mode: a.mode,
    config: a.sync,
    now: () => a.now,
    ...(a.types ? { types: a.types } : {}),
    ...(a.lateOverlap !== undefined ? { lateOverlap: a.lateOverlap } : {}),
    ...(a.maxRequests !== undefined ? { maxRequests: a.maxRequests } : {}),
  });
  const out = {
    requests: r.requests,
    added: r.added + r.changed + r.sessions,
    rssBeforeBytes: before,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    vmHwmBytes: vmHwm(),
    types: Object.fromEntries(Object.entries(r.types).map(([k, v]) => [k, v.requests])),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await client.close();
  store.close();
}
