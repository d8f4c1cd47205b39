/**
 * The bridge's own web UI (issue 12), a part of `run` (src/run/parts.ts) enabled with the HTTP
 * server: the pages at `/` and their assets (src/web/ui/), and the JSON API behind them under
 * `/api/` (src/web/api/). It reads the store and the bridge's status; an upload goes through the
 * same Takeout importer as the drop folder. It is a `sink` in the table's terms (it reads from the
 * store) without a delivery status.
 */
import type { Extension, ExtensionContext } from '../run/extension.js';
import { mountApi } from './api/index.js';
import { mountUi } from './ui/serve.js';

export function webExtension(): Extension & { readonly kind: 'sink' } {
  let stopApi: (() => Promise<void>) | null = null;
  return {
    name: 'web',
    kind: 'sink',
    start(ctx: ExtensionContext): Promise<void> {
      stopApi = mountApi(ctx);
      mountUi(ctx);
      return Promise.resolve();
    },
    async stop(): Promise<void> {
      await stopApi?.();
      stopApi = null;
    },
  };
}
