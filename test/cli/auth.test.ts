/**
 * `fitbit-bridge auth` as a real process against the emulator's OAuth endpoints: the loopback
 * redirect (the test plays the browser), the pasted redirect address on stdin, a missing client,
 * and no token or secret in anything the command prints.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, startEmulator, type Emulator } from '../../src/emulator/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let emu: Emulator;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fb-cli-auth-'));
  emu = await startEmulator();
});
after(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, withClient = true): string {
  const p = join(dir, `${name}.yaml`);
  const lines = ['accounts:', '  - name: alice', `store:\n  path: ${JSON.stringify(join(dir, `${name}.db`))}`];
  if (withClient) {
    writeFileSync(join(dir, 'secret.txt'), `${EMULATOR_CLIENT_SECRET}\n`);
    lines.push(
      'google:',
      `  client_id: ${EMULATOR_CLIENT_ID}`,
      `  client_secret_file: ${JSON.stringify(join(dir, 'secret.txt'))}`,
      `  authorize_endpoint: ${emu.authorizeEndpoint}`,
      `  token_endpoint: ${emu.tokenEndpoint}`,
      `  token_dir: ${JSON.stringify(join(dir, `${name}-tokens`))}`,
    );
  }
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `auth`; `onUrl` gets the consent URL the command prints and may answer on stdin. */
function runAuth(config: string, extra: string[], onUrl: (url: string, stdin: NodeJS.WritableStream) => void): Promise<Child> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FITBIT_BRIDGE_')) env[k] = v;
  Object.assign(env, { XDG_CONFIG_HOME: join(dir, 'xdg-config'), XDG_DATA_HOME: join(dir, 'xdg-data'), FITBIT_BRIDGE_LOG_LEVEL: 'debug' });
  const c = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--config', config, 'auth', '--timeout', '20', ...extra], { cwd: root, env });
  let stdout = '',
    stderr = '',
    seen = false;
  c.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    const m = /^\s+(http:\/\/\S+)$/m.exec(stdout);
    if (m && !seen) {
      seen = true;
      onUrl(m[1] as string, c.stdin);
    }
  });
  c.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => c.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('fitbit-bridge auth', () => {
  test('loopback redirect: tokens stored with mode 0600; nothing secret printed', async () => {
    const config = writeConfig('loop');
    const r = await runAuth(config, [], (url) => {
      // the "browser": the emulator consents and redirects to the CLI's 127.0.0.1 listener
      void fetch(url, { redirect: 'follow' }).then((x) => x.text());
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Account alice is authorised/);
    assert.match(r.stdout, /lasts until \S+ \(7\.0 days/);
    const file = join(dir, 'loop-tokens', 'alice.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const tokens = JSON.parse(readFileSync(file, 'utf8')) as { tokens: { accessToken: string; refreshToken: string } };
    for (const secret of [tokens.tokens.accessToken, tokens.tokens.refreshToken, EMULATOR_CLIENT_SECRET]) {
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'a secret reached the output');
    }
    assert.ok(r.stderr.includes('stored new authorisation'), 'the debug log ran (so the secret check above looked at real log lines)');
  });

  test('pasted redirect address on stdin (browser on another machine); a wrong paste first', async () => {
    const config = writeConfig('paste');
    const r = await runAuth(config, ['--paste'], (url, stdin) => {
      void fetch(url, { redirect: 'manual' }).then(async (x) => {
        const location = x.headers.get('location') ?? '';
        await x.text();
        stdin.write('http://127.0.0.1:1/?state=wrong&code=x\n');
        stdin.write(`${location}\n`);
      });
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /That is not the redirect address: .*state mismatch/);
    assert.match(r.stdout, /Account alice is authorised/);
  });

  test('no client configured: exit 2 and a pointer to the setup guide', async () => {
    const config = writeConfig('noclient', false);
    const r = await runAuth(config, [], () => undefined);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no Google OAuth client is configured.*docs\/google-cloud-setup\.md/);
  });
});
