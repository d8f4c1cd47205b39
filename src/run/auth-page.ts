/**
 * The `/auth` page of `fitbit-bridge run`: authorise an account from any browser, also when the
 * bridge runs on another machine (a Home Assistant box, where it is shown through ingress).
 *
 * 1. `/auth` lists the accounts and their token state, each with an "Authorise" button (a form
 *    that POSTs to `/auth/start`; `GET /auth/start?account=X` only shows that button).
 * 2. `POST /auth/start` (account) starts a sign-in and shows the Google consent link and a box for
 *    the final address. The redirect URI is the bridge's own `http://127.0.0.1:<port>/auth/callback`:
 *    Google accepts only loopback redirects for Desktop clients. A browser on the bridge's machine
 *    lands there and the flow completes by itself; a browser elsewhere shows a failed page whose
 *    address (it carries the code and the state) is pasted into the box (`POST /auth/complete`).
 * The POSTs pass the server's checks (same-origin Origin/Referer, the CSRF token in a hidden
 * field: src/run/http.ts); no GET creates or changes anything, except `/auth/callback`, the OAuth
 * redirect itself, which completes only a sign-in whose unguessable state a POST created.
 * Pending sign-ins are capped (PENDING_PER_ACCOUNT, PENDING_TOTAL; the oldest goes) and expire
 * after 15 minutes, pruned from the oldest on every use (no timer per entry).
 * Links are relative, so the pages work under an ingress prefix. No script; the one inline
 * stylesheet is allowed by its hash in the page's Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { RedirectError } from '../auth/loopback.js';
import { errText } from '../errors.js';
import { describeMissingScopes, describeRefreshLifetime, PendingAuthorization, type CompletedAuthorization, type OAuthClientConfig } from '../auth/flow.js';
import { clip } from '../util/clip.js';
import type { Logger } from '../util/log.js';
import type { AccountStatus, HttpRoutes } from './extension.js';
import { SECURITY_HEADERS, sendText } from './http.js';

const PENDING_TTL_MS = 15 * 60_000;
/** Pending sign-ins kept per account and in all; a new one beyond either drops the oldest. */
export const PENDING_PER_ACCOUNT = 16;
export const PENDING_TOTAL = 64;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE =
  'body{font-family:system-ui,sans-serif;margin:2em;max-width:52em;line-height:1.45}' +
  'td,th{padding:.3em .8em;text-align:left}input[type=text]{width:100%;padding:.4em}code{word-break:break-all}.bad{color:#b00}.ok{color:#070}';
/** The pages' policy: the server's, plus the inline stylesheet by its hash (no inline script). */
const PAGE_CSP = `${SECURITY_HEADERS['content-security-policy']}; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

function html(res: ServerResponse, status: number, title: string, body: string): void {
  const doc =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${esc(title)} – fitbit-bridge</title><style>${STYLE}</style></head>` +
    `<body><h1>${esc(title)}</h1>${body}</body></html>\n`;
  sendText(res, status, doc, 'text/html; charset=utf-8', { 'content-security-policy': PAGE_CSP });
}

export interface AuthPageOptions {
  /** null when google.client_id is not configured. */
  client: OAuthClientConfig | null;
  accounts: () => AccountStatus[];
  /** Called after an account's tokens were stored. */
  onAuthorized: (account: string) => void;
  logger: Logger;
  /** The bridge's own loopback base URL for the redirect, e.g. http://127.0.0.1:8787. */
  redirectBase: () => string | null;
}

