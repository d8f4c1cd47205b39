/**
 * The dataPoints filter grammar (AIP-160 subset of the reference): `member op "value"` terms with
 * only `>=` and `<`, joined by `AND`; sleep also allows `OR` (and parentheses around an OR group).
 * Per AIP-160, OR binds tighter than AND, so a filter is a conjunction of disjunctions.
 * A member of another type, or one the type does not support, gives the documented
 * INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER error; the other reasons are *invented* in its style.
 */
import type { FilterErrorReason } from './errors.js';

/**
 * What a member compares: physical instants (UTC) of the start / end / sample, their civil
 * (wall-clock) counterparts, or a Daily record's date.
 */
export type MemberKind = 'start' | 'civil_start' | 'end' | 'civil_end' | 'sample' | 'civil_sample' | 'date';

export function isPhysical(kind: MemberKind): boolean {
  return kind === 'start' || kind === 'end' || kind === 'sample';
}

/** One `member op "value"` term; `ms` is UTC ms (physical) or the wall clock read as UTC (civil, date). */
export interface Bound {
  kind: MemberKind;
  op: '>=' | '<';
  ms: number;
}

/** A filter: every clause must hold; a clause holds when any of its bounds does. */
export type Filter = Bound[][];

export interface FilterViolation {
  reason: FilterErrorReason;
  description: string;
}

/**
 * A refused filter. As seen live, every refused member is named: one violation per term, in
 * filter order (the body joins their reasons with commas). Other problems stop at the first one.
 */
export class FilterError extends Error {
  readonly violations: FilterViolation[];
  constructor(reason: FilterErrorReason, description: string, more: FilterViolation[] = []) {
    super(description);
    this.violations = [{ reason, description }, ...more];
  }

  get reason(): FilterErrorReason {
    return this.violations[0]!.reason;
  }

  get description(): string {
    return this.violations[0]!.description;
  }
}

interface Token {
  kind: 'member' | 'op' | 'string' | 'and' | 'or' | 'lparen' | 'rparen' | 'other';
  text: string;
  /** 0-based index in the filter. */
  at: number;
}

function where(filter: string, at: number): string {
  const before = filter.slice(0, at);
  const line = before.split('\n').length;
  const column = at - (before.lastIndexOf('\n') + 1) + 1;
  return `(at line ${line}, column ${column})`;
}

function tokenize(filter: string): Token[] {
  const out: Token[] = [];
  const re = /\s+|([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)|(>=|<=|!=|[<>=:])|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(\()|(\))|(.)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < filter.length && (m = re.exec(filter)) !== null) {
    const at = m.index;
    if (m[1] !== undefined) {
      const kind = m[1] === 'AND' ? 'and' : m[1] === 'OR' ? 'or' : 'member';
      out.push({ kind, text: m[1], at });
    } else if (m[2] !== undefined) out.push({ kind: 'op', text: m[2], at });
    else if (m[3] !== undefined) out.push({ kind: 'string', text: m[3].slice(1, -1).replace(/\\(.)/g, '$1'), at });
    else if (m[4] !== undefined) out.push({ kind: 'lparen', text: '(', at });
    else if (m[5] !== undefined) out.push({ kind: 'rparen', text: ')', at });
    else if (m[6] !== undefined) {
      // an unterminated string or a stray character: the rest of the filter is unreadable
      out.push({ kind: 'other', text: filter.slice(at), at });
      break;
    }
  }
  return out;
}

const PHYSICAL_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const CIVIL_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function fieldsToMs(y: string, mo: string, d: string, h = '0', mi = '0', s = '0', frac?: string): number | null {
  const Y = Number(y),
    M = Number(mo),
    D = Number(d),
    H = Number(h),
    I = Number(mi),
    S = Number(s);
  const ms = Date.UTC(Y, M - 1, D, H, I, S) + (frac ? Math.floor(Number(`0${frac}`) * 1000) : 0);
  const dt = new Date(Date.UTC(Y, M - 1, D, H, I, S));
  if (Y < 1 || dt.getUTCFullYear() !== Y || dt.getUTCMonth() !== M - 1 || dt.getUTCDate() !== D || H > 23 || I > 59 || S > 59) return null;
  return ms;
}

/** RFC 3339 timestamp → UTC ms, or null. */
export function parsePhysical(v: string): number | null {
  const m = PHYSICAL_RE.exec(v);
  if (!m) return null;
  const base = fieldsToMs(m[1] as string, m[2] as string, m[3] as string, m[4], m[5], m[6], m[7]);
  if (base === null) return null;
  const z = m[8] as string;
  if (z === 'Z' || z === 'z') return base;
  const sign = z[0] === '-' ? -1 : 1;
  const oh = Number(z.slice(1, 3)),
    om = Number(z.slice(4, 6));
  if (oh > 23 || om > 59) return null;
  return base - sign * (oh * 60 + om) * 60_000;
}

/** `YYYY-MM-DD[THH:mm[:ss[.f]]]` → the wall clock read as UTC ms, or null. */
export function parseCivil(v: string): number | null {
  const m = CIVIL_RE.exec(v);
  if (!m) return null;
  return fieldsToMs(m[1] as string, m[2] as string, m[3] as string, m[4], m[5], m[6], m[7]);
}

