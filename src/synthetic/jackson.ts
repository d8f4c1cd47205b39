/**
 * JSON in the style of the Fitbit export (Jackson's default pretty printer):
 * `"key" : value`, two-space indents, inline arrays `[ a, b ]`, top-level arrays joined `},{`.
 */

/** A number that must print as a double (`0.0`, `165.0`), as Jackson does for Java doubles. */
export class Dbl {
  constructor(public readonly v: number) {}
}

export type JValue = string | number | boolean | null | Dbl | JValue[] | { [k: string]: JValue };

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

export function dbl(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

function write(v: JValue, indent: string): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return num(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Dbl) return dbl(v.v);
  if (Array.isArray(v)) {
    if (!v.length) return '[ ]';
    return `[ ${v.map((x) => write(x, indent)).join(', ')} ]`;
  }
  const keys = Object.keys(v);
  if (!keys.length) return '{ }';
  const inner = `${indent}  `;
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)} : ${write(v[k] as JValue, inner)}`).join(',\n')}\n${indent}}`;
}

/** One value, pretty printed. */
export function jackson(v: JValue): string {
  return write(v, '');
}

/** A top-level array of objects the way the Fitbit export writes it: `[{…},{…}]`. */
export function jacksonArray(items: readonly JValue[]): string {
  return `[${items.map((x) => write(x, '')).join(',')}]`;
}