export function registerAuthPage(http: HttpRoutes, opts: AuthPageOptions): void {
  // insertion order = age: the oldest first
  const pending = new Map<string, PendingAuthorization>();
  const csrfField = (): string => `<input type="hidden" name="csrf" value="${esc(http.csrfToken())}">`;

  /** Drops the expired sign-ins: they are the oldest, so it stops at the first one still valid. */
  function prune(): void {
    const now = Date.now();
    for (const [k, p] of pending) {
      if (now - p.createdAt <= PENDING_TTL_MS) break;
      pending.delete(k);
    }
  }

  function addPending(p: PendingAuthorization): void {
    prune();
    const mine = [...pending.values()].filter((q) => q.account === p.account);
    if (mine.length >= PENDING_PER_ACCOUNT) pending.delete(mine[0]!.state);
    if (pending.size >= PENDING_TOTAL) pending.delete(pending.keys().next().value!);
    pending.set(p.state, p);
  }

  function done(res: ServerResponse, r: CompletedAuthorization): void {
    opts.onAuthorized(r.account);
    const missing = r.missingScopes.length
      ? `<p class="bad">Not granted: ${esc(describeMissingScopes(r.missingScopes))}. Authorise again and tick every box to grant them.</p>`
      : '';
    html(
      res,
      200,
      `Account ${r.account} is authorised`,
      `<p class="ok">Tokens stored; the bridge starts syncing this account.</p>${missing}<p>${esc(describeRefreshLifetime(r.tokens))}.</p>` +
        '<p><a href="../auth">Back to the accounts</a> (or close this tab)</p>',
    );
  }

  function failed(res: ServerResponse, e: unknown): void {
    const msg = clip(errText(e));
    opts.logger.warn({ err: msg }, 'authorisation through /auth failed');
    html(res, 400, 'Authorisation failed', `<p class="bad">${esc(msg)}</p><p><a href="../auth">Start again</a></p>`);
  }

  http.route('/auth', (_req, res) => {
    if (!opts.client) {
      return html(
        res,
        200,
        'fitbit-bridge accounts',
        '<p>The live source is not set up: no Google OAuth client is configured (<code>google.client_id</code>, <code>google.client_secret</code>). ' +
          'Takeout imports work without it. See docs/google-cloud-setup.md.</p>' +
          table(opts.accounts(), false),
      );
    }
    html(
      res,
      200,
      'fitbit-bridge accounts',
      table(opts.accounts(), true, csrfField()) +
        "<p>Authorising opens Google's consent page. Sign in with the Google account that holds the Fitbit data and allow read access.</p>",
    );
  });

  function unknownAccount(res: ServerResponse, account: string): void {
    html(res, 404, 'Unknown account', `<p>No account named <code>${esc(clip(account, 80))}</code> is configured.</p>`);
  }

  http.route(
    '/auth/start',
    (req, res, url, form) => {
      if (!opts.client) return html(res, 400, 'Not set up', '<p>No Google OAuth client is configured.</p>');
      const account = (req.method === 'POST' ? form?.get('account') : url.searchParams.get('account')) ?? '';
      if (!opts.accounts().some((a) => a.name === account)) return unknownAccount(res, account);
      if (req.method !== 'POST') {
        // a link or a bookmark: show the button, start nothing
        return html(
          res,
          200,
          `Authorise ${account}`,
          `<form method="post" action="start"><input type="hidden" name="account" value="${esc(account)}">${csrfField()}` +
            '<p><button type="submit">Start the authorisation</button></p></form><p><a href="../auth">Back to the accounts</a></p>',
        );
      }
      const base = opts.redirectBase();
      if (!base) return html(res, 500, 'Not ready', '<p>The HTTP server has no address yet.</p>');
      const p = new PendingAuthorization(opts.client, account, `${base}/auth/callback`, { logger: opts.logger });
      addPending(p);
      html(
        res,
        200,
        `Authorise ${account}`,
        `<ol><li><a href="${esc(p.url)}" target="_blank" rel="noopener noreferrer">Open Google's consent page</a> and allow access.</li>` +
          "<li>If this browser runs on the bridge's machine, you are done when the next page says so. " +
          'Otherwise the last page fails to load ("This site can’t be reached"): copy its whole address from the address bar and paste it here:</li></ol>' +
          `<form method="post" action="complete"><input type="hidden" name="state" value="${esc(p.state)}">${csrfField()}` +
          '<input type="text" name="redirect_url" placeholder="http://127.0.0.1:…/auth/callback?state=…&amp;code=…" autocomplete="off" required> ' +
          '<p><button type="submit">Finish</button></p></form><p>The link is valid for 15 minutes.</p>',
      );
    },
    { methods: ['GET', 'POST'] },
  );

  http.route('/auth/callback', async (_req, res, url) => {
    prune();
    const p = pending.get(url.searchParams.get('state') ?? '');
    if (!p)
      return html(
        res,
        400,
        'Unknown or expired sign-in',
        '<p>This redirect does not belong to a running authorisation (wrong or expired state).</p><p><a href="../auth">Start again</a></p>',
      );
    pending.delete(p.state);
    try {
      done(res, await p.completeWithPastedUrl(url.toString()));
    } catch (e) {
      failed(res, e);
    }
  });

  http.route(
    '/auth/complete',
    async (_req, res, _url, body) => {
      prune();
      const form = body ?? new URLSearchParams();
      const p = pending.get(form.get('state') ?? '');
      if (!p) return html(res, 400, 'Unknown or expired sign-in', '<p>Start the authorisation again.</p><p><a href="../auth">Accounts</a></p>');
      try {
        const r = await p.completeWithPastedUrl(form.get('redirect_url') ?? '');
        pending.delete(p.state);
        done(res, r);
      } catch (e) {
        if (e instanceof RedirectError) {
          // a wrong paste: the pending authorisation stays usable
          return html(
            res,
            400,
            'That is not the redirect address',
            `<p class="bad">${esc(clip(e.message))}</p><p>Go back and paste the whole address of the last page.</p>`,
          );
        }
        pending.delete(p.state);
        failed(res, e);
      }
    },
    { methods: ['POST'] },
  );
}

function table(accounts: AccountStatus[], canAuth: boolean, csrf = ''): string {
  const label: Record<string, string> = {
    ok: 'authorised',
    'expiring-soon': 'authorised, expires within a day',
    'reauth-needed': 're-authorisation needed',
    missing: 'not authorised',
  };
  const rows = accounts
    .map((a) => {
      const cls = a.auth === 'ok' ? 'ok' : a.auth === 'missing' ? '' : 'bad';
      const last = a.lastSuccessAt ? new Date(a.lastSuccessAt).toISOString() : '—';
      const btn = canAuth
        ? `<form method="post" action="auth/start"><input type="hidden" name="account" value="${esc(a.name)}">${csrf}<button>Authorise</button></form>`
        : '';
      return `<tr><td>${esc(a.name)}</td><td class="${cls}">${esc(label[a.auth] ?? a.auth)}</td><td>${esc(last)}</td><td>${btn}</td></tr>`;
    })
    .join('');
  return `<table><tr><th>account</th><th>state</th><th>last sync</th><th></th></tr>${rows}</table>`;
}
