// @ts-check
// Day view: minute heart rate (min/max band and mean), steps per minute, the night's sleep stages
// as a hypnogram, SpO2, HRV; the day's figures (temperature, resting heart rate, …); reconciled or
// per source; previous/next day; zoom by dragging across a chart (the range is fetched again at
// full resolution), double-click or "Whole day" to zoom out.
import * as api from './api.js';
import { chart, COLORS, FROM_ZERO, line, bars, stepped, width } from './charts.js';
import { addDays, dayStart, fmtTime, h, hm, isDate, localDate, note, num } from './util.js';

/** Charts of intraday metrics, in this order, when the account has them. */
const INTRADAY = [
  { metric: 'heart_rate', color: COLORS.hr, band: true },
  { metric: 'steps', color: COLORS.steps, bars: true },
  { metric: 'spo2', color: COLORS.spo2 },
  { metric: 'hrv_rmssd', color: COLORS.hrv },
];
/** Daily figures shown for the day when present. */
const DAILY = ['resting_heart_rate', 'skin_temperature', 'hrv_daily_rmssd', 'spo2_daily_avg', 'respiratory_rate', 'sleep_breathing_rate'];
/** Hypnogram levels (awake at the top). */
const STAGE_LEVEL = /** @type {Record<string, number>} */ ({ deep: 0, light: 1, asleep: 1, rem: 2, restless: 2, awake: 3 });
const LEVEL_NAME = ['deep', 'light', 'rem', 'awake'];

