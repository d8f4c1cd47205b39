// @ts-check
// Small helpers of the pages: building elements (never from HTML strings: no injection), dates
// in the account's time zone, numbers.

/**
 * An element with attributes and children; strings become text nodes.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | null | undefined>} [attrs]
 * @param {(Node | string | number | null | undefined | false)[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

/**
 * A table: one header row of `heads`, then a row of cells (<td> elements) per entry of `rows`.
 * @param {string} cls
 * @param {string[]} heads
 * @param {HTMLTableCellElement[][]} rows
 */
export function table(cls, heads, rows) {
  return h(
    'table',
    { class: cls },
    h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', {}, t)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells))),
  );
}

/** @param {Element} el @param {(Node | string)[]} children */
export function replace(el, ...children) {
  el.replaceChildren(...children);
}

/** The browser's own zone (when the API does not tell the account's). */
export const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** @type {Map<string, Intl.DateTimeFormat>} */
const partsFormats = new Map();

/** @param {string} zone */
function partsFormat(zone) {
  let f = partsFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormats.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at instant t, in ms. @param {number} t @param {string} zone */
export function zoneOffset(t, zone) {
  /** @type {Record<string, number>} */
  const p = {};
  for (const x of partsFormat(zone).formatToParts(t)) if (x.type !== 'literal') p[x.type] = Number(x.value);
  const asUtc = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The instant local midnight starts `date` (YYYY-MM-DD) in `zone`. @param {string} date @param {string} zone */
export function dayStart(date, zone) {
  const [y, m, d] = date.split('-').map(Number);
  const naive = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1);
  let t = naive - zoneOffset(naive, zone);
  t = naive - zoneOffset(t, zone);
  return t;
}

/** The local date (YYYY-MM-DD) of instant t in `zone`. @param {number} t @param {string} zone */
export function localDate(t, zone) {
  return new Date(t + zoneOffset(t, zone)).toISOString().slice(0, 10);
}

/** @param {string} date @param {number} n */
export function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Whether s is a calendar date YYYY-MM-DD. @param {string | undefined} s */
export function isDate(s) {
  return s !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
}

/** An instant as local date and time in `zone` (no seconds). @param {number | null | undefined} t @param {string} zone */
export function fmtTime(t, zone) {
  if (t === null || t === undefined) return '—';
  return new Date(t + zoneOffset(t, zone)).toISOString().slice(0, 16).replace('T', ' ');
}

/** How long ago t was, relative to now: "5 min ago", "in 3 d". @param {number | null | undefined} t @param {number} now */
export function ago(t, now) {
  if (t === null || t === undefined) return 'never';
  const s = Math.round((now - t) / 1000);
  const a = Math.abs(s);
  const txt = a < 90 ? `${a} s` : a < 5400 ? `${Math.round(a / 60)} min` : a < 129600 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`;
  return s >= 0 ? `${txt} ago` : `in ${txt}`;
}

/** A duration in seconds, rounded: "3 h 20 min". @param {number | null | undefined} s */
export function duration(s) {
  if (s === null || s === undefined) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.round(s / 86400)} d`;
}

/** Minutes as "7 h 05". @param {number | null | undefined} m */
export function hm(m) {
  if (m === null || m === undefined) return '—';
  return `${Math.floor(m / 60)} h ${String(Math.round(m % 60)).padStart(2, '0')}`;
}

/** @param {number} n */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** @param {number | null | undefined} n @param {number} [digits] */
export function num(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/**
 * The trailing 7-day mean of a daily column (null where no day of the window has a value).
 * @param {(number | null)[]} v
 * @returns {(number | null)[]}
 */
export function mean7(v) {
  return v.map((_, i) => {
    let sum = 0;
    let n = 0;
    for (let j = Math.max(0, i - 6); j <= i; j++) {
      const x = v[j];
      if (x !== null && x !== undefined) {
        sum += x;
        n++;
      }
    }
    return n > 0 ? sum / n : null;
  });
}

/** A message in place of content. @param {string} text @param {string} [cls] */
export function note(text, cls = 'muted') {
  return h('p', { class: cls }, text);
}
