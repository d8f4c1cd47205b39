/**
 * The JSON API behind the web UI, under `/api/` (docs/api.md). Registers its routes on the
 * bridge's HTTP server; returns what to do on stop (an upload or import in progress ends).
 */
import type { ExtensionContext } from '../../run/extension.js';

export function mountApi(_ctx: ExtensionContext): () => Promise<void> {
  return () => Promise.resolve();
}
