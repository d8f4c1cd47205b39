/** Argument parsers for commander: they throw InvalidArgumentError, which the CLI reports with exit code 2. */
import { InvalidArgumentError } from 'commander';
import { isMetricId, METRICS, type MetricId } from '../metrics/registry.js';
import { ACCOUNT_NAME_RE } from '../config/schema.js';
import { calendarDay, isValidTimeZone } from '../time/index.js';

/** A calendar date YYYY-MM-DD. */
export function parseDate(value: string): string {
  if (calendarDay(value) !== null) return value;
  throw new InvalidArgumentError('Expected a calendar date YYYY-MM-DD, e.g. 2024-03-31.');
}

/** One or more metric ids (repeatable, comma-separated allowed); accumulates. */
export function parseMetrics(value: string, previous: MetricId[] | undefined): MetricId[] {
  const out = [...(previous ?? [])];
  for (const id of value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    if (!isMetricId(id)) throw new InvalidArgumentError(`Unknown metric "${id}". Valid ids: ${METRICS.map((x) => x.id).join(', ')}.`);
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

export function parseAccountName(value: string): string {
  if (value.length >= 1 && value.length <= 64 && ACCOUNT_NAME_RE.test(value)) return value;
  throw new InvalidArgumentError('Expected 1-64 characters: letters, digits, "_", "." and "-", starting with a letter or digit.');
}

export function parseTimeZone(value: string): string {
  if (isValidTimeZone(value)) return value;
  throw new InvalidArgumentError('Expected an IANA time zone name such as Europe/Berlin or America/New_York.');
}

/** A repeatable, comma-separated option (`--type a,b --type c` → [a, b, c]), without repeats; accumulates. */
export function parseList(value: string, previous: string[] | undefined): string[] {
  const out = [...(previous ?? [])];
  for (const t of value
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== ''))
    if (!out.includes(t)) out.push(t);
  return out;
}
