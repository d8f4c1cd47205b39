/**
 * `fitbit-bridge auth [--account NAME]`: Google OAuth consent for one account (authorization code
 * + PKCE S256, offline access). The redirect is caught by a one-shot listener on 127.0.0.1; when
 * the browser runs on another machine, the address of its (failed) last page is pasted here.
 */
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import {
  describeMissingScopes,
  describeRefreshLifetime,
  MissingClientError,
  oauthClientConfig,
  PendingAuthorization,
  type CompletedAuthorization,
} from '../../auth/flow.js';
import { captureRedirect, RedirectError } from '../../auth/loopback.js';
import { OAuthError } from '../../auth/oauth-client.js';
import { createState } from '../../auth/pkce.js';
import { accountConfig, createContext, type GlobalOptions } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { EXIT } from '../../exit-codes.js';
import { parseAccountName } from '../validate.js';

interface AuthFlags {
  account?: string;
  port?: number;
  paste?: boolean;
  timeout: number;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('Expected a port number 0-65535.');
  return n;
}

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('Expected a number of seconds > 0.');
  return n;
}

/** Lines typed (or piped) on stdin, until one completes the authorisation. */
function pastedLines(onLine: (line: string) => void): () => void {
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (l) => {
    if (l.trim() !== '') onLine(l);
  });
  return () => rl.close();
}

export function authCommand(): Command {
  return new Command('auth')
    .summary("authorise fitbit-bridge to read an account's data from the Google Health API")
    .description(
      'Google OAuth consent for one account: prints a sign-in address; open it in a browser, sign in with the Google account that holds the Fitbit data and allow read access. ' +
        'The redirect back is caught on 127.0.0.1. If the browser runs on another machine (a Home Assistant box, a server), its last page will fail to load: copy the whole address from its address bar and paste it here. ' +
        'The tokens are kept in <google.token_dir>/<account>.json (mode 0600) and refreshed by themselves; apps left in Testing mode need this again every 7 days.',
    )
    .option('--account <name>', 'account to authorise (default: the first account of the config)', parseAccountName)
    .option('--port <n>', 'port of the 127.0.0.1 redirect listener (default: any free port)', parsePort)
    .option('--paste', 'read the pasted redirect address from stdin even when stdin is not a terminal')
    .option('--timeout <seconds>', 'give up after this long', parseSeconds, 900)
    .addHelpText(
      'after',
      `
Examples:
  fitbit-bridge auth
  fitbit-bridge auth --account alice
  ssh homebox fitbit-bridge auth --account alice     # then paste the redirect address

Before the first run: create a Google Cloud project, enable the Google Health API, configure the
consent screen (add yourself as a test user) and create an OAuth client of type "Desktop app";
put its id and secret into the config (google.client_id, google.client_secret_file).
Step by step: docs/google-cloud-setup.md.`,
    )
    .action(async (flags: AuthFlags, cmd: Command) => {
      const ctx = createContext(cmd.optsWithGlobals<GlobalOptions>());
      const account = flags.account ?? ctx.config.accounts[0]?.name ?? 'default';
      if (!accountConfig(ctx.config, account)) {
        throw usageError(
          `no account named ${account} in the configuration`,
          `Add it under accounts: (known: ${ctx.config.accounts.map((a) => a.name).join(', ')})`,
        );
      }
      let client;
      try {
        client = oauthClientConfig(ctx.config);
      } catch (e) {
        if (e instanceof MissingClientError) {
          throw new CliError(
            e.message,
            'Create an OAuth client (Desktop app) in your Google Cloud project and set google.client_id and google.client_secret (or client_secret_file) in the config; see docs/google-cloud-setup.md',
            EXIT.USAGE,
          );
        }
        throw e;
      }
      const state = createState();
      const cap = await captureRedirect({ state, timeoutMs: flags.timeout * 1000, ...(flags.port !== undefined ? { port: flags.port } : {}) });
      const pending = new PendingAuthorization(client, account, cap.redirectUri, { logger: ctx.logger, state });
      const out = process.stdout;
      out.write(`Authorising account ${account}. Open this address in a browser and allow access:\n\n  ${pending.url}\n\n`);
      out.write(`Waiting for the redirect to ${cap.redirectUri} …\n`);
      const readPaste = flags.paste === true || process.stdin.isTTY;
      if (readPaste) {
        out.write("If the browser runs on another machine, its last page fails to load: paste that page's whole address here and press Enter.\n");
      }

      let stopPaste = (): void => undefined;
      const result = await new Promise<CompletedAuthorization>((resolve, reject) => {
        let settled = false;
        const finish = (p: Promise<CompletedAuthorization>): void => {
          p.then(
            (r) => {
              if (!settled) {
                settled = true;
                resolve(r);
              }
            },
            (e: unknown) => {
              if (!settled) {
                settled = true;
                reject(e);
              }
            },
          );
        };
        cap.code.then(
          (code) => finish(pending.completeWithCode(code)),
          (e: unknown) => {
            if (!settled) {
              settled = true;
              reject(e);
            }
          },
        );
        if (readPaste) {
          stopPaste = pastedLines((line) => {
            try {
              finish(pending.completeWithPastedUrl(line));
            } catch (e) {
              // a wrong paste is not fatal: say why and keep waiting
              out.write(`That is not the redirect address: ${(e as Error).message}. Paste the whole address of the last page.\n`);
            }
          });
        }
      })
        .catch((e: unknown) => {
          if (e instanceof OAuthError) {
            throw new CliError(
              `Google refused the authorisation (${e.error}${e.errorDescription ? `: ${e.errorDescription}` : ''})`,
              'Check google.client_id / client_secret and that your Google account is a test user of the app, then run fitbit-bridge auth again',
              EXIT.PARTIAL,
              e,
            );
          }
          if (e instanceof RedirectError) {
            throw new CliError(
              `no authorisation received: ${e.message}`,
              'Run fitbit-bridge auth again and finish the sign-in in the browser',
              EXIT.PARTIAL,
              e,
            );
          }
          throw e;
        })
        .finally(() => {
          stopPaste();
          cap.close();
        });

      out.write(`\nAccount ${account} is authorised. Granted: ${result.tokens.scopes.join(' ')}\n`);
      out.write(`Note: ${describeRefreshLifetime(result.tokens)}.\n`);
      if (result.missingScopes.length) {
        out.write(
          `Not granted: ${describeMissingScopes(result.missingScopes)}. Run fitbit-bridge auth --account ${account} again and tick every box to grant them.\n`,
        );
      }
    });
}