function parseDate(v: string): number | null {
  const m = DATE_RE.exec(v);
  return m ? fieldsToMs(m[1] as string, m[2] as string, m[3] as string) : null;
}

const WANT: Record<'physical' | 'civil' | 'date', string> = {
  physical: 'an RFC 3339 timestamp such as "2023-11-24T00:00:00Z"',
  civil: 'a civil date or date-time such as "2023-11-24" or "2023-11-24T12:34:56"',
  date: 'a date such as "2024-08-15"',
};

export interface FilterSpec {
  /** snake_case type id of filters. */
  filterId: string;
  /** Member (after `<filterId>.`) → what it compares. */
  members: Record<string, MemberKind>;
  /** Sleep: `OR` and parentheses. */
  allowOr: boolean;
}

/**
 * Parses a filter; throws FilterError. An empty filter has no clauses. Every term with a member
 * the type does not support is reported (one violation each, as the live API does); another
 * problem after such a term reports the refused members found so far.
 */
export function parseFilter(filter: string, spec: FilterSpec): Filter {
  const refused: FilterViolation[] = [];
  try {
    const out = parseTerms(filter, spec, refused);
    if (refused.length) throw new FilterError(refused[0]!.reason, refused[0]!.description, refused.slice(1));
    return out;
  } catch (e) {
    if (e instanceof FilterError && refused.length && e.reason !== 'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER') {
      throw new FilterError(refused[0]!.reason, refused[0]!.description, refused.slice(1));
    }
    throw e;
  }
}

function parseTerms(filter: string, spec: FilterSpec, refused: FilterViolation[]): Filter {
  const toks = tokenize(filter);
  const out: Filter = [];
  let i = 0;
  const syntax = (tok: Token | undefined, what: string): FilterError =>
    new FilterError(
      'INVALID_DATA_POINT_FILTER_SYNTAX',
      tok
        ? `Unexpected '${tok.text}', expected ${what}. ${where(filter, tok.at)}`
        : `Unexpected end of filter, expected ${what}. ${where(filter, filter.length)}`,
    );
  const firstMember = `'${spec.filterId}.${Object.keys(spec.members)[0] ?? ''}'`;

  const term = (): Bound => {
    const mem = toks[i];
    if (!mem || mem.kind !== 'member') throw syntax(mem, `a member such as ${firstMember}`);
    const op = toks[i + 1];
    const val = toks[i + 2];
    // member first: a wrong member is the documented error even when the rest is fine
    const prefix = `${spec.filterId}.`;
    const kind = mem.text.startsWith(prefix) ? spec.members[mem.text.slice(prefix.length)] : undefined;
    if (!kind) {
      refused.push({
        reason: 'INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER',
        description: `Member '${mem.text}' is not supported for filtering. ${where(filter, mem.at)}`,
      });
    }
    if (!op || op.kind !== 'op') throw syntax(op, "an operator ('>=' or '<')");
    if (op.text !== '>=' && op.text !== '<') {
      throw new FilterError(
        'INVALID_DATA_POINT_FILTER_OPERATOR',
        `Operator '${op.text}' is not supported for filtering; use '>=' or '<'. ${where(filter, op.at)}`,
      );
    }
    if (!val || val.kind !== 'string') throw syntax(val, 'a quoted value');
    if (!kind) {
      // refused (reported at the end); the value cannot be checked without a member kind
      i += 3;
      return { kind: 'start', op: op.text, ms: 0 };
    }
    const form = kind === 'date' ? 'date' : isPhysical(kind) ? 'physical' : 'civil';
    const ms = form === 'physical' ? parsePhysical(val.text) : form === 'civil' ? parseCivil(val.text) : parseDate(val.text);
    if (ms === null) {
      throw new FilterError(
        'INVALID_DATA_POINT_FILTER_VALUE',
        `Invalid value "${val.text}" for member '${mem.text}': expected ${WANT[form]}. ${where(filter, val.at)}`,
      );
    }
    i += 3;
    return { kind, op: op.text, ms };
  };

  const disjunction = (): Bound[] => {
    const clause: Bound[] = [];
    for (;;) {
      if (spec.allowOr && toks[i]?.kind === 'lparen') {
        i++;
        clause.push(...disjunction());
        const close = toks[i];
        if (!close || close.kind !== 'rparen') throw syntax(close, "'OR' or ')'");
        i++;
      } else clause.push(term());
      const next = toks[i];
      if (!spec.allowOr || !next || next.kind !== 'or') return clause;
      i++;
    }
  };

  if (toks.length === 0) return out;
  for (;;) {
    out.push(disjunction());
    const next = toks[i];
    if (!next) return out;
    if (next.kind !== 'and') throw syntax(next, spec.allowOr ? "'AND', 'OR' or the end of the filter" : "'AND' or the end of the filter");
    i++;
  }
}

/** Does a point with these comparable values pass the filter? */
export function matches(f: Filter, value: (kind: MemberKind) => number): boolean {
  for (const clause of f) {
    let ok = false;
    for (const b of clause) {
      const x = value(b.kind);
      if (b.op === '>=' ? x >= b.ms : x < b.ms) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}
