/**
 * The topic layout of the MQTT sink (all retained, QoS 1):
 *
 *   <base>/bridge/state                               online | offline (last will: offline)
 *   <base>/<account>                                  the account's state JSON (see state.ts), for scripts
 *   <base>/<account>/<key>                            one entity's state {"value", "measured_at"} (see entities.ts),
 *                                                     what Home Assistant reads
 *   <prefix>/<component>/<node_id>/<key>/config       Home Assistant discovery (prefix: homeassistant)
 *   <prefix>/status                                   Home Assistant's birth / will (subscribed)
 *
 * node_id is `<base id>_<account id>` for an account's device and `<base id>_bridge` for the
 * bridge device; the base id is the base topic as an id (`fitbit-bridge` → `fitbit_bridge`), so
 * two bridges with different base topics never share ids.
 */
export class Topics {
  /** The base topic as an id part. */
  readonly baseId: string;

  constructor(
    readonly base: string,
    readonly prefix: string,
  ) {
    this.baseId =
      base
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '_')
        .replace(/^_+|_+$/g, '') || 'fitbit_bridge';
  }

  get bridgeState(): string {
    return `${this.base}/bridge/state`;
  }

  accountState(topicSegment: string): string {
    return `${this.base}/${topicSegment}`;
  }

  /** One entity's own state topic (published only when its value or measurement time changes). */
  entityState(topicSegment: string, key: string): string {
    return `${this.base}/${topicSegment}/${key}`;
  }

  /** Home Assistant's status topic (birth message `online`). */
  get haStatus(): string {
    return `${this.prefix}/status`;
  }

  /** Subscription that replays every retained per-entity discovery config under the prefix. */
  get discoveryWildcard(): string {
    return `${this.prefix}/+/+/+/config`;
  }

  accountNode(accountId: string): string {
    return `${this.baseId}_${accountId}`;
  }

  get bridgeNode(): string {
    return `${this.baseId}_bridge`;
  }

  discoveryConfig(component: string, node: string, key: string): string {
    return `${this.prefix}/${component}/${node}/${key}/config`;
  }

  /** True for a topic of the per-entity discovery form under our prefix. */
  isDiscoveryConfig(topic: string): boolean {
    if (!topic.startsWith(`${this.prefix}/`) || !topic.endsWith('/config')) return false;
    return topic.slice(this.prefix.length + 1).split('/').length === 4;
  }
}

/** Base topics and discovery prefixes: levels of [A-Za-z0-9_.-], no wildcards, no empty level. */
export const TOPIC_PREFIX_RE = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
