/**
 * The web UI's pages and assets: `/` (the one page, src/web/ui/assets/index.html) and the files
 * under `/ui/` (the page's ES modules and stylesheet from src/web/ui/assets/, uPlot's own
 * minified build and stylesheet from node_modules/uplot/dist; no CDN). Every link is relative, so
 * the pages work unchanged under Home Assistant's ingress; with an `X-Ingress-Path` header the
 * page also gets a `<base>` of that prefix, so its relative URLs resolve under the prefix whatever
 * address the browser shows.
 *
 * The assets are read once at start (112 KB, 45 KB gzipped, of which uPlot
 * 51 KB / 22 KB), served with an ETag
 * (`no-cache`: revalidated, so an upgrade shows at once) and gzipped when the browser takes it.
 * `npm run build` copies src/web/ui/assets/ to dist/web/ui/assets/ (package.json; the image build
 * runs it, so the image ships them).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { SECURITY_HEADERS } from '../../run/http.js';
import type { ExtensionContext } from '../../run/extension.js';

/** The page's policy: its own scripts, styles and API only; no inline script, no other origin. */
export const UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
}

function asset(body: Buffer, type: string): Asset {
  return { body, gzip: gzipSync(body, { level: 9 }), type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** The folder of the page's files: next to this module (src/ under tsx, dist/ once built). */
export function assetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, 'assets');
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`the web UI's files are missing from ${dir} (npm run build copies them)`);
  return dir;
}

/** Every file the UI serves, by its path under /ui/ ('index.html' is the page at /). */
export function loadAssets(): Map<string, Asset> {
  const dir = assetsDir();
  const out = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) out.set(name, asset(readFileSync(join(dir, name)), type));
  }
  const uplot = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
  out.set('uplot.min.js', asset(readFileSync(join(uplot, 'uPlot.iife.min.js')), TYPES['.js']!));
  out.set('uplot.min.css', asset(readFileSync(join(uplot, 'uPlot.min.css')), TYPES['.css']!));
  return out;
}

/** A prefix from X-Ingress-Path worth a `<base>`: path segments of safe characters only. */
export function ingressBase(header: string | string[] | undefined): string | null {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v || v.length > 200 || !/^(\/[A-Za-z0-9._~-]+)+\/?$/.test(v)) return null;
  return v.endsWith('/') ? v : `${v}/`;
}

function send(req: IncomingMessage, res: ServerResponse, a: Asset, extra: Record<string, string> = {}): void {
  const headers: Record<string, string> = {
    'content-type': a.type,
    'cache-control': 'no-cache',
    etag: a.etag,
    vary: 'accept-encoding',
    'content-security-policy': UI_CSP,
    ...extra,
  };
  if (req.headers['if-none-match'] === a.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gz ? a.gzip : a.body;
  if (gz) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function mountUi(ctx: ExtensionContext): void {
  const assets = loadAssets();
  const index = assets.get('index.html')!;
  ctx.http.route('/', (req, res) => {
    const base = ingressBase(req.headers['x-ingress-path']);
    if (!base) return send(req, res, index);
    const html = index.body.toString('utf8').replace('<head>', `<head>\n    <base href="${base}" />`);
    send(req, res, asset(Buffer.from(html), index.type));
  });
  ctx.http.routePrefix('/ui/', (req, res, url) => {
    const name = url.pathname.slice('/ui/'.length);
    const a = name === 'index.html' ? undefined : assets.get(name);
    if (!a) {
      res.writeHead(404, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': SECURITY_HEADERS['content-security-policy']!,
      });
      res.end(`not found: /ui/${name.slice(0, 80)}\n`);
      return;
    }
    send(req, res, a);
  });
}