/** @type {import('./app.js').Page} */
export async function renderDay(main, ctx) {
  if (!ctx.account) {
    main.append(note('No account is configured.'));
    return;
  }
  const account = ctx.account.name;
  const zone = ctx.zone;
  /** @type {{ metrics: api.MetricInfo[] }} */
  const { metrics } = await api.get('metrics', { account });
  const latest = metrics.reduce((m, x) => Math.max(m, x.last ?? 0), 0);
  const date = isDate(ctx.args[0]) ? /** @type {string} */ (ctx.args[0]) : localDate(latest || ctx.status.now, zone);
  const source = ctx.query.get('source') ?? '';
  const allSources = [...new Set(metrics.flatMap((m) => m.sources))].sort();
  const dayFrom = dayStart(date, zone);
  const to = dayStart(addDays(date, 1), zone);

  const sourceSelect = h('select', { id: 'source' }, h('option', { value: '' }, 'reconciled'), ...allSources.map((s) => h('option', { value: s }, s)));
  sourceSelect.value = source;
  sourceSelect.addEventListener('change', () => ctx.go(ctx.link(`day/${date}`, sourceSelect.value ? { source: sourceSelect.value } : {})));
  /** @type {Record<string, string>} */
  const q = source ? { source } : {};
  const dateInput = h('input', { type: 'date', value: date, id: 'date' });
  dateInput.addEventListener('change', () => {
    if (isDate(dateInput.value)) ctx.go(ctx.link(`day/${dateInput.value}`, q));
  });
  const zoomOut = h('button', { type: 'button', id: 'zoom-out', disabled: true }, 'Whole day');
  main.append(
    h(
      'div',
      { class: 'toolbar' },
      h('a', { class: 'button', id: 'prev', href: ctx.link(`day/${addDays(date, -1)}`, q) }, '← previous'),
      dateInput,
      h('a', { class: 'button', id: 'next', href: ctx.link(`day/${addDays(date, 1)}`, q) }, 'next →'),
      h('label', {}, 'Source ', sourceSelect),
      zoomOut,
      h('span', { class: 'muted small' }, `${zone}; drag across a chart to zoom`),
    ),
  );
  const figures = h('div', { class: 'figures' });
  const chartsBox = h('div', { class: 'charts' });
  main.append(figures, chartsBox);

  const have = new Set(metrics.map((m) => m.metric));
  let sleepError = '';
  /** @type {Promise<api.SleepSession[]>} */
  const sleepP = have.has('sleep')
    ? /** @type {Promise<{ sessions: api.SleepSession[] }>} */ (api.get('sleep', { account, date })).then(
        (r) => r.sessions,
        (/** @type {unknown} */ e) => {
          sleepError = e instanceof Error ? e.message : String(e);
          return [];
        },
      )
    : Promise.resolve([]);
  const dailyP = Promise.all(
    DAILY.filter((m) => have.has(m)).map(async (m) => {
      /** @type {api.Series | null} */
      const s = await api.get('series', { account, metric: m, from: dayFrom, to, width: 1, source: source || undefined }).catch(() => null);
      return { info: metrics.find((x) => x.metric === m), value: s && s.mean.length ? s.mean[s.mean.length - 1] : null };
    }),
  );

  // the day starts when its night's sleep does (the evening before), so the night shows whole
  const from = Math.min(dayFrom, ...(await sleepP).map((x) => x.start));
  const view = { from, to };

  const draw = async () => {
    zoomOut.disabled = view.from === from && view.to === to;
    const w = width(chartsBox);
    const wanted = INTRADAY.filter((c) => have.has(c.metric));
    const series = await Promise.all(
      wanted.map(
        (c) =>
          /** @type {Promise<api.Series>} */ (
            api.get('series', { account, metric: c.metric, from: view.from, to: view.to, width: w, source: source || undefined })
          ),
      ),
    );
    const sessions = await sleepP;
    if (ctx.signal.aborted) return;
    chartsBox.replaceChildren();
    const common = {
      zone,
      xRange: /** @type {[number, number]} */ ([view.from, view.to]),
      syncKey: 'day',
      onSelect: (/** @type {number} */ a, /** @type {number} */ b) => {
        view.from = Math.max(from - 86_400_000, a);
        view.to = Math.min(to + 86_400_000, b);
        void draw();
      },
      onReset: () => {
        if (view.from === from && view.to === to) return;
        view.from = from;
        view.to = to;
        void draw();
      },
    };
    wanted.forEach((c, i) => {
      const s = /** @type {api.Series} */ (series[i]);
      const info = metrics.find((m) => m.metric === c.metric);
      const title = `${info?.name ?? c.metric} (${s.unit})${s.bucket_ms ? ` · ${bucketText(s.bucket_ms)} buckets` : ''}`;
      if (!s.t.length) {
        chartsBox.append(h('div', { class: 'chart empty', 'data-metric': c.metric }, h('div', { class: 'u-title' }, title), note('No data this day.')));
        return;
      }
      /** @type {import('uplot').AlignedData} */
      const data = withGaps(s, c.band ? [s.mean, s.min, s.max] : [s.mean]);
      chart(chartsBox, {
        ...common,
        title,
        metric: c.metric,
        data,
        series: c.band
          ? [line('mean', c.color), line('min', COLORS.hrBand, { width: 0.5 }), line('max', COLORS.hrBand, { width: 0.5 })]
          : c.bars
            ? [bars(s.bucket_ms ? 'per minute (mean)' : 'steps', c.color)]
            : [line(info?.name ?? c.metric, c.color)],
        bands: c.band ? [{ series: [3, 2], fill: COLORS.hrBand }] : [],
        ...(c.bars ? { scaleY: FROM_ZERO } : {}),
      });
    });
    if (sleepError) chartsBox.append(h('div', { class: 'chart empty', 'data-metric': 'sleep' }, note(`Sleep stages: ${sleepError}`, 'bad')));
    else if (have.has('sleep')) drawSleep(chartsBox, sessions, common, zone);
  };

  await draw();
  zoomOut.addEventListener('click', () => common0(view, from, to, draw));
  const daily = await dailyP;
  if (ctx.signal.aborted) return;
  const sessions = await sleepP;
  const main0 = sessions.find((s) => s.main);
  figures.replaceChildren(
    h('h2', {}, `${date} (${new Date(`${date}T12:00:00Z`).toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' })})`),
    h(
      'dl',
      {},
      ...sessions.flatMap((s) => [
        h('dt', {}, s.main ? 'Main sleep' : 'Nap'),
        h(
          'dd',
          {},
          `${hm(s.minutes_asleep)} asleep, ${hm(s.minutes_in_bed)} in bed, ${fmtTime(s.start, zone).slice(11)}–${fmtTime(s.end, zone).slice(11)} (${s.source})`,
        ),
      ]),
      ...daily
        .filter((d) => d.value !== null && d.value !== undefined)
        .flatMap((d) => [h('dt', {}, d.info?.name ?? ''), h('dd', {}, `${num(d.value, 2)} ${d.info?.unit ?? ''}`)]),
      !main0 && !daily.some((d) => d.value !== null && d.value !== undefined) ? h('dd', { class: 'muted' }, 'No daily figures for this day.') : null,
    ),
  );
}

