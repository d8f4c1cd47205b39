/**
 * A real mosquitto for tests: started on a free port of 127.0.0.1 with a temp config (anonymous,
 * or with a password file), persistence off (or in a temp dir), stopped and restarted on the
 * same port. Plus `Recorder`: an mqtt.js subscriber that keeps every message it sees.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { freePort } from './prometheus.js';

const MOSQUITTO = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
const MOSQUITTO_PASSWD = existsSync('/usr/bin/mosquitto_passwd') ? '/usr/bin/mosquitto_passwd' : 'mosquitto_passwd';

export interface MosquittoOptions {
  /** user → password; when given, anonymous access is off. */
  users?: Record<string, string>;
  /** Keep retained messages across restarts (in the temp dir). Default false. */
  persistence?: boolean;
}

export { freePort };

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class Mosquitto {
  readonly dir: string;
  private proc: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly conf: string,
    dir: string,
  ) {
    this.dir = dir;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  static async start(opts: MosquittoOptions = {}): Promise<Mosquitto> {
    const dir = mkdtempSync(join(tmpdir(), 'fb-mosquitto-'));
    const port = await freePort();
    // As root, mosquitto would drop to the `mosquitto` user, which cannot read the temp dir.
    const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const lines = [
      ...(asRoot ? ['user root'] : []),
      `listener ${port} 127.0.0.1`,
      `log_dest file ${join(dir, 'mosquitto.log')}`,
      'log_type error',
      'log_type warning',
      'log_type notice',
    ];
    if (opts.users) {
      const pw = join(dir, 'passwd');
      writeFileSync(pw, '');
      for (const [u, p] of Object.entries(opts.users)) {
        const r = spawnSync(MOSQUITTO_PASSWD, ['-b', pw, u, p], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
      }
      lines.push('allow_anonymous false', `password_file ${pw}`);
    } else {
      lines.push('allow_anonymous true');
    }
    if (opts.persistence) lines.push('persistence true', `persistence_location ${dir}/`);
    else lines.push('persistence false');
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, `${lines.join('\n')}\n`);
    const m = new Mosquitto(port, conf, dir);
    await m.launch();
    return m;
  }

  private async launch(): Promise<void> {
    const proc = spawn(MOSQUITTO, ['-c', this.conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    let exited = false;
    proc.once('exit', () => {
      exited = true;
    });
    this.proc = proc;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`mosquitto exited at start: ${stderr}${this.logText()}`);
      if (await canConnect(this.port)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`mosquitto did not listen on ${this.port} within 5 s: ${stderr}${this.logText()}`);
  }

  logText(): string {
    const p = join(this.dir, 'mosquitto.log');
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  }

  /** Stops and starts again on the same port (retained messages are lost unless persistence). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  /** Date.now() at receipt. */
  at: number;
  /** performance.now() at receipt. */
  hr: number;
}

/** A subscriber that records every message it sees (optionally under one filter). */
export class Recorder {
  readonly messages: Received[] = [];
  private waiters: Array<() => void> = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain, at: Date.now(), hr: performance.now() });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(url: string, filters: string[] = ['#'], opts: IClientOptions = {}): Promise<Recorder> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, clean: true, ...opts });
    const r = new Recorder(client);
    await client.subscribeAsync(filters, { qos: 1 });
    return r;
  }

  /** The newest message on a topic. */
  last(topic: string): Received | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i]!.topic === topic) return this.messages[i];
    return undefined;
  }

  /** The newest JSON payload on a topic (undefined when none or empty). */
  lastJson(topic: string): Record<string, unknown> | undefined {
    const m = this.last(topic);
    return m && m.payload !== '' ? (JSON.parse(m.payload) as Record<string, unknown>) : undefined;
  }

  /** Waits until `pred` holds for some message received from index `from` on; returns it. */
  async waitFor(pred: (m: Received) => boolean, timeoutMs = 5000, from = 0, what = 'a matching message'): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    let i = from;
    for (;;) {
      for (; i < this.messages.length; i++) if (pred(this.messages[i]!)) return this.messages[i]!;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; last topics: ${this.messages
            .slice(-8)
            .map((m) => `${m.topic}=${m.payload.slice(0, 60)}`)
            .join(' | ')}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
