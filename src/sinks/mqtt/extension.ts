/**
 * The MQTT sink of `fitbit-bridge run` (mqtt.js): every account's latest values as one retained
 * JSON state (for scripts), each entity's own retained state topic (what Home Assistant reads,
 * see entities.ts), the bridge's availability, and Home Assistant discovery (model: zigbee2mqtt).
 *
 * Delivery that loses nothing:
 * - The sink follows its own durable SinkCursor (`sink:mqtt:cursor`) over the store's change
 *   sequence. A pass reads the pending changes (which fixes `upto`), computes every account's
 *   state from the store, publishes what changed (QoS 1, retained) and commits `upto` only after
 *   the broker acknowledged every publish. Late data merged into an old day, writes by another
 *   process, a broker outage or a kill -9: the next pass starts from the cursor and publishes a
 *   state computed after all of it (it may resend, it never skips).
 * - Passes run through the bridge's store follower (src/run/store-follower.ts): on every change
 *   of the store's sequence (its 50 ms poll sees writes of other processes too), on
 *   `account:status` / `sync:finished`, on (re)connects, every minute (so windows slide: "steps
 *   in the last 60 minutes" goes down while you sit still) and at the next local midnight of each
 *   account (so "steps today" resets) and just before the first live value turns stale (so
 *   Home Assistant never shows it as current, entities.ts). Passes never overlap; requests
 *   during a pass coalesce into one more pass; a pass that is not acknowledged completely is
 *   retried with backoff (`retryMinMs` doubling to `retryMaxMs`).
 * - On every (re)connect everything is republished (the broker may have lost its retained
 *   messages), computed at that instant: a live value that went stale while the bridge was away
 *   is published as null, never as the old number.
 * - Home Assistant's birth message (`<prefix>/status` = `online`) is not answered by dumping
 *   everything: every message is retained and Home Assistant gets them when it subscribes. The
 *   sink subscribes to its own topics, so it knows what the broker holds, and republishes only
 *   the topics the broker lacks or holds differently (normally none).
 * - "Publish only when changed": discovery configs by their sorted-key JSON; the state JSON by
 *   its content without the ages (see state.ts); an entity's topic by its value and
 *   measurement time, so `expire_after` keeps its meaning.
 * - Daily totals never drop within a local day (DailyHighWater, kept in the store across
 *   restarts under `sink:mqtt:daily_max:<account>`).
 * - Lag (seq behind, seconds behind) is logged when it persists and readable through `lag()` and
 *   `sinkStatus()` (/metrics).
 *
 * Reconnects with exponential backoff (1 s doubling to 60 s, ±20 % jitter). The last will marks
 * `<base>/bridge/state` offline (retained) when the process dies; a clean stop publishes it too.
 */
import { randomBytes } from 'node:crypto';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { STATE_KEYS } from '../../store/state-keys.js';
import { errText as errMsg } from '../../errors.js';
import type { AccountConfig } from '../../config/schema.js';
import type { Store } from '../../store/types.js';
import { systemClock, type Clock } from '../../time/index.js';
import type { Logger } from '../../util/log.js';
import type { AccountStatus, Extension, ExtensionContext, SinkStatus } from '../../run/extension.js';
import type { Following } from '../../run/store-follower.js';
import { SinkCursor, type CursorLag } from '../cursor.js';
import { computeLatest, DailyHighWater, resolveTimezone, type HighWaterState } from '../latest.js';
import { discoveryMessages, isOurs, stableStringify, type DiscoveryMessage } from './discovery.js';
import { entityPayload, entityStates } from './entities.js';
import { accountNames, type AccountNames } from './names.js';
import { buildState, stateIdentity } from './state.js';
import { Topics } from './topics.js';

export interface MqttExtensionOptions {
  /** The clock the latest values are computed with (tests inject one). Default Date.now. */
  clock?: Clock;
  /** Re-evaluation period (ms). Default 60 000. */
  tickMs?: number;
  /** Retry delay of a pass that was not acknowledged completely (ms): the first, and the longest. Default 2 000 … 60 000. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Reconnect backoff bounds (ms). Default 1 000 … 60 000. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** A pass whose publishes are not all acknowledged within this fails and is retried (ms). Default 10 000. */
  publishTimeoutMs?: number;
  /** MQTT connect timeout (ms). Default 10 000. */
  connectTimeoutMs?: number;
  /** Lag (seconds) after which a warning is logged. Default 30. */
  lagWarnSeconds?: number;
}