/** @param {{ from: number, to: number }} view @param {number} from @param {number} to @param {() => Promise<void>} draw */
function common0(view, from, to, draw) {
  view.from = from;
  view.to = to;
  void draw();
}

/**
 * The chart's data with a break (null) wherever the samples pause for longer than 10 minutes (raw)
 * or 2.5 buckets: a tracker not worn is a hole, not a straight line across it.
 * @param {api.Series} s @param {(number | null)[][]} cols
 * @returns {import('uplot').AlignedData}
 */
function withGaps(s, cols) {
  const limit = s.bucket_ms ? Math.max(2.5 * s.bucket_ms, 10 * 60_000) : 10 * 60_000;
  /** @type {number[]} */
  const t = [];
  /** @type {(number | null)[][]} */
  const out = cols.map(() => []);
  for (let i = 0; i < s.t.length; i++) {
    const ti = /** @type {number} */ (s.t[i]);
    const prev = s.t[i - 1];
    if (prev !== undefined && ti - prev > limit) {
      t.push(prev + 1);
      for (const o of out) o.push(null);
    }
    t.push(ti);
    cols.forEach((c, k) => out[k]?.push(c[i] ?? null));
  }
  return [t, ...out];
}

/** @param {number} ms */
function bucketText(ms) {
  return ms >= 3_600_000 ? `${ms / 3_600_000} h` : ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

/**
 * The hypnogram: every session overlapping the shown range as a stepped line of its stages.
 * @param {HTMLElement} box @param {api.SleepSession[]} sessions
 * @param {{ zone: string, xRange: [number, number], syncKey: string, onSelect: (a: number, b: number) => void, onReset: () => void }} common
 * @param {string} zone
 */
function drawSleep(box, sessions, common, zone) {
  /** @type {number[]} */
  const t = [];
  /** @type {(number | null)[]} */
  const v = [];
  for (const s of [...sessions].sort((a, b) => a.start - b.start)) {
    const stages = s.stages.length ? s.stages : [{ start: s.start, end: s.end, stage: 'asleep' }];
    for (const st of stages) {
      t.push(st.start);
      v.push(STAGE_LEVEL[st.stage] ?? 1);
    }
    const last = stages[stages.length - 1];
    if (last) {
      t.push(last.end);
      v.push(STAGE_LEVEL[last.stage] ?? 1);
      t.push(last.end + 1);
      v.push(null);
    }
  }
  if (!t.length) {
    box.append(h('div', { class: 'chart empty', 'data-metric': 'sleep' }, h('div', { class: 'u-title' }, 'Sleep stages'), note('No sleep ends on this day.')));
    return;
  }
  chart(box, {
    ...common,
    title: 'Sleep stages',
    metric: 'sleep',
    height: 160,
    data: [t, v],
    series: [stepped('stage', COLORS.sleep)],
    scaleY: { range: [-0.3, 3.3] },
    axisY: { splits: () => [0, 1, 2, 3], values: (_u, ticks) => ticks.map((x) => LEVEL_NAME[x] ?? '') },
  });
  void zone;
}
