import cliProgress from 'cli-progress';
import type { Logger } from '../../util/log.js';

export interface DumpProgress {
  tick(label: string): void;
  stop(): void;
}

const LOG_EVERY_MS = 5000;

/** A cli-progress bar when asked for and stderr is a TTY; otherwise an info log line every ~5 s. */
export function createProgress(total: number, logger: Logger, wantBar: boolean): DumpProgress {
  let done = 0;
  if (wantBar && process.stderr.isTTY && total > 0) {
    const bar = new cliProgress.SingleBar(
      { format: 'dump [{bar}] {percentage}% | {value}/{total} days | {label}', hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { label: '' });
    return {
      tick(label) {
        done++;
        bar.update(done, { label });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let last = Date.now();
  return {
    tick(label) {
      done++;
      const now = Date.now();
      if (now - last >= LOG_EVERY_MS) {
        last = now;
        logger.info({ done, total, at: label }, `dump: ${done}/${total} days (${label})`);
      }
    },
    stop() {
      /* nothing to clean up */
    },
  };
}
