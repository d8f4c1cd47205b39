// @ts-check
// Overview: per account its authorisation, last sync per data type, backfill progress, quota;
// the sinks; recent imports; every problem that needs the user with what to do. Refreshes itself.
import * as api from './api.js';
import { ago, duration, fmtTime, h, num, table } from './util.js';

/** @type {Record<string, string>} */
const AUTH_LABEL = {
  ok: 'authorised',
  'expiring-soon': 'authorised, expires soon',
  'reauth-needed': 're-authorisation needed',
  missing: 'not authorised',
};

/** @type {import('./app.js').Page} */
export async function renderOverview(main, ctx) {
  const box = h('div', { class: 'overview' });
  main.append(box);
  draw(box, ctx.status, ctx);
  const timer = window.setInterval(() => {
    api
      .status()
      .then((s) => draw(box, s, ctx))
      .catch(() => undefined);
  }, 10_000);
  return () => window.clearInterval(timer);
}

/** @param {HTMLElement} box @param {api.Status} s @param {import('./app.js').PageContext} ctx */
function draw(box, s, ctx) {
  const now = s.now;
  const problems = s.problems.length
    ? h(
        'section',
        { class: 'card problems' },
        h('h2', {}, `Needs your attention (${s.problems.length})`),
        h(
          'ul',
          {},
          ...s.problems.map((p) =>
            h(
              'li',
              { class: p.severity === 'error' ? 'bad' : 'warn' },
              h('strong', {}, `${p.account ? `${p.account}: ` : ''}${p.what}`),
              h('div', { class: 'advice' }, p.advice),
            ),
          ),
        ),
      )
    : h('section', { class: 'card' }, h('p', { class: 'ok' }, 'Nothing needs your attention.'));
  box.replaceChildren(
    problems,
    ...s.accounts.map((a) => accountCard(a, now, ctx)),
    sinksCard(s.sinks, now),
    importsCard(s.imports, now, ctx.zone),
    h('p', { class: 'muted small' }, `fitbit-bridge ${s.version} · updated ${fmtTime(now, ctx.zone)}`),
  );
}

/** @param {api.AccountInfo} a @param {number} now @param {import('./app.js').PageContext} ctx */
function accountCard(a, now, ctx) {
  const zone = a.timezone ?? ctx.zone;
  const authCls = a.auth.state === 'ok' ? 'ok' : a.auth.state === 'missing' ? 'muted' : 'bad';
  const authLine = h(
    'p',
    {},
    'Authorisation: ',
    h('span', { class: authCls }, AUTH_LABEL[a.auth.state] ?? a.auth.state),
    a.auth.expires_at !== null ? ` (ends ${fmtTime(a.auth.expires_at, zone)}, ${ago(a.auth.expires_at, now)})` : '',
    a.live ? h('span', {}, ' ', h('a', { class: 'button', href: `auth/start?account=${encodeURIComponent(a.name)}` }, 'Authorise…')) : ' (Takeout only)',
  );
  const sync = h(
    'p',
    {},
    `Last sync ${ago(a.last_sync_at, now)}, last success ${ago(a.last_success_at, now)}`,
    a.quota_left !== null ? ` · quota left this minute: ${num(a.quota_left)}` : '',
    a.last_error ? h('span', { class: 'bad' }, ` · last error: ${a.last_error}`) : '',
  );
  const b = a.backfill;
  /** @type {HTMLElement | string} */
  let backfill = '';
  if (b) {
    const total = b.oldest_date && b.target_date ? daysBetween(b.target_date, b.oldest_date) + b.days_left : 0;
    const done = Math.max(0, total - b.days_left);
    backfill = h(
      'div',
      { class: 'backfill' },
      h('span', {}, 'Backfill: '),
      b.days_left === 0
        ? h('span', { class: 'ok' }, `complete back to ${b.oldest_date ?? b.target_date ?? '—'}`)
        : h(
            'span',
            {},
            `back to ${b.oldest_date ?? '—'} of ${b.target_date ?? '—'}, ${num(b.days_left)} days left`,
            b.eta_s !== null ? `, about ${duration(b.eta_s)} at the quota` : '',
          ),
      total > 0 ? h('progress', { max: total, value: done }) : '',
    );
  }
  const types = table(
    'compact',
    ['data type', 'last success', 'newest sample'],
    a.data_types.map((d) => [
      h('td', {}, h('a', { href: ctx.link(`coverage/${d.metric}`, { account: a.name }) }, d.metric)),
      h('td', {}, ago(d.last_success_at, now)),
      h('td', {}, fmtTime(d.newest_sample_at, zone)),
    ]),
  );
  return h(
    'section',
    { class: 'card account' },
    h('h2', {}, `Account ${a.name}`, h('span', { class: 'muted small' }, ` ${zone}`)),
    a.timezone === null || a.timezone === undefined
      ? h(
          'p',
          { class: 'muted small' },
          `The account's time zone is not known: times are shown in this browser's zone (${zone}). Set accounts[].timezone (or takeout.timezone) in the configuration.`,
        )
      : '',
    authLine,
    sync,
    backfill,
    a.data_types.length ? h('details', {}, h('summary', {}, `Data types (${a.data_types.length})`), types) : '',
  );
}

/** @param {string} a @param {string} b */
function daysBetween(a, b) {
  return Math.round(Math.abs(Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / 86_400_000);
}

/** @param {api.SinkInfo[]} sinks @param {number} now */
function sinksCard(sinks, now) {
  if (!sinks.length) return h('section', { class: 'card' }, h('h2', {}, 'Sinks'), h('p', { class: 'muted' }, 'No sink configured (MQTT, remote write).'));
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Sinks'),
    table(
      'compact',
      ['sink', 'state', 'lag', 'pending', 'last delivery'],
      sinks.map((s) => [
        h('td', {}, s.name),
        h('td', { class: s.up ? 'ok' : 'bad' }, s.up ? 'up' : 'down'),
        h('td', {}, duration(s.lag_s)),
        h('td', {}, num(s.pending)),
        h('td', {}, ago(s.last_delivery_at, now)),
      ]),
    ),
  );
}

/** @param {api.ImportJob[]} jobs @param {number} now @param {string} zone */
function importsCard(jobs, now, zone) {
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Recent imports'),
    jobs.length
      ? h('ul', { class: 'imports' }, ...jobs.map((j) => h('li', {}, importLine(j, now, zone))))
      : h('p', { class: 'muted' }, 'No Takeout import yet. Upload an export on the Upload page, or put it into the drop folder.'),
  );
}

/** One import as a line with its summary. @param {api.ImportJob} j @param {number} now @param {string} zone */
export function importLine(j, now, zone) {
  const names = j.files.map((f) => f.name).join(', ') || j.id;
  const s = j.summary;
  return h(
    'span',
    {},
    h('strong', {}, names),
    ` · ${j.state}`,
    j.finished_at ? ` ${ago(j.finished_at, now)} (${fmtTime(j.finished_at, zone)})` : '',
    s
      ? ` · ${num(s.samples_added)} samples added over ${num(s.days)} days` +
          (s.time_zones.length ? ` · zones ${s.time_zones.map((z) => `${z.zone} (${z.files} files)`).join(', ')}` : '') +
          (s.unknown_files.length ? ` · ${s.unknown_files.length} unknown files` : '') +
          (s.failed_files.length ? ` · ${s.failed_files.length} failed files` : '')
      : '',
    j.error ? h('span', { class: 'bad' }, ` · ${j.error}`) : '',
  );
}
