/**
 * Small builders for Grafana dashboard JSON, typed against @grafana/schema (the dashboard model
 * Grafana itself publishes, schema v1 JSON). The dashboards (day.ts, trends.ts, bridge-health.ts)
 * use these; scripts/gen-dashboards.ts writes dashboards/json/*.json and the provisioning files.
 *
 * Every panel and query names the one provisioned data source by its uid (DATASOURCE.uid), every
 * dashboard has a fixed uid and the tag `fitbit-bridge`, works in the viewer's time zone
 * (`timezone: "browser"`) and has an `account` variable.
 */
import {
  BarAlignment,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  DashboardCursorSync,
  FieldColorModeId,
  GraphDrawStyle,
  GraphGradientMode,
  LegendDisplayMode,
  LineInterpolation,
  MappingType,
  PercentChangeColorMode,
  SortOrder,
  StackingMode,
  ThresholdsMode,
  TooltipDisplayMode,
  VariableHide,
  VariableRefresh,
  VariableSort,
  VisibilityMode,
  VizOrientation,
  type Dashboard,
  type DataSourceRef,
  type FieldConfig,
  type FieldConfigSource,
  type Panel,
  type RowPanel,
  type ThresholdsConfig,
  type ValueMapping,
  type VariableModel,
} from '@grafana/schema';
import type {
  FieldConfig as TimeSeriesFieldConfig,
  Options as TimeSeriesOptions,
} from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type {
  FieldConfig as StateTimelineFieldConfig,
  Options as StateTimelineOptions,
} from '@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen';

/** The provisioned Prometheus data source (dashboards/provisioning/datasources/). */
export const DATASOURCE = { name: 'Fitbit (Prometheus)', type: 'prometheus', uid: 'fitbit-prometheus' } as const;
export const DS: DataSourceRef = { type: DATASOURCE.type, uid: DATASOURCE.uid };

/** The folder the file provider puts the dashboards in (dashboards/provisioning/dashboards/). */
export const FOLDER = { title: 'Fitbit', uid: 'fitbit-bridge' } as const;

/** Every shipped dashboard carries this tag (the dashboard links list them by it). */
export const TAG = 'fitbit-bridge';

/** Dashboard JSON schema version written (Grafana migrates newer versions on load). */
export const SCHEMA_VERSION = 39;

/** One Prometheus query of a panel (the Prometheus data source's query model). */
export interface PromTarget extends Record<string, unknown> {
  refId: string;
  expr: string;
  legendFormat?: string;
  /** An instant query (stat panels) instead of a range query. */
  instant?: boolean;
  range?: boolean;
  /** Per-query minimum step. */
  interval?: string;
  editorMode: 'code';
  datasource: DataSourceRef;
}

export function target(refId: string, expr: string, legendFormat?: string, opts: { instant?: boolean; interval?: string } = {}): PromTarget {
  return {
    refId,
    expr,
    editorMode: 'code',
    datasource: DS,
    ...(legendFormat !== undefined ? { legendFormat } : {}),
    ...(opts.instant ? { instant: true, range: false } : { range: true, instant: false }),
    ...(opts.interval !== undefined ? { interval: opts.interval } : {}),
  };
}

/** The `account` variable: the values of the `account` label of `metric`. */
export function accountVariable(metric: string): VariableModel {
  const q = `label_values(${metric}, account)`;
  return {
    name: 'account',
    label: 'Account',
    type: 'query',
    datasource: DS,
    query: { query: q, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    definition: q,
    refresh: VariableRefresh.onTimeRangeChanged,
    sort: VariableSort.alphabeticalAsc,
    includeAll: false,
    multi: false,
    hide: VariableHide.dontHide,
    regex: '',
    options: [],
  } as VariableModel & { definition: string };
}

export interface Size {
  w: number;
  h: number;
}

interface PanelBase {
  title: string;
  description?: string;
  targets: PromTarget[];
  size: Size;
  /** Minimum $__interval (e.g. '1m', '1d'). */
  interval?: string;
  /** Shifts the panel's time range back (e.g. '6h': the night before a day). */
  timeShift?: string;
}

function rec<T extends object>(x: T): Record<string, unknown> {
  return x as unknown as Record<string, unknown>;
}

const greenThresholds: ThresholdsConfig = { mode: ThresholdsMode.Absolute, steps: [{ color: 'green', value: null }] };

function thresholdsOf(steps: Array<[number | null, string]> | undefined): ThresholdsConfig {
  if (!steps) return greenThresholds;
  return { mode: ThresholdsMode.Absolute, steps: steps.map(([value, color]) => ({ color, value })) };
}

export interface FieldOpts {
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  mappings?: ValueMapping[];
  thresholds?: Array<[number | null, string]>;
  noValue?: string;
}

function fieldDefaults(o: FieldOpts, custom: Record<string, unknown>, color: FieldConfig['color']): FieldConfig {
  return {
    ...(o.unit !== undefined ? { unit: o.unit } : {}),
    ...(o.decimals !== undefined ? { decimals: o.decimals } : {}),
    ...(o.min !== undefined ? { min: o.min } : {}),
    ...(o.max !== undefined ? { max: o.max } : {}),
    ...(o.noValue !== undefined ? { noValue: o.noValue } : {}),
    mappings: o.mappings ?? [],
    thresholds: thresholdsOf(o.thresholds),
    ...(color ? { color } : {}),
    custom,
  };
}

function panelOf(type: string, p: PanelBase, options: Record<string, unknown>, fieldConfig: FieldConfigSource): Panel & { _size: Size } {
  return {
    type,
    title: p.title,
    datasource: DS,
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(p.interval !== undefined ? { interval: p.interval } : {}),
    ...(p.timeShift !== undefined ? { timeShift: p.timeShift } : {}),
    targets: p.targets,
    options,
    fieldConfig,
    _size: p.size,
  };
}

export interface TimeSeriesPanel extends PanelBase, FieldOpts {
  bars?: boolean;
  stacked?: boolean;
  /** Connect points across gaps shorter than this (ms), or always (true). */
  spanNulls?: boolean | number;
  showPoints?: boolean;
  legendCalcs?: string[];
  /** Where a bar sits relative to its point: 'before' draws it over the interval that ends at the point. Default 'center'. */
  barAlignment?: 'before' | 'center' | 'after';
}

export function timeseries(p: TimeSeriesPanel): Panel {
  const custom: TimeSeriesFieldConfig = {
    drawStyle: p.bars ? GraphDrawStyle.Bars : GraphDrawStyle.Line,
    lineInterpolation: LineInterpolation.Linear,
    lineWidth: 1,
    fillOpacity: p.bars ? 80 : 10,
    gradientMode: GraphGradientMode.None,
    barAlignment: p.barAlignment === 'before' ? BarAlignment.Before : p.barAlignment === 'after' ? BarAlignment.After : BarAlignment.Center,
    showPoints: p.showPoints ? VisibilityMode.Always : VisibilityMode.Never,
    pointSize: 4,
    spanNulls: p.spanNulls ?? false,
    stacking: { mode: p.stacked ? StackingMode.Normal : StackingMode.None, group: 'A' },
  };
  const options: TimeSeriesOptions = {
    legend: { showLegend: true, displayMode: LegendDisplayMode.List, placement: 'bottom', calcs: p.legendCalcs ?? [] },
    tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.None },
  };
  return panelOf('timeseries', p, rec(options), { defaults: fieldDefaults(p, rec(custom), { mode: FieldColorModeId.PaletteClassic }), overrides: [] });
}

