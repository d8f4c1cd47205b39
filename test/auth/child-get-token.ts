// Child process for the cross-process refresh test (not a test file itself): prints "ready",
// waits for "go" on stdin, calls getAccessToken once and prints one JSON line with the result.
import { TokenManager } from '../../src/auth/oauth-client.js';

const env = (k: string): string => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`missing ${k}`);
  return v;
};

const tm = new TokenManager({
  account: env('FB_ACCOUNT'),
  dir: env('FB_DIR'),
  tokenEndpoint: env('FB_TOKEN_ENDPOINT'),
  clientId: env('FB_CLIENT_ID'),
  clientSecret: env('FB_CLIENT_SECRET'),
});
process.stdout.write('ready\n');
process.stdin.once('data', () => {
  process.stdin.pause();
  const startedAt = Date.now();
  tm.getAccessToken().then(
    (token) => process.stdout.write(`${JSON.stringify({ token, startedAt, endedAt: Date.now(), state: tm.state() })}\n`),
    (e: unknown) => process.stdout.write(`${JSON.stringify({ error: String(e), startedAt, endedAt: Date.now(), state: tm.state() })}\n`),
  );
});
