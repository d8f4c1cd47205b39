/**
 * The one table of the parts `fitbit-bridge run` can host: its sources (they write into the
 * store) and its sinks (they read from it). Each entry says which section of the configuration
 * it reads, when it is enabled and how it is built; the controller (controller.ts) builds the
 * enabled entries, starts them in this order and stops them in reverse:
 *
 *   prometheus → web → mqtt → remote-write → takeout-drop-folder → google-health      (start)
 *   google-health → takeout-drop-folder → remote-write → mqtt → web → prometheus      (stop)
 *
 * so the sinks are up before data flows, and on shutdown the sources end first (the running
 * sync stops at a page boundary, an import in progress finishes) before the sinks and the store
 * close. Every part is a plain static import here: a new source or sink is one import and one
 * entry.
 */
import type { LoadedConfig } from '../config/load.js';
import { mqttEnabled } from '../config/schema.js';
import { mqttExtension } from '../sinks/mqtt/extension.js';
import { prometheusExtension } from '../sinks/prometheus/extension.js';
import { remoteWriteExtension } from '../sinks/remote-write/extension.js';
import { googleHealthSource, type SyncRunner } from '../sources/google-health/part.js';
import { dropFolderPart } from '../sources/takeout/drop-folder-part.js';
import { webExtension } from '../web/part.js';
import type { Extension, PartKind } from './extension.js';

/** The flags of `fitbit-bridge run` the table's rules read. */
export interface RunFlags {
  /** false with --no-sync: no Google Health source (serve and publish what is in the store). */
  sync: boolean;
}

/** What a factory may be given (tests fake a sync; the demo skips the sync at start). */
export interface PartOptions {
  /** Replaces the Google Health source's sync of each job. */
  sync?: SyncRunner;
  /** Run the Google Health jobs once at start (default true). */
  syncOnStart?: boolean;
}

export interface PartSpec<K extends PartKind = PartKind> {
  /** The part's name (also the built part's `name`). */
  name: string;
  kind: K;
  /** The section of the configuration it reads. */
  section: keyof LoadedConfig;
  /** Whether `run` hosts it. */
  enabled(config: LoadedConfig, flags: RunFlags): boolean;
  create(opts: PartOptions): Extension & { readonly kind: K };
}

export const PARTS: readonly PartSpec[] = [
  // /metrics on the HTTP server: always (it publishes the bridge's health and the sinks' lag)
  { name: 'prometheus', kind: 'sink', section: 'http', enabled: () => true, create: () => prometheusExtension() },
  // the web UI and its JSON API (/, /ui/, /api/) on the same HTTP server
  { name: 'web', kind: 'sink', section: 'http', enabled: (c) => c.http.enabled, create: () => webExtension() },
  { name: 'mqtt', kind: 'sink', section: 'mqtt', enabled: (c) => mqttEnabled(c), create: () => mqttExtension() },
  { name: 'remote-write', kind: 'sink', section: 'remote_write', enabled: (c) => c.remote_write.url !== undefined, create: () => remoteWriteExtension() },
  { name: 'takeout-drop-folder', kind: 'source', section: 'takeout', enabled: (c) => c.takeout.drop_folder !== undefined, create: () => dropFolderPart() },
  {
    name: 'google-health',
    kind: 'source',
    section: 'google',
    enabled: (c, f) => f.sync && Boolean(c.google.client_id),
    create: (o) => googleHealthSource(o),
  },
];

/** Builds the enabled parts (of `names` only, when given), in the table's order. */
export function enabledParts(config: LoadedConfig, flags: RunFlags, opts: PartOptions = {}, names?: readonly string[]): Extension[] {
  return PARTS.filter((p) => (names === undefined || names.includes(p.name)) && p.enabled(config, flags)).map((p) => p.create(opts));
}
