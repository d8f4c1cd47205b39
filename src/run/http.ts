/**
 * The one HTTP server of `fitbit-bridge run` (http.bind, default 127.0.0.1; http.port). It serves
 * `/healthz` itself — 200 while the process runs, never dependent on the API, a broker or a TSDB —
 * and whatever the controller and the extensions register (`/auth`, `/metrics`).
 *
 * It trusts nothing by default; every route gets the same checks, in this order, before its
 * handler runs (a route only says which methods it takes):
 * - Client: when `http.allowed_clients` lists addresses (the add-on: the Supervisor's ingress
 *   proxy), any other peer gets 403.
 * - Host: the Host header must be `localhost`, an IP address, or a name in `http.allowed_hosts`,
 *   else 421. DNS rebinding (a web page whose name turns into 127.0.0.1) always carries the
 *   page's own name, so it never gets past this; an IP address cannot be rebound.
 * - Method: a method the route does not take gets 405 with Allow (GET routes take HEAD too).
 * - Anything but GET/HEAD changes state: it needs a same-origin Origin (or, without one, Referer)
 *   and the server's CSRF token (form field `csrf` of a urlencoded body, or header
 *   X-CSRF-Token), else 403. Pages embed the token (`csrfToken()`) in their forms.
 * - Every response carries the security headers (SECURITY_HEADERS): a CSP without inline script,
 *   framing by the same origin only (Home Assistant shows the add-on through ingress in an
 *   iframe of its own origin), Referrer-Policy same-origin, nosniff.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { errText } from '../errors.js';
import { clip } from '../util/clip.js';
import type { Logger } from '../util/log.js';
import type { HttpRoutes, RouteHandler, RouteOptions } from './extension.js';

/**
 * Sent with every response (a page may send its own Content-Security-Policy, e.g. with the hash
 * of its stylesheet). Referrer-Policy is `same-origin`, not `no-referrer`: with `no-referrer`
 * browsers send `Origin: null` on the page's own form posts, which the same-origin check refuses.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cross-origin-resource-policy': 'same-origin',
};

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

/**
 * Reads a request body (at most `limit` bytes). Beyond it: rejects and stops reading (the caller
 * answers 413 with `connection: close`, and the rest of the body is never read).
 */
