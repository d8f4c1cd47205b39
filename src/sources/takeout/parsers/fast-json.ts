/**
 * Fast path for the big legacy JSON files (heart_rate, steps, distance, altitude, calories): a
 * strict scanner for exactly the shapes Fitbit writes (compact or Jackson pretty-printed):
 *   [{"dateTime":"MM/DD/YY HH:MM:SS","value":{"bpm":63,"confidence":3}}, …]
 *   [{"dateTime":"MM/DD/YY HH:MM:SS","value":"0.8"}, …]
 * It reads values straight from the text (no object per record). Anything else — another key
 * order, extra keys, escapes, a truncated end — makes it give up (returns false) and the caller
 * falls back to the generic JSON reader, which parses or reports the file properly.
 */
import { parseLegacyAt, type StampParts } from './common.js';

function skipWs(t: string, i: number): number {
  for (;;) {
    const c = t.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

/** After optional whitespace, `key` then `:` then optional whitespace; the index after it or -1. */
function keyAt(t: string, i: number, key: string): number {
  i = skipWs(t, i);
  if (!t.startsWith(key, i)) return -1;
  i = skipWs(t, i + key.length);
  if (t.charCodeAt(i) !== 58) return -1;
  return skipWs(t, i + 1);
}

/** Scratch: end index of the last number read. */
const NUM = { end: 0 };

/** A plain decimal `-?digits(.digits)?` at i (NaN if not one); NUM.end is set to just after it. */
function numberAt(t: string, i: number): number {
  const st = i;
  let c = t.charCodeAt(i);
  const neg = c === 45;
  if (neg) {
    i++;
    c = t.charCodeAt(i);
  }
  let ip = 0,
    digits = 0;
  while (c >= 48 && c <= 57) {
    ip = ip * 10 + (c - 48);
    i++;
    digits++;
    c = t.charCodeAt(i);
  }
  if (!digits || c === 101 || c === 69) return NaN; // exponents: let the generic reader do it
  if (c === 46) {
    i++;
    c = t.charCodeAt(i);
    let fd = 0;
    while (c >= 48 && c <= 57) {
      i++;
      fd++;
      c = t.charCodeAt(i);
    }
    if (!fd || c === 101 || c === 69) return NaN;
    NUM.end = i;
    return +t.slice(st, i); // exact decimal semantics
  }
  NUM.end = i;
  return neg ? -ip : ip;
}

/** Scratch: value of the last record read. */
const REC = { v: 0 };

interface Template {
  p1: string;
  p2: string;
  p3: string | null;
  p4: string;
}

/** Exact layouts Fitbit writes (Jackson pretty-printed, and compact): matched with native compares. */
const TEMPLATES_BPM: Template[] = [
  { p1: '{\n  "dateTime" : "', p2: '",\n  "value" : {\n    "bpm" : ', p3: ',\n    "confidence" : ', p4: '\n  }\n}' },
  { p1: '{"dateTime":"', p2: '","value":{"bpm":', p3: ',"confidence":', p4: '}}' },
];
const TEMPLATES_STR: Template[] = [
  { p1: '{\n  "dateTime" : "', p2: '",\n  "value" : "', p3: null, p4: '"\n}' },
  { p1: '{"dateTime":"', p2: '","value":"', p3: null, p4: '"}' },
];

/** One record at i in a known exact layout; its end index, or -1. */
function templateRecord(t: string, i: number, tpl: Template, p: StampParts): number {
  if (!t.startsWith(tpl.p1, i)) return -1;
  i += tpl.p1.length;
  if (!parseLegacyAt(t, i, p)) return -1;
  i += 17;
  if (!t.startsWith(tpl.p2, i)) return -1;
  i += tpl.p2.length;
  const v = numberAt(t, i);
  if (v !== v) return -1;
  i = NUM.end;
  if (tpl.p3 !== null) {
    if (!t.startsWith(tpl.p3, i)) return -1;
    const c = numberAt(t, i + tpl.p3.length);
    if (c !== c) return -1;
    i = NUM.end;
  }
  if (!t.startsWith(tpl.p4, i)) return -1;
  REC.v = v;
  return i + tpl.p4.length;
}

/** One record at i, any whitespace layout (keys in Fitbit's order); its end index, or -1. */
function tokenRecord(text: string, i: number, bpm: boolean, p: StampParts): number {
  if (text.charCodeAt(i) !== 123) return -1; // {
  i = keyAt(text, i + 1, '"dateTime"');
  if (i < 0 || text.charCodeAt(i) !== 34 || text.charCodeAt(i + 18) !== 34) return -1;
  if (!parseLegacyAt(text, i + 1, p)) return -1;
  i = skipWs(text, i + 19);
  if (text.charCodeAt(i) !== 44) return -1; // ,
  i = keyAt(text, i + 1, '"value"');
  if (i < 0) return -1;
  let v: number;
  if (bpm) {
    if (text.charCodeAt(i) !== 123) return -1;
    i = keyAt(text, i + 1, '"bpm"');
    if (i < 0) return -1;
    v = numberAt(text, i);
    if (v !== v) return -1;
    i = skipWs(text, NUM.end);
    if (text.charCodeAt(i) === 44) {
      i = keyAt(text, i + 1, '"confidence"');
      if (i < 0) return -1;
      const cf = numberAt(text, i);
      if (cf !== cf) return -1;
      i = skipWs(text, NUM.end);
    }
    if (text.charCodeAt(i) !== 125) return -1;
    i++;
  } else {
    if (text.charCodeAt(i) !== 34) return -1;
    v = numberAt(text, i + 1);
    if (v !== v || text.charCodeAt(NUM.end) !== 34) return -1;
    i = NUM.end + 1;
  }
  i = skipWs(text, i);
  if (text.charCodeAt(i) !== 125) return -1; // }
  REC.v = v;
  return i + 1;
}

/** Calls onRecord(value) per record with the stamp in `p`; false when the text is not the expected shape. */
export function scanLegacyIntraday(text: string, bpm: boolean, p: StampParts, onRecord: (v: number) => void): boolean {
  const n = text.length;
  const tpls = bpm ? TEMPLATES_BPM : TEMPLATES_STR;
  let tpl = tpls[0] as Template;
  let i = skipWs(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (text.charCodeAt(i) !== 91) return false; // [
  i = skipWs(text, i + 1);
  if (text.charCodeAt(i) === 93) return skipWs(text, i + 1) === n;
  for (;;) {
    let j = templateRecord(text, i, tpl, p);
    if (j < 0) {
      for (const x of tpls) {
        if (x === tpl) continue;
        j = templateRecord(text, i, x, p);
        if (j >= 0) {
          tpl = x;
          break;
        }
      }
      if (j < 0) j = tokenRecord(text, i, bpm, p);
      if (j < 0) return false;
    }
    onRecord(REC.v);
    i = j;
    let c = text.charCodeAt(i);
    if (c !== 44 && c !== 93) {
      i = skipWs(text, i);
      c = text.charCodeAt(i);
    }
    if (c === 44) {
      i = skipWs(text, i + 1);
      continue;
    }
    if (c === 93) return skipWs(text, i + 1) === n;
    return false;
  }
}
