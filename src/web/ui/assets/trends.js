// @ts-check
// Trends: daily steps, resting heart rate, time asleep (main sleep and naps), HRV over the whole
// history, each with its trailing 7-day mean; the store's reconciled daily figures. Drag to zoom
// (all charts follow), double-click to zoom out; the buttons pick the last 3 months, year or all.
import * as api from './api.js';
import { bars, chart, COLORS, FROM_ZERO, line } from './charts.js';
import { dayStart, h, mean7, note } from './util.js';

/** @type {import('./app.js').Page} */
export async function renderTrends(main, ctx) {
  if (!ctx.account) {
    main.append(note('No account is configured.'));
    return;
  }
  /** @type {{ days: api.TrendDay[] }} */
  const { days } = await api.get('trends', { account: ctx.account.name });
  if (ctx.signal.aborted) return;
  if (!days.length) {
    main.append(note('No daily figures yet.'));
    return;
  }
  const zone = ctx.zone;
  // a day's point at its local noon: the axes show the right date in the account's zone
  const t = days.map((d) => dayStart(d.date, zone) + 12 * 3_600_000);
  /** @param {(d: api.TrendDay) => number | null} f */
  const col = (f) => days.map(f);
  const steps = col((d) => d.steps);
  const rhr = col((d) => d.resting_hr);
  const mainSleep = col((d) => (d.asleep_main_min === null ? null : d.asleep_main_min / 60));
  const naps = col((d) => (d.asleep_naps_min === null ? null : d.asleep_naps_min / 60));
  const total = days.map((d) => (d.asleep_main_min === null && d.asleep_naps_min === null ? null : ((d.asleep_main_min ?? 0) + (d.asleep_naps_min ?? 0)) / 60));
  const hrv = col((d) => d.hrv_rmssd);

  const last = /** @type {number} */ (t[t.length - 1]);
  const first = /** @type {number} */ (t[0]);
  const charts = h('div', { class: 'charts' });
  /** @type {uPlot[]} */
  const drawn = [];
  const range = (/** @type {number} */ daysBack) => {
    const min = daysBack ? Math.max(first, last - daysBack * 86_400_000) - 43_200_000 : first - 43_200_000;
    for (const u of drawn) u.setScale('x', { min, max: last + 43_200_000 });
  };
  const btn = (/** @type {string} */ label, /** @type {number} */ n) => {
    const b = h('button', { type: 'button' }, label);
    b.addEventListener('click', () => range(n));
    return b;
  };
  main.append(
    h(
      'div',
      { class: 'toolbar' },
      btn('3 months', 92),
      btn('1 year', 366),
      btn('All', 0),
      h('span', { class: 'muted small' }, `${days.length} days; drag to zoom`),
    ),
    charts,
  );
  const common = { zone, syncKey: 'trends', height: 190 };
  drawn.push(
    chart(charts, {
      ...common,
      title: 'Steps per day',
      scaleY: FROM_ZERO,
      data: [t, steps, mean7(steps)],
      series: [bars('steps', COLORS.steps), line('7-day mean', COLORS.mean)],
    }),
    chart(charts, {
      ...common,
      title: 'Resting heart rate (bpm)',
      data: [t, rhr, mean7(rhr)],
      series: [line('resting HR', COLORS.hr, { points: { show: true, size: 3 } }), line('7-day mean', COLORS.mean)],
    }),
    chart(charts, {
      ...common,
      title: 'Time asleep (h)',
      scaleY: FROM_ZERO,
      data: [t, total, mainSleep, naps, mean7(total)],
      series: [
        bars('main + naps', COLORS.naps),
        bars('main sleep', COLORS.sleep),
        { label: 'naps', stroke: COLORS.naps, show: false },
        line('7-day mean', COLORS.mean),
      ],
    }),
    chart(charts, {
      ...common,
      title: 'HRV, RMSSD (ms)',
      data: [t, hrv, mean7(hrv)],
      series: [line('HRV', COLORS.hrv, { points: { show: true, size: 3 } }), line('7-day mean', COLORS.mean)],
    }),
  );
  for (const u of drawn) {
    // zoom one: all follow
    u.hooks.setScale = [
      (self, key) => {
        if (key !== 'x') return;
        const { min, max } = self.scales.x ?? {};
        for (const o of drawn) if (o !== self && (o.scales.x?.min !== min || o.scales.x?.max !== max)) o.setScale('x', { min: min ?? 0, max: max ?? 0 });
      },
    ];
  }
  if (days.length > 400) range(366);
}
