/**
 * `/metrics` on the HTTP server of `fitbit-bridge run` (prom-client, its own registry): the
 * bridge's health — sync times and outcomes, API requests by outcome, quota left, whether an
 * account needs a new authorisation, what the store holds — plus Node's default process metrics.
 * Names follow Prometheus conventions: base units, `_total` counters, `_timestamp_seconds`.
 * No sample timestamps: these are current values (history goes out by remote write).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Extension, ExtensionContext } from '../../run/extension.js';
import { sendText } from '../../run/http.js';

export function prometheusExtension(): Extension {
  let ctx: ExtensionContext | null = null;
  const registry = new Registry();
  const onSync: Array<() => void> = [];

  return {
    name: 'prometheus',
    async start(c: ExtensionContext): Promise<void> {
      ctx = c;
      collectDefaultMetrics({ register: registry });
      new Gauge({ name: 'fitbit_bridge_info', help: 'Build information of the running bridge (always 1).', labelNames: ['version'], registers: [registry] })
        .set({ version: c.version }, 1);
      const lastAttempt = new Gauge({
        name: 'fitbit_bridge_sync_last_attempt_timestamp_seconds', help: 'When the last sync of the account started (Unix time).', labelNames: ['account'], registers: [registry],
      });
      const lastSuccess = new Gauge({
        name: 'fitbit_bridge_sync_last_success_timestamp_seconds', help: 'When the last successful sync of the account ended (Unix time).', labelNames: ['account'], registers: [registry],
      });
      const reauth = new Gauge({
        name: 'fitbit_bridge_account_reauth_needed', help: '1 when the account needs a new Google authorisation (fitbit-bridge auth or the /auth page), else 0.', labelNames: ['account'], registers: [registry],
      });
      const quota = new Gauge({
        name: 'fitbit_bridge_api_quota_remaining', help: 'Google Health API requests left in the current minute (per user quota).', labelNames: ['account'], registers: [registry],
      });
      const storeSamples = new Gauge({
        name: 'fitbit_bridge_store_samples', help: 'Samples held in the store per account.', labelNames: ['account'], registers: [registry],
      });
      const storeBytes = new Gauge({ name: 'fitbit_bridge_store_size_bytes', help: 'Size of the SQLite store on disk (main file + WAL).', registers: [registry] });
      const runs = new Counter({
        name: 'fitbit_bridge_sync_runs_total', help: 'Sync jobs run, by job and result.', labelNames: ['account', 'job', 'result'], registers: [registry],
      });
      const requests = new Counter({
        name: 'fitbit_bridge_api_requests_total', help: 'Google Health API requests, by outcome (ok, rate_limited, server_error, timeout, …).', labelNames: ['account', 'outcome'], registers: [registry],
      });
      c.events.on('sync:finished', (e) => runs.inc({ account: e.account, job: e.job, result: e.ok ? 'ok' : 'error' }));
      c.events.on('api:request', (e) => requests.inc({ account: e.account, outcome: e.outcome }));
      onSync.push(() => {
        for (const a of c.accounts()) {
          if (a.lastSyncAt !== null) lastAttempt.set({ account: a.name }, a.lastSyncAt / 1000);
          if (a.lastSuccessAt !== null) lastSuccess.set({ account: a.name }, a.lastSuccessAt / 1000);
          reauth.set({ account: a.name }, a.auth === 'reauth-needed' || (a.live && a.auth === 'missing') ? 1 : 0);
          if (a.quotaLeft !== null) quota.set({ account: a.name }, a.quotaLeft);
        }
        const perAccount = new Map<string, number>();
        for (const s of c.store.listSeries()) perAccount.set(s.account, (perAccount.get(s.account) ?? 0) + s.count);
        for (const [account, n] of perAccount) storeSamples.set({ account }, n);
        storeBytes.set(c.store.diskBytes());
      });
      c.http.route('/metrics', async (req, res) => {
        if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed\n', undefined, { allow: 'GET, HEAD' });
        for (const f of onSync) f();
        sendText(res, 200, await registry.metrics(), registry.contentType);
      });
    },
    async stop(): Promise<void> {
      ctx = null;
      registry.clear();
    },
  };
}
