/** A temp folder for one test file: paths, sub-folders and real stores, all removed by cleanup(). */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';

export class Tmp {
  readonly dir: string;
  private n = 0;
  private readonly stores: Store[] = [];

  constructor(prefix = 'fb-test-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** A fresh folder under the temp dir. */
  mkdir(name: string): string {
    const p = join(this.dir, `${name}-${++this.n}`);
    mkdirSync(p, { recursive: true });
    return p;
  }

  /** A path for a new store file. */
  dbPath(): string {
    return join(this.dir, `store-${++this.n}.db`);
  }

  /** Opens a real store (a new file unless a path is given); closed by cleanup(). */
  store(path = this.dbPath()): Store {
    const s = openStore(path);
    this.stores.push(s);
    return s;
  }

  cleanup(): void {
    for (const s of this.stores) {
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
