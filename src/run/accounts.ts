/**
 * The status of every configured account in `fitbit-bridge run` (/healthz, /auth, MQTT's state,
 * /metrics). The controller creates it from the config, so it exists without the Google Health
 * source too (Takeout-only: every account 'missing', not live); the Google Health source, when it
 * runs, updates the records (auth state, last sync, errors, quota).
 */
import type { AccountStatus } from './extension.js';

export class AccountBook {
  private readonly byName = new Map<string, AccountStatus>();

  constructor(names: readonly string[]) {
    for (const name of names) {
      this.byName.set(name, {
        name,
        live: false,
        auth: 'missing',
        lastSyncAt: null,
        lastSuccessAt: null,
        lastError: null,
        quotaLeft: null,
        lastAdded: 0,
      });
    }
  }

  /** Copies of every account's status, in config order. */
  list(): AccountStatus[] {
    return [...this.byName.values()].map((a) => ({ ...a }));
  }

  /** The live record of one account (its source updates it), undefined when not configured. */
  get(name: string): AccountStatus | undefined {
    return this.byName.get(name);
  }
}
