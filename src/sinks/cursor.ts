/**
 * A sink's durable cursor over the store's change sequence: what it has delivered, kept in the
 * store (key `sink:<name>:cursor`), so a broker or TSDB outage or a kill -9 never skips anything.
 *
 * The store bumps one store-wide sequence on every write that changes something and stamps each
 * changed day block (and session) with it; writers commit in sequence order (SQLite's single
 * writer), so "every change after seq N" is exactly `changedBlocks(N)` + `changedSessions(N)`,
 * including late data merged into an old day and writes by other processes (an `import-takeout`
 * beside `run`). A sink reads the pending changes, delivers them, then `commit(seq)`s the highest
 * seq it delivered completely. After a crash it resumes from the last commit: it may resend,
 * never lose. Writing the cursor does not bump the sequence.
 */
import { STATE_KEYS } from '../store/state-keys.js';
import type { ChangedBlock, Store, StoredSession } from '../store/types.js';
import { systemClock, type Clock } from '../time/index.js';

export interface PendingChanges {
  /** Changed sample blocks after the cursor, in seq order. */
  blocks: ChangedBlock[];
  /** Changed sessions after the cursor, in seq order. */
  sessions: StoredSession[];
  /** The highest seq covered (the store's sequence when read). */
  upto: number;
}

export interface CursorLag {
  /** Store sequence minus the cursor (0 = caught up). */
  seqBehind: number;
  /** Seconds since the cursor first fell behind (0 when caught up). */
  seconds: number;
}

export class SinkCursor {
  private readonly key: string;
  private behindSince: number | null = null;

  constructor(
    private readonly store: Store,
    readonly sink: string,
    private readonly clock: Clock = systemClock,
  ) {
    if (!/^[a-z0-9_-]+$/i.test(sink)) throw new RangeError(`bad sink name ${JSON.stringify(sink)}`);
    this.key = STATE_KEYS.sinkCursor(sink);
  }

  /** The last seq delivered completely (0 = nothing yet). */
  position(): number {
    const v = this.store.getState(this.key);
    const n = v === null ? 0 : Number(v);
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  }

  /**
   * Changes after the cursor, at most `maxBlocks` blocks (the rest comes with the next call).
   * When cut short, `upto` is the seq of the last block returned, so committing it is safe.
   */
  pending(maxBlocks = Infinity): PendingChanges {
    const from = this.position();
    const current = this.store.currentSeq();
    const blocks: ChangedBlock[] = [];
    let upto = current;
    for (const b of this.store.changedBlocks(from)) {
      if (b.seq > current) break;
      // cut only between different seqs: one write may stamp several blocks with the same seq
      const last = blocks[blocks.length - 1];
      if (blocks.length >= maxBlocks && last !== undefined && b.seq !== last.seq) {
        upto = last.seq;
        break;
      }
      blocks.push(b);
    }
    const sessions = this.store.changedSessions(from).filter((s) => s.seq <= upto);
    return { blocks, sessions, upto };
  }

  /** Records that everything up to `seq` was delivered. Never moves backwards. */
  commit(seq: number): void {
    if (seq <= this.position()) return;
    this.store.setState(this.key, String(seq));
  }

  /** How far behind the store the cursor is. */
  lag(): CursorLag {
    const behind = Math.max(0, this.store.currentSeq() - this.position());
    const now = this.clock();
    if (behind === 0) this.behindSince = null;
    else if (this.behindSince === null) this.behindSince = now;
    return { seqBehind: behind, seconds: this.behindSince === null ? 0 : (now - this.behindSince) / 1000 };
  }

  /** Forgets the position: everything is delivered again (e.g. a new, empty TSDB). */
  reset(): void {
    this.store.setState(this.key, '0');
  }
}
