/**
 * Doctor checks `auth:<account>`: per account, the state of its Google authorisation from its
 * token file (no network): missing, refused by Google (reauth-needed), expired, ending within a
 * day — each a problem with `fitbit-bridge auth --account X` as the fix — or ok with when it ends.
 * A consent scope the authorisation lacks (a box left unticked, or authorised before fitbit-bridge
 * asked for it) is a warning naming the scope and the call that needs it (scopes.ts).
 */
import { TokenManager } from '../auth/oauth-client.js';
import { readTokenFileSync, tokenFilePath } from '../auth/token-store.js';
import { missingConsentScopes, scopeMeanwhile, scopeNeededFor, shortScope, whyMissing } from '../sources/google-health/scopes.js';
import { HOUR_MS, MINUTE_MS } from '../time/index.js';
import type { CheckContext, CheckResult } from './types.js';
import { errDetail } from './types.js';

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function inWords(ms: number): string {
  const h = ms / HOUR_MS;
  if (h < 1) return `${Math.max(0, Math.round(ms / MINUTE_MS))} min`;
  if (h < 48) return `${Math.round(h)} h`;
  return `${Math.round(h / 24)} days`;
}

export function checkAuth(ctx: CheckContext): CheckResult[] {
  const { config, deps } = ctx;
  const g = config.google;
  if (!g.client_id) {
    return [
      {
        id: 'auth',
        name: 'auth',
        status: 'ok',
        detail: 'no Google OAuth client configured (google.client_id): the live source is off, Takeout imports only',
        data: { live: false },
      },
    ];
  }
  const out: CheckResult[] = [];
  for (const a of config.accounts) {
    const id = `auth:${a.name}`;
    const name = `auth ${a.name}`;
    const fix = `Run: fitbit-bridge auth --account ${a.name} (or open the /auth page of fitbit-bridge run)`;
    let path = '';
    try {
      path = tokenFilePath(g.token_dir, a.name);
      const tm = new TokenManager({ account: a.name, dir: g.token_dir, clientId: g.client_id, clock: deps.now });
      const state = tm.state();
      const file = readTokenFileSync(g.token_dir, a.name);
      const now = deps.now();
      if (state === 'missing' || file === null) {
        out.push({ id, name, status: 'problem', detail: `not authorised yet (no token file ${path})`, fix, data: { state: 'missing', path } });
        continue;
      }
      const exp = file.tokens.refreshTokenExpiresAt;
      const data: Record<string, unknown> = {
        state,
        path,
        refreshTokenExpiresAt: exp,
        accessTokenExpiresAt: file.tokens.accessTokenExpiresAt,
        scopes: file.tokens.scopes,
      };
      if (file.reauthNeeded !== null) {
        out.push({
          id,
          name,
          status: 'problem',
          fix,
          data: { ...data, reauthReason: file.reauthNeeded.reason, reauthAt: file.reauthNeeded.at },
          detail: `re-authorisation needed: Google refused the authorisation at ${iso(file.reauthNeeded.at)} (${file.reauthNeeded.reason})`,
        });
        continue;
      }
      if (exp !== null && exp <= now) {
        out.push({
          id,
          name,
          status: 'problem',
          fix,
          data: { ...data, state: 'expired' },
          detail: `the authorisation expired at ${iso(exp)} (${inWords(now - exp)} ago; apps in Testing mode need a new consent every 7 days)`,
        });
        continue;
      }
      if (state === 'expiring-soon' && exp !== null) {
        out.push({
          id,
          name,
          status: 'problem',
          fix,
          data,
          detail: `the authorisation ends at ${iso(exp)} (in ${inWords(exp - now)}); sync stops then`,
        });
        continue;
      }
      const missing = missingConsentScopes(file.tokens.scopes);
      const until = exp === null ? 'no end date (published app)' : `valid until ${iso(exp)} (${inWords(exp - now)})`;
      if (missing.length > 0) {
        const zone = a.timezone ?? config.takeout.timezone ?? null;
        out.push({
          id,
          name,
          status: 'warn',
          data: { ...data, missingScopes: missing },
          detail: `authorised, ${until}, but without ${missing.map((s) => `${shortScope(s)} (${scopeNeededFor(s)}; ${whyMissing(s)}; meanwhile ${scopeMeanwhile(s, zone)})`).join(', ')}`,
          fix: `Run: fitbit-bridge auth --account ${a.name} and tick every box on Google's consent page`,
        });
        continue;
      }
      out.push({ id, name, status: 'ok', detail: `authorised, ${until}`, data });
    } catch (e) {
      out.push({
        id,
        name,
        status: 'problem',
        detail: `cannot read the token file${path ? ` ${path}` : ''}: ${errDetail(e)}`,
        fix: `${fix}; it writes a new token file`,
        data: { path },
      });
    }
  }
  return out;
}
