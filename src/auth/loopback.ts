/**
 * Receiving the OAuth redirect: a one-shot HTTP listener on 127.0.0.1 (the browser flow) and a
 * parser for a redirect URL pasted by hand (headless machines: the browser runs elsewhere, its
 * failed redirect's address bar is copied back).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BridgeError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { OAuthError } from './oauth-client.js';

export interface CaptureRedirectOptions {
  /** 0 / undefined = a random free port. */
  port?: number;
  state: string;
  timeoutMs: number;
}

export interface CapturedRedirect {
  /** `http://127.0.0.1:PORT/` — pass it as redirect_uri (authorize and token request). */
  redirectUri: string;
  /** The authorization code; rejects on timeout, on `error=…` (e.g. access_denied) or on close(). */
  code: Promise<string>;
  /** Stops listening (rejects `code` if it is still pending). */
  close(): void;
}

export class RedirectError extends BridgeError {
  constructor(message: string) {
    super(message, '', EXIT.PARTIAL);
    this.name = 'RedirectError';
  }
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const body =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head>` +
    `<body style="font-family:sans-serif;margin:3em"><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>\n`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    connection: 'close',
  });
  res.end(body);
}

/** Listens on 127.0.0.1 for exactly one redirect carrying `state`. A wrong state gets a 400 page and is ignored. */
export async function captureRedirect(opts: CaptureRedirectOptions): Promise<CapturedRedirect> {
  let resolveCode!: (code: string) => void;
  let rejectCode!: (e: Error) => void;
  const code = new Promise<string>((res, rej) => {
    resolveCode = res;
    rejectCode = rej;
  });
  code.catch(() => undefined); // the caller awaits it; never an unhandled rejection meanwhile
  let done = false;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams;
    if (req.method !== 'GET' || (!q.has('code') && !q.has('error'))) {
      return page(res, 404, 'Not found', 'This address only receives the Google sign-in redirect.');
    }
    if (done) return page(res, 410, 'Already done', 'The authorisation was already received; you can close this tab.');
    if (q.get('state') !== opts.state) {
      return page(
        res,
        400,
        'Wrong state',
        'This redirect does not belong to the running fitbit-bridge auth (state mismatch). Start again from the URL it printed.',
      );
    }
    const error = q.get('error');
    if (error !== null) {
      page(res, 400, 'Authorisation refused', `Google answered: ${error}. Run fitbit-bridge auth again to retry.`);
      finish(new OAuthError(400, error, q.get('error_description') ?? 'authorisation refused in the browser'));
      return;
    }
    const c = q.get('code');
    if (!c) return page(res, 400, 'Missing code', 'The redirect carries no authorization code.');
    page(res, 200, 'fitbit-bridge is authorised', 'You can close this tab and return to the terminal.');
    finish(c);
  });

  function finish(result: string | Error): void {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (typeof result === 'string') resolveCode(result);
    else rejectCode(result);
    server.close();
    // Let the answer go out, then drop idle keep-alive sockets of the browser.
    setImmediate(() => server.closeIdleConnections());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const timer = setTimeout(() => finish(new RedirectError(`no sign-in redirect within ${Math.round(opts.timeoutMs / 1000)} s`)), opts.timeoutMs);
  timer.unref();
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}/`,
    code,
    close: () => finish(new RedirectError('redirect listener closed')),
  };
}

/**
 * The authorization code from a redirect URL pasted by hand (the whole URL, or just its query).
 * Throws RedirectError on a state mismatch or a missing code, OAuthError on `error=…`.
 */
export function parsePastedRedirect(pasted: string, expectedState: string): string {
  const text = pasted.trim();
  let q: URLSearchParams;
  if (/^https?:\/\//i.test(text)) {
    try {
      q = new URL(text).searchParams;
    } catch {
      throw new RedirectError('the pasted text is not a URL');
    }
  } else {
    q = new URLSearchParams(text.startsWith('?') ? text.slice(1) : text);
  }
  if (q.get('state') !== expectedState) {
    throw new RedirectError('the pasted redirect does not belong to this auth run (state mismatch); paste the address from the latest sign-in');
  }
  const error = q.get('error');
  if (error !== null) throw new OAuthError(400, error, q.get('error_description') ?? 'authorisation refused in the browser');
  const code = q.get('code');
  if (!code) throw new RedirectError('the pasted redirect carries no code');
  return code;
}
