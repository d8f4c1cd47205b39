/**
 * Every key of the store's key-value state (`Store.getState` / `setState`, table `state`), built
 * in one place. Readers and writers take their keys from here, never from a string of their own
 * (test/store/state-keys.test.ts checks src for that).
 *
 * Style for new keys: `<area>:<what>[:<part>…]`, colon-separated, lower-case area names, e.g.
 * `sink:<name>:cursor`. The older keys below keep their historic spellings (dots, slashes) so
 * that stores written by earlier versions keep working: renaming a key needs a store migration.
 */
export const STATE_KEYS = {
  /** SinkCursor position of a sink (src/sinks/cursor.ts): the last change seq delivered. */
  sinkCursor: (sink: string): string => `sink:${sink}:cursor`,
  /** The MQTT sink's daily-total guard of an account (src/sinks/mqtt/extension.ts), JSON. */
  mqttDailyMax: (account: string): string => `sink:mqtt:daily_max:${account}`,
  /** The remote-write sink's pending daily values (src/sinks/remote-write/sink.ts), JSON. */
  remoteWriteDaily: (sink: string): string => `sink:${sink}:daily`,
  /** Which version of a physical sleep counts, `newest` | `legacy` (src/reconcile/sleep.ts; config takeout.sleep_version). */
  sleepVersion: 'sleep:version',
  /** Legacy style (dots). Sleep stages waiting for their session (src/sources/takeout/import.ts), JSON. */
  pendingSleepStages: (account: string): string => `takeout.pendingSleepStages.${account}`,
  /** Legacy style (dots). What the Takeout drop folder imported or failed (src/sources/takeout/drop-folder.ts), JSON. */
  dropFolder: 'takeout.drop_folder',
  /**
   * Legacy-layer samples stored once because another layer has the same measurement
   * (src/reconcile/samples.ts), JSON `{repair?, lastImport?}` of MergeCounts: what the store repair
   * of schema migration 4 (src/store/repair.ts) and the latest Takeout import merged; `stats` shows it.
   */
  samplesMerged: (account: string): string => `reconcile:merged:${account}`,
  /** Legacy style (slashes). Sync coverage of one account and data type (src/sources/google-health/coverage.ts), JSON. */
  coverage: (account: string, dataType: string): string => `google-health/coverage/${account}/${dataType}`,
} as const;
