/**
 * Every Google Health API method the bridge calls, with the OAuth scope it needs: the one table
 * the consent's scopes come from (src/auth/oauth-client.ts `READ_SCOPES`), so the consent asks for
 * exactly what the calls need. Each scope is one of the method's `scopes` in the discovery
 * document (test/google-health/scopes.test.ts checks that; test/sync/scopes.test.ts checks that a
 * sync calls exactly these methods).
 *
 * - `dataPoints.<list|rollUp>`: one row per method and scope area, from datatypes.ts (each data
 *   type names its `method` and `scope` area there);
 * - `users.getSettings`: the account's time zone, asked for only when none is configured.
 * The bridge does not call users.getIdentity, users.getProfile or pairedDevices.list, so it does
 * not ask for `googlehealth.profile.readonly`.
 *
 * Ground floor of the live source: imports datatypes.ts only (auth imports this module).
 */
import { DATA_TYPES } from './datatypes.js';

export const SCOPE_PREFIX = 'https://www.googleapis.com/auth/googlehealth.';

/** The read-only scope of an area: `settings` → `https://www.googleapis.com/auth/googlehealth.settings.readonly`. */
export function readScope(area: string): string {
  return `${SCOPE_PREFIX}${area}.readonly`;
}

/** `googlehealth.settings.readonly`: a scope without its URL prefix, for messages. */
export function shortScope(scope: string): string {
  return scope.replace(/^.*\//, '');
}

export interface CalledMethod {
  /** The method's id in the discovery document, e.g. `health.users.getSettings`. */
  method: string;
  /** The scope the bridge asks for to call it. */
  scope: string;
  /** Data types read with it (dataPoints methods); [] for the others. */
  dataTypes: readonly string[];
  /** Why the bridge calls it (messages): "to read steps, distance". */
  purpose: string;
  /** What goes on while the scope is missing (messages); `timezone`: the account's configured zone, if any. */
  meanwhile: (timezone: string | null) => string;
  /** The scope was added to the consent later: authorisations made before lack it although every box was ticked. */
  addedLater?: true;
}

const DATA_POINTS = 'health.users.dataTypes.dataPoints';
export const GET_SETTINGS = 'health.users.getSettings';

function dataPointMethods(): CalledMethod[] {
  const rows = new Map<string, { method: string; scope: string; dataTypes: string[] }>();
  for (const d of DATA_TYPES) {
    const method = `${DATA_POINTS}.${d.method}`;
    const key = `${method} ${d.scope}`;
    const row = rows.get(key) ?? { method, scope: readScope(d.scope), dataTypes: [] };
    row.dataTypes.push(d.id);
    rows.set(key, row);
  }
  return [...rows.values()].map((r) => {
    const area = DATA_TYPES.filter((d) => readScope(d.scope) === r.scope).map((d) => d.id);
    return {
      ...r,
      purpose: `to read ${r.dataTypes.join(', ')}`,
      meanwhile: () => `${area.join(', ')} ${area.length === 1 ? 'is' : 'are'} not synced, the other data types are`,
    };
  });
}

/** The table: every method the bridge calls and the scope it needs. */
export const CALLED_METHODS: readonly CalledMethod[] = [
  ...dataPointMethods(),
  {
    method: GET_SETTINGS,
    scope: readScope('settings'),
    dataTypes: [],
    purpose: "to read the account's time zone when none is configured",
    meanwhile: (tz) =>
      tz !== null ? `the sync goes on with the configured time zone ${tz}` : 'no sync can start unless a time zone is known (accounts[].timezone)',
    addedLater: true,
  },
];

/** The scopes the consent asks for: those of CALLED_METHODS, no more. */
export const CONSENT_SCOPES: readonly string[] = [...new Set(CALLED_METHODS.map((m) => m.scope))].sort();

/**
 * True when `granted` covers `wanted`. A `.readonly` scope is also covered by the older
 * suffix-less name of the same area (which grants read and write); a suffix-less `wanted` needs
 * exactly that name.
 */
export function hasScope(granted: readonly string[], wanted: string): boolean {
  if (granted.includes(wanted)) return true;
  return wanted.endsWith('.readonly') && granted.includes(wanted.slice(0, -'.readonly'.length));
}

/** The discovery method (and data type) of a request the client sends, or null for a path it does not know. */
export function methodOfRequest(httpMethod: string, path: string): { method: string; dataType: string | null } | null {
  const data = /^\/v4(?:beta)?\/users\/[^/]+\/dataTypes\/([^/:]+)\/dataPoints(?::([A-Za-z]+))?$/.exec(path);
  if (data) return { method: `${DATA_POINTS}.${data[2] ?? (httpMethod === 'GET' ? 'list' : '?')}`, dataType: data[1] as string };
  const user = /^\/v4(?:beta)?\/users\/[^/]+\/(identity|profile|settings|pairedDevices)$/.exec(path);
  if (!user) return null;
  const what = user[1] as string;
  const method = what === 'pairedDevices' ? 'health.users.pairedDevices.list' : `health.users.get${what[0]?.toUpperCase()}${what.slice(1)}`;
  return { method, dataType: null };
}

/** The table's row for a request, or null when the bridge does not call it (e.g. a test calling getProfile). */
export function calledMethodOf(httpMethod: string, path: string): CalledMethod | null {
  const m = methodOfRequest(httpMethod, path);
  if (m === null) return null;
  return CALLED_METHODS.find((c) => c.method === m.method && (m.dataType === null ? c.dataTypes.length === 0 : c.dataTypes.includes(m.dataType))) ?? null;
}

/** `users.getSettings` from `health.users.getSettings` (messages). */
export function shortMethod(method: string): string {
  return method.replace(/^health\.(?:users\.dataTypes\.)?/, '');
}

/** Which calls need `scope` and why, in one clause: "users.getSettings needs to read the account's time zone …". */
export function scopeNeededFor(scope: string): string {
  const uses = CALLED_METHODS.filter((m) => m.scope === scope).map((m) => `${shortMethod(m.method)} needs ${m.purpose}`);
  return uses.length ? uses.join('; ') : 'no call of fitbit-bridge';
}

/** Why an authorisation may lack `scope`. */
export function whyMissing(scope: string): string {
  return CALLED_METHODS.some((m) => m.scope === scope && m.addedLater)
    ? 'authorisations made before fitbit-bridge asked for it lack it'
    : "its box was left unticked on Google's consent page";
}

/** What goes on while `scope` is missing; `timezone`: the account's configured zone, if any. */
export function scopeMeanwhile(scope: string, timezone: string | null): string {
  const rows = CALLED_METHODS.filter((m) => m.scope === scope);
  return [...new Set(rows.map((m) => m.meanwhile(timezone)))].join('; ') || 'nothing is missed';
}

/**
 * What the user is told about a consent scope an account's authorisation lacks: which call needs
 * it and why, what goes on meanwhile, and the command that grants it. `timezone`: the account's
 * configured zone, if any.
 */
export function missingScopeMessage(account: string, scope: string, timezone: string | null): string {
  const s = shortScope(scope);
  return (
    `the authorisation of account ${account} lacks ${s}, which ${scopeNeededFor(scope)} ` +
    `(${whyMissing(scope)}). ` +
    `Meanwhile ${scopeMeanwhile(scope, timezone)}. ` +
    `To grant it, run: fitbit-bridge auth --account ${account} (and allow ${s} on Google's consent page)`
  );
}

/** The consent scopes `granted` lacks. */
export function missingConsentScopes(granted: readonly string[]): string[] {
  return CONSENT_SCOPES.filter((s) => !hasScope(granted, s));
}
