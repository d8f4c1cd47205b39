// @ts-check
// Charts with uPlot (loaded by index.html as ui/uplot.min.js, the library's own minified build
// from node_modules). x values are epoch ms; axes show the account's local time.
import { h } from './util.js';

/** @typedef {import('uplot').Options} Options @typedef {import('uplot').Series} SeriesOpts */

/** Every chart drawn, for resizing with the window. @type {Set<uPlot>} */
const live = new Set();

let resizeTimer = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    for (const u of live) {
      if (!u.root.isConnected) {
        u.destroy();
        live.delete(u);
        continue;
      }
      const w = width(/** @type {HTMLElement} */ (u.root.parentElement));
      if (w !== u.width) u.setSize({ width: w, height: u.height });
    }
  }, 150);
});

/** Destroys the charts no longer on the page. */
export function sweep() {
  for (const u of live)
    if (!u.root.isConnected) {
      u.destroy();
      live.delete(u);
    }
}

/** The width a chart gets in `el`. @param {HTMLElement} el */
export function width(el) {
  return Math.max(280, Math.floor(el.clientWidth || 600));
}

export const COLORS = {
  hr: '#d6336c',
  hrBand: 'rgba(214,51,108,0.18)',
  steps: '#1c7ed6',
  spo2: '#0ca678',
  hrv: '#7048e8',
  temp: '#f08c00',
  sleep: '#5f3dc4',
  naps: '#b197fc',
  mean: '#212529',
  grey: '#868e96',
};

/**
 * Draws a chart into a new box appended to `parent`.
 * @param {HTMLElement} parent
 * @param {{ title: string, metric?: string, zone: string, height?: number, data: import('uplot').AlignedData, series: SeriesOpts[],
 *   bands?: import('uplot').Band[], axisY?: Partial<import('uplot').Axis>, scaleY?: import('uplot').Scale,
 *   xRange?: [number, number], syncKey?: string, onSelect?: (from: number, to: number) => void, onReset?: () => void }} o
 * @returns {uPlot}
 */
export function chart(parent, o) {
  const box = h('div', { class: 'chart', 'data-metric': o.metric });
  parent.append(box);
  const zone = o.zone;
  /** @type {Options} */
  const opts = {
    title: o.title,
    width: width(parent),
    height: o.height ?? 200,
    ms: 1,
    tzDate: (t) => uPlot.tzDate(new Date(t), zone),
    series: [{ label: 'time' }, ...o.series],
    bands: o.bands ?? [],
    legend: { live: true },
    scales: {
      x: o.xRange ? { time: true, range: () => /** @type {[number, number]} */ (o.xRange) } : { time: true },
      y: o.scaleY ?? {},
    },
    axes: [{}, { size: 60, ...(o.axisY ?? {}) }],
    cursor: {
      ...(o.syncKey ? { sync: { key: o.syncKey } } : {}),
      drag: { x: true, y: false, setScale: !o.onSelect },
      ...(o.onReset
        ? {
            bind: {
              dblclick: () => () => {
                o.onReset?.();
                return null;
              },
            },
          }
        : {}),
    },
    hooks: o.onSelect
      ? {
          setSelect: [
            (u) => {
              if (u.select.width < 4) return;
              const from = u.posToVal(u.select.left, 'x');
              const to = u.posToVal(u.select.left + u.select.width, 'x');
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              o.onSelect?.(Math.round(from), Math.round(to));
            },
          ],
        }
      : {},
  };
  const u = new uPlot(opts, o.data, box);
  live.add(u);
  return u;
}

/** A y scale from zero (bars). @type {import('uplot').Scale} */
export const FROM_ZERO = { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] };

/** A line series. @param {string} label @param {string} stroke @param {Partial<SeriesOpts>} [more] @returns {SeriesOpts} */
export function line(label, stroke, more = {}) {
  return { label, stroke, width: 1.5, spanGaps: false, points: { show: false }, ...more };
}

/** A bar series. @param {string} label @param {string} color @returns {SeriesOpts} */
export function bars(label, color) {
  return { label, stroke: color, fill: color, width: 0, paths: uPlot.paths.bars?.({ size: [0.9, 40], align: 1 }), points: { show: false } };
}

/** A stepped line (hypnogram). @param {string} label @param {string} color @returns {SeriesOpts} */
export function stepped(label, color) {
  return { label, stroke: color, width: 2, paths: uPlot.paths.stepped?.({ align: 1 }), points: { show: false } };
}

/**
 * Whether a chart drew something: a non-blank pixel in its canvas (for the tests and a sanity check).
 * @param {uPlot} u
 */
export function drew(u) {
  const c = u.ctx.canvas;
  const d = u.ctx.getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
  return false;
}
