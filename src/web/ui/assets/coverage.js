// @ts-check
// Coverage and gaps: per metric a calendar of the whole history (a cell per day, shaded by how
// much of the day has data), days present in one source but not in another marked, and the gaps
// with their likely cause and remedy. A day's cell opens its day view.
import * as api from './api.js';
import { addDays, h, note, num, table } from './util.js';

/** @type {Record<string, string>} */
const CAUSE = {
  not_worn: 'not worn',
  not_backfilled: 'not yet backfilled',
  takeout_only: 'only in a Takeout not imported',
  unknown: 'unknown',
};

/** @type {import('./app.js').Page} */
export async function renderCoverage(main, ctx) {
  if (!ctx.account) {
    main.append(note('No account is configured.'));
    return;
  }
  const account = ctx.account.name;
  /** @type {{ metrics: api.MetricInfo[] }} */
  const { metrics } = await api.get('metrics', { account });
  if (!metrics.length) {
    main.append(note(`Account ${account} has no data yet. Sync it, or upload a Takeout export.`));
    return;
  }
  const metric = metrics.find((m) => m.metric === ctx.args[0]) ?? metrics.find((m) => m.metric === 'heart_rate') ?? metrics[0];
  if (!metric) return;
  const select = h('select', { id: 'metric' }, ...metrics.map((m) => h('option', { value: m.metric }, `${m.name} (${m.metric})`)));
  select.value = metric.metric;
  select.addEventListener('change', () => ctx.go(ctx.link(`coverage/${select.value}`)));
  main.append(h('div', { class: 'toolbar' }, h('label', {}, 'Metric ', select)));
  /** @type {api.Coverage} */
  const cov = await api.get('coverage', { account, metric: metric.metric });
  if (ctx.signal.aborted) return;
  const sources = metric.sources;
  const measure = cov.measure === 'worn_minutes' ? 'worn minutes' : cov.measure;
  main.append(
    h(
      'p',
      { class: 'muted' },
      cov.first ? `${cov.days.length} days with data from ${cov.first} to ${cov.last ?? '—'}; shaded by ${measure}. ` : 'No data. ',
      sources.length > 1 ? `Sources: ${sources.join(', ')}; a ringed day has data in only one of them.` : sources.length ? `Source: ${sources[0]}.` : '',
    ),
  );
  main.append(calendar(cov, sources, ctx), legend(), gapsTable(cov.gaps, ctx));
}

/** @param {api.Coverage} cov @param {string[]} sources @param {import('./app.js').PageContext} ctx */
function calendar(cov, sources, ctx) {
  const wrap = h('div', { class: 'calendar', id: 'calendar' });
  if (!cov.first || !cov.last) return wrap;
  /** @type {Map<string, api.CoverageDay>} */
  const byDate = new Map(cov.days.map((d) => [d.date, d]));
  const firstYear = Number(cov.first.slice(0, 4));
  const lastYear = Number(cov.last.slice(0, 4));
  for (let y = lastYear; y >= firstYear; y--) {
    const grid = h('div', { class: 'year-grid' });
    const jan1 = `${y}-01-01`;
    // weeks start on Monday; the first column holds the days of Jan 1's week
    const pad = (new Date(`${jan1}T00:00:00Z`).getUTCDay() + 6) % 7;
    for (let i = 0; i < pad; i++) grid.append(h('span', { class: 'cell none' }));
    for (let date = jan1; date.startsWith(String(y)); date = addDays(date, 1)) {
      const d = byDate.get(date);
      const inRange = date >= /** @type {string} */ (cov.first) && date <= /** @type {string} */ (cov.last);
      if (!d) {
        grid.append(h('span', { class: `cell ${inRange ? 'l0' : 'out'}`, title: inRange ? `${date}: no data` : `${date}: outside the history` }));
        continue;
      }
      const level = d.fraction <= 0 ? 0 : Math.min(4, 1 + Math.floor(d.fraction * 4));
      const have = Object.entries(d.sources).filter(([, v]) => v > 0);
      const single = sources.length > 1 && have.length === 1;
      const title =
        `${date}: ${num(d.value)} (${Math.round(d.fraction * 100)} %)` +
        (have.length ? ` — ${have.map(([k, v]) => `${k} ${num(v)}`).join(', ')}` : '') +
        (single ? ` — only in ${have[0]?.[0] ?? ''}` : '');
      grid.append(
        h('a', { class: `cell l${level}${single ? ' single' : ''}`, title, href: ctx.link(`day/${date}`), 'data-date': date, 'data-value': d.value }),
      );
    }
    wrap.append(h('div', { class: 'year' }, h('div', { class: 'year-label' }, String(y)), grid));
  }
  return wrap;
}

function legend() {
  return h(
    'p',
    { class: 'legend small' },
    'less ',
    ...[0, 1, 2, 3, 4].map((l) => h('span', { class: `cell l${l}` })),
    ' more · ',
    h('span', { class: 'cell l3 single' }),
    ' in one source only',
  );
}

/** @param {api.Gap[]} gaps @param {import('./app.js').PageContext} ctx */
function gapsTable(gaps, ctx) {
  if (!gaps.length) return h('section', {}, h('h2', {}, 'Gaps'), note('No gaps in the history.', 'ok'));
  return h(
    'section',
    {},
    h('h2', {}, `Gaps (${gaps.length})`),
    table(
      'compact gaps',
      ['from', 'to', 'days', 'likely cause', 'what to do'],
      gaps.map((g) => [
        h('td', {}, h('a', { href: ctx.link(`day/${g.from}`) }, g.from)),
        h('td', {}, g.to),
        h('td', {}, num(g.days)),
        h('td', { class: `cause-${g.cause}` }, CAUSE[g.cause] ?? g.cause),
        h('td', {}, g.remedy),
      ]),
    ),
  );
}