export function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const onData = (c: Buffer): void => {
      n += c.length;
      if (n > limit) {
        req.off('data', onData);
        req.pause();
        chunks.length = 0;
        reject(new Error('request body too large'));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** How long a client may take to send a whole request (headers and body), unless the route lifts it (allowLongRequest). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** The deadline of each request still being received (cleared by allowLongRequest). */
const deadlines = new WeakMap<IncomingMessage, NodeJS.Timeout>();

/**
 * Lifts the 30 s limit on receiving this request's body (a Takeout upload of several GB takes
 * longer): from now on only `idleMs` without a byte from the client ends it (the socket is
 * destroyed, the handler's stream errors).
 */
export function allowLongRequest(req: IncomingMessage, idleMs: number): void {
  const t = deadlines.get(req);
  if (t) clearTimeout(t);
  deadlines.delete(req);
  req.socket.setTimeout(idleMs, () => req.socket.destroy());
}

/** Methods that only read: every other method changes state and needs Origin + CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);
/** The largest urlencoded form a state-changing route reads. */
const MAX_FORM_BYTES = 64 * 1024;

/** `::ffff:1.2.3.4` → `1.2.3.4`; lower case. */
export function normalizeAddress(a: string): string {
  const s = a.trim().toLowerCase();
  return s.startsWith('::ffff:') && isIP(s.slice(7)) === 4 ? s.slice(7) : s;
}

/** The host name of a Host header value (`name:port`, `[v6]:port`), lower case, without a trailing dot. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined) : h.split(':')[0]!;
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * Whether the server answers a request for `host` (the Host header): `localhost`, an IP address
 * (DNS rebinding needs a name), or a listed name (`name` or `name:port`; `*` = any).
 */
export function hostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  if (host === undefined) return true; // HTTP/1.0 clients; a browser always sends Host
  const name = hostName(host);
  if (name === 'localhost' || isIP(name) !== 0) return true;
  const full = host.trim().toLowerCase();
  return allowed.some((a) => {
    const x = a.trim().toLowerCase();
    return x === '*' || x === full || x === name || x === `${name}.`;
  });
}

export interface BridgeHttpOptions {
  bind: string;
  port: number;
  logger: Logger;
  /** Extra JSON fields of /healthz (cheap, no I/O). */
  health?: () => Record<string, unknown>;
  /** Host names answered besides localhost and IP addresses (http.allowed_hosts; `*` = any). */
  allowedHosts?: readonly string[];
  /** Peers allowed to connect (http.allowed_clients); empty = any. */
  allowedClients?: readonly string[];
  /** How long a client may take to send a request (ms, default REQUEST_TIMEOUT_MS; tests shorten it). */
  requestTimeoutMs?: number;
}

interface Route {
  handler: RouteHandler;
  methods: ReadonlySet<string>;
}

/** A route's handler and the methods it takes (default GET; GET brings HEAD). */
function routeOf(handler: RouteHandler, options: RouteOptions): Route {
  const methods = new Set((options.methods ?? ['GET']).map((m) => m.toUpperCase()));
  if (methods.has('GET')) methods.add('HEAD');
  return { handler, methods };
}

export class BridgeHttpServer implements HttpRoutes {
  private readonly routes = new Map<string, Route>();
  /** Prefix routes (`/api/`, `/ui/`), longest first; an exact route wins over a prefix. */
  private readonly prefixes: { prefix: string; route: Route }[] = [];
  private server: Server | null = null;
  private baseUrl: string | null = null;
  private readonly startedAt = Date.now();
  private readonly csrf = randomBytes(32).toString('base64url');
  private readonly allowedHosts: readonly string[];
  private readonly allowedClients: ReadonlySet<string>;

  constructor(private readonly opts: BridgeHttpOptions) {
    this.allowedHosts = opts.allowedHosts ?? [];
    this.allowedClients = new Set((opts.allowedClients ?? []).map(normalizeAddress));
    this.route('/healthz', (_req, res) => {
      sendJson(res, 200, { status: 'ok', uptime_s: Math.round((Date.now() - this.startedAt) / 1000), ...(this.opts.health?.() ?? {}) });
    });
  }

  route(path: string, handler: RouteHandler, options: RouteOptions = {}): void {
    this.routes.set(path, routeOf(handler, options));
  }

  routePrefix(prefix: string, handler: RouteHandler, options: RouteOptions = {}): void {
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new Error(`a route prefix starts and ends with "/": ${prefix}`);
    this.prefixes.push({ prefix, route: routeOf(handler, options) });
    this.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  private find(path: string): Route | undefined {
    const exact = this.routes.get(path);
    if (exact) return exact;
    for (const p of this.prefixes) if (path.startsWith(p.prefix)) return p.route;
    return path === '/' ? this.routes.get('/auth') : undefined;
  }

  url(): string | null {
    return this.baseUrl;
  }

  /** The token the pages put into their forms (field `csrf`); valid while this process runs. */
  csrfToken(): string {
    return this.csrf;
  }

  private tokenOk(given: string | null | undefined): boolean {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Why a state-changing request is refused (null: it comes from one of our own pages). */
  private crossSite(req: IncomingMessage, trustedPeer: boolean): string | null {
    const hosts = new Set<string>();
    if (req.headers.host) hosts.add(req.headers.host.trim().toLowerCase());
    const fwd = req.headers['x-forwarded-host'];
    if (trustedPeer && typeof fwd === 'string') for (const h of fwd.split(',')) hosts.add(h.trim().toLowerCase());
    const origin = req.headers.origin;
    const referer = req.headers.referer;
    const from = origin ?? referer;
    if (from === undefined) return 'no Origin or Referer header: a state-changing request must come from one of its pages';
    let host: string | null = null;
    try {
      host = new URL(from).host.toLowerCase();
    } catch {
      host = null;
    }
    if (host === null || !hosts.has(host))
      return `cross-site request refused: ${origin !== undefined ? 'Origin' : 'Referer'} ${JSON.stringify(clip(from, 120))} is not this server`;
    return null;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const peer = normalizeAddress(req.socket.remoteAddress ?? '');
    const trustedPeer = this.allowedClients.size > 0 && this.allowedClients.has(peer);
    if (this.allowedClients.size > 0 && !trustedPeer) {
      this.opts.logger.debug({ peer: clip(peer, 64) }, 'HTTP request from a client not in http.allowed_clients refused');
      return sendText(res, 403, 'forbidden: this client may not connect (http.allowed_clients)\n');
    }
    if (!hostAllowed(req.headers.host, this.allowedHosts)) {
      return sendText(
        res,
        421,
        `misdirected request: this server does not answer for host ${JSON.stringify(clip(req.headers.host ?? '', 120))}. ` +
          'Use localhost or an IP address, or add the name to http.allowed_hosts (e.g. the name of a reverse proxy).\n',
      );
    }
    const url = new URL(req.url ?? '/', 'http://bridge.invalid');
    const route = this.find(url.pathname);
    if (!route) return sendText(res, 404, `not found: ${clip(url.pathname, 120)}\n`);
    const method = (req.method ?? 'GET').toUpperCase();
    if (!route.methods.has(method)) return sendText(res, 405, 'method not allowed\n', undefined, { allow: [...route.methods].join(', ') });
    let form: URLSearchParams | undefined;
    if (!SAFE_METHODS.has(method)) {
      const why = this.crossSite(req, trustedPeer);
      if (why) return sendText(res, 403, `forbidden: ${why}\n`);
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type === 'application/x-www-form-urlencoded') {
        try {
          form = new URLSearchParams(await readBody(req, MAX_FORM_BYTES));
        } catch {
          return sendText(res, 413, `request body too large (at most ${MAX_FORM_BYTES} bytes)\n`, undefined, { connection: 'close' });
        }
      }
      const header = req.headers['x-csrf-token'];
      if (!this.tokenOk(typeof header === 'string' ? header : form?.get('csrf')))
        return sendText(res, 403, 'forbidden: missing or wrong CSRF token (reload the page and try again)\n');
    }
    await route.handler(req, res, url, form);
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      // a client that trickles its body does not hold a connection for minutes (Node's own
      // requestTimeout is off: it cannot be lifted for one route, and an upload needs that)
      const deadline = setTimeout(() => {
        if (!req.complete) req.socket.destroy();
      }, this.opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
      deadline.unref();
      deadlines.set(req, deadline);
      res.once('close', () => clearTimeout(deadline));
      this.dispatch(req, res).catch((e: unknown) => {
        this.opts.logger.error({ path: clip(req.url ?? '', 120), err: errText(e) }, 'HTTP handler failed');
        if (!res.headersSent) sendText(res, 500, 'internal error\n');
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5000;
    // a client that trickles its headers does not hold a connection for minutes; the body's
    // limit is the per-request deadline above (REQUEST_TIMEOUT_MS, lifted by allowLongRequest)
    server.headersTimeout = 10_000;
    server.requestTimeout = 0;
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
