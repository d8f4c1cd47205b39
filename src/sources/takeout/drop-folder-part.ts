/**
 * The Takeout drop folder as the Takeout source part of `fitbit-bridge run` (enabled when
 * takeout.drop_folder is set; see src/run/parts.ts): scans
 * the folder every takeout.drop_poll_seconds, sooner when fs.watch hints at a change (only a
 * hint: on network shares and SD cards it may say nothing) and again when a waiting file is due
 * to settle; each new export is imported into takeout.drop_account (default: the first account).
 * The logic is drop-folder.ts. Nothing is emitted: the import moves the store's change
 * sequence, which the store follower (src/run/store-follower.ts) announces to the sinks.
 *
 * stop() stops a scan or import in progress (an abort signal checked between entries and records)
 * and waits for it to end; the file being read is not committed and the export is not recorded, so
 * it is imported again at the next start, idempotently (a hard kill is safe too).
 */
import { watch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
import { errText, InterruptedError } from '../../errors.js';
import type { Extension, ExtensionContext } from '../../run/extension.js';
import type { Logger } from '../../util/log.js';
import type { DropFolderWatcher } from './drop-folder.js';

export interface DropFolderPartOptions {
  /** Epoch ms for the settle window (default Date.now). */
  clock?: () => number;
  /** Delay between an fs.watch event and the scan it triggers (ms, default 1000). */
  hintDelayMs?: number;
}

export class DropFolderPart implements Extension {
  readonly name = 'takeout-drop-folder';
  readonly kind = 'source';
  private watcher: DropFolderWatcher | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private soonTimer: NodeJS.Timeout | null = null;
  private soonAt = Infinity;
  private fsWatcher: FSWatcher | null = null;
  private stopping = false;
  /** Aborted by stop(): a scan or import in progress stops between entries. */
  private readonly abort = new AbortController();
  private log: Logger | null = null;
  private dir = '';

  constructor(private readonly opts: DropFolderPartOptions = {}) {}

  /** The watcher (tests, status). */
  get dropWatcher(): DropFolderWatcher | null {
    return this.watcher;
  }

  async start(ctx: ExtensionContext): Promise<void> {
    const t = ctx.config.takeout;
    if (t.drop_folder === undefined) return;
    const account = t.drop_account ?? ctx.config.accounts[0]?.name ?? 'default';
    const acct = ctx.config.accounts.find((a) => a.name === account);
    if (!acct) {
      throw new Error(`takeout.drop_account: no account named ${account} under accounts: (known: ${ctx.config.accounts.map((a) => a.name).join(', ')})`);
    }
    // the importer is loaded when the part starts: a bridge without a drop folder does not carry it
    const { DropFolderWatcher } = await import('./drop-folder.js');
    this.dir = resolve(t.drop_folder);
    this.log = ctx.logger.child({ extension: this.name });
    const timezone = acct.timezone ?? t.timezone;
    this.watcher = new DropFolderWatcher({
      dir: this.dir,
      account,
      store: ctx.store,
      logger: this.log,
      settleMs: t.drop_settle_seconds * 1000,
      signal: this.abort.signal,
      ...(timezone !== undefined ? { timezone } : {}),
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
    });
    this.log.info({ dir: this.dir, account, pollSeconds: t.drop_poll_seconds, settleSeconds: t.drop_settle_seconds }, 'watching the Takeout drop folder');
    this.pollTimer = setInterval(() => this.tick(), t.drop_poll_seconds * 1000);
    this.pollTimer.unref();
    this.attachWatch();
    this.scanSoon(0);
  }

  private attachWatch(): void {
    if (this.fsWatcher || this.stopping) return;
    try {
      const w = watch(this.dir, { persistent: false }, () => this.scanSoon(this.opts.hintDelayMs ?? 1000));
      w.on('error', () => {
        // e.g. the folder was removed or the share went away: polling goes on, the watch is re-attached later
        w.close();
        if (this.fsWatcher === w) this.fsWatcher = null;
      });
      this.fsWatcher = w;
    } catch {
      // no such folder yet, or a file system without events: polling covers it
    }
  }

  private tick(): void {
    this.attachWatch();
    this.scanSoon(0);
  }

  /** One scan after `ms` (an earlier request wins); then a follow-up when a waiting file is due to settle. */
  private scanSoon(ms: number): void {
    if (this.stopping || !this.watcher) return;
    const at = Date.now() + ms;
    if (this.soonTimer && at >= this.soonAt) return;
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.soonAt = at;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = null;
      this.soonAt = Infinity;
      void this.runScan();
    }, ms);
    this.soonTimer.unref();
  }

  private async runScan(): Promise<void> {
    const w = this.watcher;
    if (!w || this.stopping) return;
    try {
      const events = await w.scan();
      for (const e of events) {
        if (e.kind === 'waiting') this.log?.debug({ group: e.group, files: e.files }, `drop folder: ${e.detail}`);
      }
    } catch (e) {
      if (this.stopping) {
        this.log?.info('drop folder: scan stopped (the bridge is stopping); an export not finished is imported again at the next start');
        return;
      }
      this.log?.error({ err: errText(e) }, 'drop folder scan failed; trying again at the next poll');
    }
    const next = w.nextDeadline();
    const clock = this.opts.clock ?? Date.now;
    if (next !== null) this.scanSoon(Math.max(0, next - clock()) + 50);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.pollTimer = this.soonTimer = null;
    this.fsWatcher?.close();
    this.fsWatcher = null;
    this.abort.abort(new InterruptedError('drop folder import stopped: the bridge is stopping'));
    await this.watcher?.idle();
  }
}

/** The drop folder part for `run` (a no-op when takeout.drop_folder is not set). */
export function dropFolderPart(opts: DropFolderPartOptions = {}): DropFolderPart {
  return new DropFolderPart(opts);
}
