import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/util/log.js';
import { captureRedirect } from '../../src/auth/loopback.js';
import { buildAuthorizeUrl, exchangeCode, READ_SCOPES, type TokenResponse } from '../../src/auth/oauth-client.js';
import { createPkcePair, createState } from '../../src/auth/pkce.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, type Emulator } from '../../src/emulator/server.js';

export const CLIENT = { clientId: EMULATOR_CLIENT_ID, clientSecret: EMULATOR_CLIENT_SECRET };

/** Follows the authorize URL like a browser would (no browser): emulator → 302 → loopback listener. */
export async function browse(authorizeUrl: string): Promise<Response> {
  const r = await fetch(authorizeUrl, { redirect: 'manual' });
  assert.equal(r.status, 302, `authorize answered ${r.status}: ${await r.text()}`);
  const location = r.headers.get('location');
  assert.ok(location, 'no Location header');
  return fetch(location);
}

export interface Authorized {
  tokens: TokenResponse;
  redirectUri: string;
  code: string;
  codeVerifier: string;
}

/** The full consent flow against the emulator: authorize URL, redirect to the loopback listener, code exchange. */
export async function authorize(emu: Emulator, scopes: readonly string[] = READ_SCOPES): Promise<Authorized> {
  const state = createState();
  const pkce = createPkcePair();
  const cap = await captureRedirect({ state, timeoutMs: 5000 });
  const url = buildAuthorizeUrl({
    authorizeEndpoint: emu.authorizeEndpoint,
    clientId: CLIENT.clientId,
    redirectUri: cap.redirectUri,
    scopes,
    state,
    codeChallenge: pkce.challenge,
  });
  const landing = await browse(url);
  assert.equal(landing.status, 200);
  assert.match(await landing.text(), /close this tab/);
  const code = await cap.code;
  const tokens = await exchangeCode({
    tokenEndpoint: emu.tokenEndpoint,
    ...CLIENT,
    code,
    codeVerifier: pkce.verifier,
    redirectUri: cap.redirectUri,
  });
  return { tokens, redirectUri: cap.redirectUri, code, codeVerifier: pkce.verifier };
}

/** A pino logger (same redaction as production) whose output lands in `text()`. */
export function bufferLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger('debug', stream), text: () => chunks.join('') };
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}
