/**
 * Account names → MQTT topic segments and Home Assistant ids.
 *
 * The config already restricts account names to letters, digits, "_", "." and "-" (ACCOUNT_NAME_RE),
 * but topics and ids are sanitised here anyway, so nothing reaching the broker can hold a wildcard
 * ("+", "#"), a level separator ("/") or a leading "$":
 * - topic segment: characters outside [A-Za-z0-9_.-] become "_" (case kept: `Alice` → `Alice`);
 *   `bridge` is reserved for the bridge's own topics and becomes `bridge_account`.
 * - id (unique_id, object_id, node_id in discovery topics, device identifiers): lower case,
 *   runs of other characters become one "_" (`Alice.Smith` → `alice_smith`); `bridge` → `bridge_account`.
 * - two names mapping to the same segment or id (`Alice` and `alice` for ids) get a short stable
 *   hash of the original name appended (`alice_3f2a1c`), so nothing collides.
 */

/** 32-bit FNV-1a of a string, as 6 hex digits (stable across runs and platforms). */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0').slice(0, 6);
}

export function topicSegment(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (s === '') s = '_';
  if (s.toLowerCase() === 'bridge') s = `${s}_account`;
  return s;
}

export function idPart(name: string): string {
  let s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (s === '') s = 'x';
  if (s === 'bridge') s = 'bridge_account';
  return s;
}

export interface AccountNames {
  /** The account as configured. */
  account: string;
  /** Topic segment: `<base>/<topic>`. */
  topic: string;
  /** Id part: unique ids, object ids, discovery node ids. */
  id: string;
}

/** Names for every account, collision-free. */
export function accountNames(accounts: readonly string[]): Map<string, AccountNames> {
  const out = new Map<string, AccountNames>();
  const topicCount = new Map<string, number>();
  const idCount = new Map<string, number>();
  for (const a of accounts) {
    topicCount.set(topicSegment(a), (topicCount.get(topicSegment(a)) ?? 0) + 1);
    idCount.set(idPart(a), (idCount.get(idPart(a)) ?? 0) + 1);
  }
  for (const a of accounts) {
    const t = topicSegment(a);
    const i = idPart(a);
    out.set(a, {
      account: a,
      topic: (topicCount.get(t) ?? 0) > 1 ? `${t}_${shortHash(a)}` : t,
      id: (idCount.get(i) ?? 0) > 1 ? `${i}_${shortHash(a)}` : i,
    });
  }
  return out;
}