export interface MqttLag extends CursorLag {
  /** The cursor's position and the store's sequence. */
  position: number;
  storeSeq: number;
  connected: boolean;
  /** When the last pass was acknowledged completely (clock ms), null if never. */
  lastDeliveredAt: number | null;
}

export interface MqttExtension extends Extension {
  /** How far delivery is behind the store (for logs and tests). */
  lag(): MqttLag;
  /** The same for /metrics (fitbit_bridge_sink_*{sink="mqtt"}). */
  sinkStatus(): SinkStatus | null;
  /** Runs a pass now (or waits for the running one and one more); resolves when done. */
  flush(): Promise<void>;
  isConnected(): boolean;
}

const PENDING_MAX_BLOCKS = 5000;

interface Outgoing {
  topic: string;
  payload: string;
  /** What "unchanged" is judged by. */
  identity: string;
}

/** A broker URL for logs: without user info. */
function redactUrl(u: string): string {
  return u.replace(/\/\/[^@/]*@/, '//***@');
}

class MqttSink implements MqttExtension {
  readonly name = 'mqtt';
  readonly kind = 'sink';
  private readonly clock: Clock;
  private ctx: ExtensionContext | null = null;
  private store: Store | null = null;
  private log: Logger | null = null;
  private client: MqttClient | null = null;
  private topics: Topics | null = null;
  private names: AccountNames[] = [];
  private accountCfg = new Map<string, AccountConfig>();
  private discovery: DiscoveryMessage[] = [];
  private discoveryTopics = new Set<string>();
  private cursor: SinkCursor | null = null;
  private guards = new Map<string, DailyHighWater>();
  /** topic → identity of what the broker holds from us (cleared on every connect). */
  private published = new Map<string, string>();
  /** topic → the payload last sent there (what the broker should hold). */
  private sent = new Map<string, string>();
  /** topic → the payload last seen there through our own subscription (what the broker holds). */
  private held = new Map<string, string>();
  private connected = false;
  private stopping = false;
  private following: Following | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private midnightTimer: NodeJS.Timeout | null = null;
  private midnightAt = 0;
  private freshTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private lastDeliveredAt: number | null = null;
  private lagWarned = false;
  private everConnected = false;
  private outageLogged = false;
  private tzWarned = new Set<string>();
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly opts: MqttExtensionOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  async start(ctx: ExtensionContext): Promise<void> {
    const cfg = ctx.config.mqtt;
    if (!cfg.server) throw new Error('mqtt.server is not set: the MQTT sink needs a broker URL such as mqtt://localhost:1883');
    // mqtt.js is loaded when the sink starts: a bridge without MQTT does not carry it (~10 MB resident)
    const { connect } = await import('mqtt');
    this.ctx = ctx;
    this.store = ctx.store;
    this.log = ctx.logger.child({ extension: 'mqtt' });
    this.topics = new Topics(cfg.base_topic, cfg.discovery_prefix);
    const named = accountNames(ctx.config.accounts.map((a) => a.name));
    this.names = [...named.values()];
    for (const a of ctx.config.accounts) this.accountCfg.set(a.name, a);
    this.discovery = cfg.discovery
      ? discoveryMessages({
          topics: this.topics,
          accounts: this.names,
          version: ctx.version,
          stepGoal: cfg.step_goal ?? null,
          expireAfter: cfg.expire_after_seconds,
          publicUrl: ctx.config.http.enabled ? (ctx.config.http.public_url ?? null) : null,
        })
      : [];
    this.discoveryTopics = new Set(this.discovery.map((m) => m.topic));
    this.cursor = new SinkCursor(ctx.store, 'mqtt', this.clock);
    for (const a of this.names) this.guards.set(a.account, new DailyHighWater(this.loadGuard(a.account)));

    // store changes come through the follower; status changes (auth, last sync) are not writes
    this.following = ctx.follower.subscribe({
      name: 'mqtt',
      pass: () => this.pass(),
      retry: { minMs: this.opts.retryMinMs ?? 2000, maxMs: this.opts.retryMaxMs ?? 60_000 },
    });
    const kick = (): void => this.kick();
    ctx.events.on('account:status', kick);
    ctx.events.on('sync:finished', kick);
    this.listeners.push(() => {
      ctx.events.off('account:status', kick);
      ctx.events.off('sync:finished', kick);
    });

    this.tickTimer = setInterval(() => {
      this.kick();
      this.checkLag();
    }, this.opts.tickMs ?? 60_000);
    this.tickTimer.unref();

    const options: IClientOptions = {
      clientId: cfg.client_id ?? `fitbit-bridge_${randomBytes(4).toString('hex')}`,
      keepalive: cfg.keepalive,
      clean: true,
      reconnectPeriod: 0, // reconnects are ours, with backoff
      resubscribe: false,
      connectTimeout: this.opts.connectTimeoutMs ?? 10_000,
      protocolVersion: 4,
      // mqtt.js would otherwise pre-build a 2-byte Buffer for each of the 65,536 packet ids:
      // 6 MB of heap (of ~24 MB of an idle bridge) for a client that sends a few packets a minute
      writeCache: false,
      will: { topic: this.topics.bridgeState, payload: Buffer.from('offline'), qos: 1, retain: true },
      rejectUnauthorized: cfg.reject_unauthorized,
    };
    if (cfg.username !== undefined) options.username = cfg.username;
    if (cfg.password !== undefined) options.password = cfg.password;
    if (cfg.ca !== undefined) options.ca = cfg.ca;
    if (cfg.cert !== undefined) options.cert = cfg.cert;
    if (cfg.key !== undefined) options.key = cfg.key;
    this.log.info(
      { server: redactUrl(cfg.server), base_topic: cfg.base_topic, discovery: cfg.discovery, accounts: this.names.map((n) => n.topic) },
      'connecting to the MQTT broker',
    );
    const client = connect(cfg.server, options);
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('error', (e) => this.log?.warn({ err: errMsg(e) }, 'MQTT error'));
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const off of this.listeners.splice(0)) off();
    for (const t of [this.tickTimer, this.reconnectTimer, this.midnightTimer, this.freshTimer]) if (t) clearTimeout(t);
    this.tickTimer = this.reconnectTimer = this.midnightTimer = this.freshTimer = null;
    const following = this.following;
    this.following = null;
    if (following) await Promise.race([following.stop(), sleep(this.opts.publishTimeoutMs ?? 10_000)]);
    const client = this.client;
    this.client = null;
    if (!client) return;
    if (client.connected && this.topics) {
      try {
        await withTimeout(client.publishAsync(this.topics.bridgeState, 'offline', { qos: 1, retain: true }), 2000);
      } catch (e) {
        this.log?.warn({ err: errMsg(e) }, "could not publish the bridge's offline state");
      }
      await withTimeout(client.endAsync(), 2000).catch(() => client.end(true));
    } else {
      client.end(true);
    }
    this.connected = false;
    this.log?.info('MQTT sink stopped');
  }

  isConnected(): boolean {
    return this.connected;
  }

  lag(): MqttLag {
    const c = this.cursor;
    const store = this.store;
    if (!c || !store) return { seqBehind: 0, seconds: 0, position: 0, storeSeq: 0, connected: false, lastDeliveredAt: null };
    const l = c.lag();
    return { ...l, position: c.position(), storeSeq: store.currentSeq(), connected: this.connected, lastDeliveredAt: this.lastDeliveredAt };
  }

  sinkStatus(): SinkStatus | null {
    if (!this.cursor || this.stopping) return null;
    const l = this.lag();
    return { sink: 'mqtt', up: l.connected, lagSeconds: l.seconds, pendingChanges: l.seqBehind, lastDeliveryAt: l.lastDeliveredAt };
  }

  async flush(): Promise<void> {
    this.kick();
    await this.following?.idle();
  }

  // ---- connection --------------------------------------------------------------------------------

  private onConnect(): void {
    const client = this.client;
    const topics = this.topics;
    if (!client || !topics || this.stopping) return;
    this.connected = true;
    this.attempt = 0;
    this.outageLogged = false;
    this.published.clear(); // the broker may have lost what it held: republish everything
    this.held.clear();
    this.log?.info({ reconnect: this.everConnected }, this.everConnected ? 'reconnected to the MQTT broker; republishing' : 'connected to the MQTT broker');
    this.everConnected = true;
    client.subscribe([topics.haStatus, topics.discoveryWildcard, `${topics.base}/#`], { qos: 1 }, (err) => {
      if (err) this.log?.warn({ err: errMsg(err) }, "could not subscribe to Home Assistant's status, the discovery and the bridge's own topics");
    });
    this.kick();
  }

  private onClose(): void {
    const wasConnected = this.connected;
    this.connected = false;
    if (this.stopping) return;
    if (wasConnected || !this.outageLogged) {
      this.outageLogged = true;
      this.log?.warn(
        { pending: this.lag().seqBehind },
        wasConnected
          ? 'lost the MQTT broker; reconnecting with backoff (nothing is lost: delivery resumes from the cursor)'
          : 'cannot reach the MQTT broker; retrying with backoff',
      );
    }
    if (this.reconnectTimer) return;
    const min = this.opts.reconnectMinMs ?? 1000;
    const max = this.opts.reconnectMaxMs ?? 60_000;
    const base = Math.min(max, min * 2 ** Math.min(this.attempt, 20));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopping && this.client && !this.client.connected) this.client.reconnect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const topics = this.topics;
    const client = this.client;
    if (!topics || !client) return;
    if (topic === topics.haStatus) {
      if (payload.toString('utf8').trim() === 'online') this.onHaBirth();
      return;
    }
    if (this.sent.has(topic)) this.held.set(topic, payload.toString('utf8'));
    // A retained discovery config of ours that this configuration no longer produces: clear it.
    if (!packet.retain || payload.length === 0 || !topics.isDiscoveryConfig(topic) || this.discoveryTopics.has(topic)) return;
    const node = topic.slice(topics.prefix.length + 1).split('/')[1] ?? '';
    if (!node.startsWith(`${topics.baseId}_`)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    if (!isOurs(parsed, topics)) return;
    this.log?.info({ topic }, 'clearing a stale discovery config (an entity this configuration no longer has)');
    client.publish(topic, '', { qos: 1, retain: true }, (err) => {
      if (err) this.log?.warn({ topic, err: errMsg(err) }, 'could not clear a stale discovery config');
    });
  }

  /**
   * Home Assistant (re)started: it reads every retained message when it subscribes, so only the
   * topics the broker lacks or holds differently from what the bridge sent are published again.
   */
  private onHaBirth(): void {
    const missing = [...this.sent].filter(([topic, payload]) => this.held.get(topic) !== payload).map(([topic]) => topic);
    this.log?.info(
      { republish: missing.length },
      missing.length === 0
        ? 'Home Assistant came online: the broker holds every retained message of the bridge, nothing to republish'
        : 'Home Assistant came online: republishing what the broker does not hold',
    );
    if (missing.length === 0) return;
    for (const t of missing) this.published.delete(t);
    this.kick();
  }

  // ---- passes ------------------------------------------------------------------------------------

  private kick(): void {
    this.following?.kick();
  }

  /**
   * One pass: compute, publish what changed, commit the cursor; true when more is pending.
   * Without a connection it does nothing (the next connect asks for a pass). Throws when not
   * every publish was acknowledged (the follower retries it).
   */
  private async pass(): Promise<boolean> {
    const { client, store, topics, cursor, ctx } = this;
    cursor?.lag(); // starts the "behind since" clock
    if (!client || !store || !topics || !cursor || !ctx || !client.connected || this.stopping) return false;
    const t0 = performance.now();
    const pending = cursor.pending(PENDING_MAX_BLOCKS);
    const now = this.clock();
    const out: Outgoing[] = [];
    for (const m of this.discovery) {
      const payload = stableStringify(m.payload);
      if (this.published.get(m.topic) !== payload) out.push({ topic: m.topic, payload, identity: payload });
    }
    const statuses = new Map<string, AccountStatus>(ctx.accounts().map((s) => [s.name, s]));
    let nextMidnight = Infinity;
    let nextStale = Infinity;
    for (const a of this.names) {
      const tz = resolveTimezone(store, a.account, this.accountCfg.get(a.account)?.timezone);
      if (tz.from === 'default' && !this.tzWarned.has(a.account)) {
        this.tzWarned.add(a.account);
        this.log?.warn({ account: a.account }, `no time zone known for account ${a.account}: "today" is the UTC day (set accounts[].timezone)`);
      }
      const latest = computeLatest(store, a.account, { now, timezone: tz.timezone });
      nextMidnight = Math.min(nextMidnight, latest.dayEnd);
      const guard = this.guards.get(a.account) ?? new DailyHighWater();
      this.guards.set(a.account, guard);
      if (guard.apply(latest)) this.saveGuard(a.account, guard.state());
      const state = buildState({ latest, status: statuses.get(a.account), stepGoal: ctx.config.mqtt.step_goal ?? null });
      const topic = topics.accountState(a.topic);
      const identity = stateIdentity(state);
      if (this.published.get(topic) !== identity) out.push({ topic, payload: JSON.stringify(state), identity });
      const entities = entityStates(state, latest, ctx.config.mqtt.expire_after_seconds);
      nextStale = Math.min(nextStale, entities.nextChangeAt);
      for (const [key, es] of entities.states) {
        const t = topics.entityState(a.topic, key);
        const payload = entityPayload(es);
        if (this.published.get(t) !== payload) out.push({ topic: t, payload, identity: payload });
      }
    }
    if (this.published.get(topics.bridgeState) !== 'online') out.push({ topic: topics.bridgeState, payload: 'online', identity: 'online' });
    this.armMidnight(nextMidnight);
    this.armFreshness(nextStale);

    const timeout = this.opts.publishTimeoutMs ?? 10_000;
    try {
      await withTimeout(Promise.all(out.map((m) => client.publishAsync(m.topic, m.payload, { qos: 1, retain: true }))), timeout);
    } catch (e) {
      throw new Error(
        `MQTT publishes were not all acknowledged (${out.length} messages, ${pending.upto - cursor.position()} changes pending; the cursor stays where it was): ${errMsg(e)}`,
      );
    }
    for (const m of out) {
      this.published.set(m.topic, m.identity);
      this.sent.set(m.topic, m.payload);
    }
    cursor.commit(pending.upto);
    this.lastDeliveredAt = now;
    this.log?.debug(
      { published: out.length, upto: pending.upto, blocks: pending.blocks.length, sessions: pending.sessions.length, ms: Math.round(performance.now() - t0) },
      'MQTT pass',
    );
    this.checkLag();
    return pending.upto < store.currentSeq();
  }

  private checkLag(): void {
    if (!this.cursor || !this.log) return;
    const l = this.lag();
    const warnAfter = this.opts.lagWarnSeconds ?? 30;
    if (l.seqBehind > 0 && l.seconds >= warnAfter) {
      this.lagWarned = true;
      this.log.warn({ seq_behind: l.seqBehind, lag_s: Math.round(l.seconds), connected: l.connected }, 'MQTT delivery is behind the store');
    } else if (l.seqBehind === 0 && this.lagWarned) {
      this.lagWarned = false;
      this.log.info({ seq: l.position }, 'MQTT delivery caught up with the store');
    }
  }

  /** Re-evaluates right after the next local midnight of any account. */
  private armMidnight(at: number): void {
    if (!Number.isFinite(at) || at === this.midnightAt || this.stopping) return;
    this.midnightAt = at;
    if (this.midnightTimer) clearTimeout(this.midnightTimer);
    const delay = Math.max(0, at - this.clock()) + 200;
    if (delay > 26 * 3_600_000) return;
    this.midnightTimer = setTimeout(() => {
      this.midnightTimer = null;
      this.midnightAt = 0;
      this.kick();
    }, delay);
    this.midnightTimer.unref();
  }

  /** Re-evaluates right after the first live value turns stale (entities.ts). */
  private armFreshness(at: number): void {
    if (this.stopping) return;
    if (!Number.isFinite(at)) {
      if (this.freshTimer) clearTimeout(this.freshTimer);
      this.freshTimer = null;
      return;
    }
    // re-armed on every pass: the delay is computed from the clock, which may have been set meanwhile
    if (this.freshTimer) clearTimeout(this.freshTimer);
    // long delays are left to the minute tick (a timer of more than ~24.8 days would overflow)
    const delay = Math.min(Math.max(0, at - this.clock()) + 20, 86_400_000);
    this.freshTimer = setTimeout(() => {
      this.freshTimer = null;
      this.kick();
    }, delay);
    this.freshTimer.unref();
  }

  // ---- the daily-total guard's state ----------------------------------------------------------

  private guardKey(account: string): string {
    return STATE_KEYS.mqttDailyMax(account);
  }

  private loadGuard(account: string): HighWaterState | null {
    const raw = this.store?.getState(this.guardKey(account)) ?? null;
    if (raw === null) return null;
    try {
      return JSON.parse(raw) as HighWaterState;
    } catch {
      return null;
    }
  }

  private saveGuard(account: string, s: HighWaterState): void {
    try {
      this.store?.setState(this.guardKey(account), JSON.stringify(s));
    } catch (e) {
      this.log?.warn({ account, err: errMsg(e) }, 'could not keep the daily maxima in the store');
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** The MQTT sink as an extension of `fitbit-bridge run` (needs mqtt.server in the config). */
export function mqttExtension(opts: MqttExtensionOptions = {}): MqttExtension {
  return new MqttSink(opts);
}
