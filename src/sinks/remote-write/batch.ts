/** Collects series runs into requests of at most `maxSamples` samples and sends each when full. */
import type { EncodedLabels, SeriesChunk } from './protobuf.js';

export type SendBatch = (chunks: SeriesChunk[]) => Promise<void>;

export class Batcher {
  private chunks: SeriesChunk[] = [];
  private n = 0;

  constructor(
    private readonly maxSamples: number,
    private readonly send: SendBatch,
  ) {
    if (!(maxSamples >= 1)) throw new RangeError(`batch size must be at least 1, got ${maxSamples}`);
  }

  /** Adds a run of one series' samples (ascending instants); sends full requests on the way. */
  async add(labels: EncodedLabels, t: Float64Array, v: Float64Array): Promise<void> {
    let from = 0;
    while (from < t.length) {
      const room = this.maxSamples - this.n;
      const take = Math.min(room, t.length - from);
      this.chunks.push({ labels, t: t.subarray(from, from + take), v: v.subarray(from, from + take) });
      this.n += take;
      from += take;
      if (this.n >= this.maxSamples) await this.flush();
    }
  }

  /** Sends what is collected (no-op when empty). */
  async flush(): Promise<void> {
    if (this.n === 0) return;
    const chunks = this.chunks;
    this.chunks = [];
    this.n = 0;
    await this.send(chunks);
  }
}
