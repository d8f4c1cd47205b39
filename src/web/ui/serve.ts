/**
 * The web UI's pages and assets: `/` and the files under `/ui/`, every link relative so that
 * the pages work unchanged under Home Assistant's ingress (`X-Ingress-Path`).
 */
import type { ExtensionContext } from '../../run/extension.js';

export function mountUi(_ctx: ExtensionContext): void {
  /* pages: issue 12 */
}
