/**
 * Metric names for the dashboards, taken from the code that writes them, so a dashboard cannot
 * name a series nothing produces: the registry (history, per-day and gauge names), the sleep-stage
 * history series and the bridge's own metrics (src/sinks/prometheus/).
 */
import { metric, prometheusDailyName, prometheusGaugeName, prometheusHistoryName, type MetricId } from '../../src/metrics/registry.js';
import { BRIDGE_METRICS, type BridgeMetricName } from '../../src/sinks/prometheus/extension.js';
import { GAUGE_SPECS } from '../../src/sinks/prometheus/gauges.js';

export { NEWEST_SAMPLE_GAUGE, SLEEP_STAGE_GAUGE } from '../../src/sinks/prometheus/gauges.js';
export { SLEEP_STAGE_CODES, SLEEP_STAGE_HISTORY } from '../../src/sinks/remote-write/sleep-stages.js';

/** `fitbit_history_<name>`: every sample at its own instant. */
export function history(id: MetricId): string {
  return prometheusHistoryName(metric(id));
}

/** `fitbit_history_daily_<name>`: one value per local day, stamped at local midnight. */
export function daily(id: MetricId): string {
  const n = prometheusDailyName(metric(id));
  if (n === null) throw new Error(`metric ${id} has no per-day series`);
  return n;
}

/** `fitbit_<name>`: the scraped gauge of /metrics (throws when /metrics publishes none for the metric). */
export function gauge(id: MetricId): string {
  const n = prometheusGaugeName(metric(id));
  if (!GAUGE_SPECS.some((g) => g.name === n)) throw new Error(`/metrics publishes no gauge for ${id}`);
  return n;
}

/** A bridge health metric of /metrics (`fitbit_bridge_*`). */
export function bridge(name: BridgeMetricName): string {
  if (!BRIDGE_METRICS.some((m) => m.name === name)) throw new Error(`unknown bridge metric ${name}`);
  return name;
}