export interface StatPanel extends PanelBase, FieldOpts {
  /** Show the series name (e.g. the version label) instead of the value. */
  textMode?: 'value' | 'name';
  colorBackground?: boolean;
}

export function stat(p: StatPanel): Panel {
  const options: StatOptions = {
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    orientation: VizOrientation.Auto,
    textMode: p.textMode === 'name' ? BigValueTextMode.Name : BigValueTextMode.Value,
    colorMode: p.colorBackground ? BigValueColorMode.Background : BigValueColorMode.Value,
    graphMode: BigValueGraphMode.None,
    justifyMode: BigValueJustifyMode.Auto,
    wideLayout: true,
    showPercentChange: false,
    percentChangeColorMode: PercentChangeColorMode.Standard,
  };
  return panelOf('stat', p, rec(options), { defaults: fieldDefaults(p, {}, { mode: FieldColorModeId.Thresholds }), overrides: [] });
}

export interface StateTimelinePanel extends PanelBase, FieldOpts {
  mappings: ValueMapping[];
}

export function stateTimeline(p: StateTimelinePanel): Panel {
  const custom: StateTimelineFieldConfig = { fillOpacity: 80, lineWidth: 0 };
  const options: StateTimelineOptions = {
    mergeValues: true,
    rowHeight: 0.9,
    showValue: VisibilityMode.Auto,
    alignValue: 'left',
    legend: { showLegend: true, displayMode: LegendDisplayMode.List, placement: 'bottom', calcs: [] },
    tooltip: { mode: TooltipDisplayMode.Single, sort: SortOrder.None },
  };
  return panelOf('state-timeline', p, rec(options), { defaults: fieldDefaults(p, rec(custom), { mode: FieldColorModeId.Thresholds }), overrides: [] });
}

/** Value → text (and colour) mappings. */
export function valueMap(entries: Array<[number, string, string?]>): ValueMapping {
  const options: Record<string, { text: string; color?: string; index: number }> = {};
  entries.forEach(([v, text, color], index) => {
    options[String(v)] = { text, index, ...(color ? { color } : {}) };
  });
  return { type: MappingType.ValueToText, options };
}

export function row(title: string): RowPanel & { _size: Size } {
  return { type: 'row', title, collapsed: false, id: 0, panels: [], _size: { w: 24, h: 1 } };
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  time: { from: string; to: string };
  refresh: string;
  variables: VariableModel[];
  panels: Array<Panel | RowPanel>;
}

/** Lays the panels out left to right (rows of 24 columns), numbers them and fills in the common settings. */
export function dashboard(spec: DashboardSpec): Dashboard {
  let x = 0;
  let y = 0;
  let rowH = 0;
  let id = 1;
  const panels = spec.panels.map((p) => {
    const { _size: size, ...rest } = p as (Panel | RowPanel) & { _size?: Size };
    const s = size ?? { w: 12, h: 8 };
    if (rest.type === 'row' || x + s.w > 24) {
      y += rowH;
      x = 0;
      rowH = 0;
    }
    const placed = { ...rest, id: id++, gridPos: { x, y, w: s.w, h: s.h } };
    x += s.w;
    rowH = Math.max(rowH, s.h);
    if (rest.type === 'row') {
      y += s.h;
      x = 0;
      rowH = 0;
    }
    return placed;
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [TAG, ...spec.tags],
    timezone: 'browser',
    editable: true,
    graphTooltip: DashboardCursorSync.Crosshair,
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: spec.refresh,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    weekStart: '',
    time: spec.time,
    timepicker: {},
    links: [
      {
        title: 'Fitbit dashboards',
        type: 'dashboards',
        tags: [TAG],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: '',
        url: '',
      },
    ],
    annotations: { list: [] },
    templating: { list: spec.variables },
    panels,
  };
}
