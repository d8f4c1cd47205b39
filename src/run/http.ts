/**
 * The one HTTP server of `fitbit-bridge run` (http.bind, default 127.0.0.1; http.port). It serves
 * `/healthz` itself — 200 while the process runs, never dependent on the API, a broker or a TSDB —
 * and whatever the controller and the extensions register (`/auth`, `/metrics`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errText } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { HttpRoutes, RouteHandler } from './extension.js';

export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, `${JSON.stringify(body)}\n`, 'application/json; charset=utf-8');
}

/** Reads a request body (at most `limit` bytes). */
export function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface BridgeHttpOptions {
  bind: string;
  port: number;
  logger: Logger;
  /** Extra JSON fields of /healthz (cheap, no I/O). */
  health?: () => Record<string, unknown>;
}

export class BridgeHttpServer implements HttpRoutes {
  private readonly routes = new Map<string, RouteHandler>();
  private server: Server | null = null;
  private baseUrl: string | null = null;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: BridgeHttpOptions) {
    this.route('/healthz', (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed\n', undefined, { allow: 'GET, HEAD' });
      sendJson(res, 200, { status: 'ok', uptime_s: Math.round((Date.now() - this.startedAt) / 1000), ...(this.opts.health?.() ?? {}) });
    });
  }

  route(path: string, handler: RouteHandler): void {
    this.routes.set(path, handler);
  }

  url(): string | null {
    return this.baseUrl;
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://bridge.invalid');
      const handler = this.routes.get(url.pathname) ?? (url.pathname === '/' ? this.routes.get('/auth') : undefined);
      if (!handler) return sendText(res, 404, `not found: ${url.pathname}\n`);
      Promise.resolve()
        .then(() => handler(req, res, url))
        .catch((e: unknown) => {
          this.opts.logger.error({ path: url.pathname, err: errText(e) }, 'HTTP handler failed');
          if (!res.headersSent) sendText(res, 500, 'internal error\n');
          else res.destroy();
        });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.bind, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    const host = this.opts.bind.includes(':') ? `[${this.opts.bind}]` : this.opts.bind;
    this.baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${port}`;
    return this.baseUrl;
  }

  /** The bound port (after listen). */
  port(): number | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : null;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeIdleConnections();
      setTimeout(() => s.closeAllConnections(), 2000).unref();
    });
  }
}
