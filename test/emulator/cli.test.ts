/** `fitbit-bridge emulator` as a real process: banner, config snippet, control surface, clean stop on SIGTERM. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { emulatorOptions } from '../../src/cli/commands/emulator.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulator/index.js';

const RUNNER = fileURLToPath(new URL('./run-emulator-cli.ts', import.meta.url));

test('flags → options; bad variants are usage errors', () => {
  const o = emulatorOptions({ days: 10, endDate: '2024-03-11', variant: ['sleepFilterMember=civil_start_time', 'retryAfter=none'], quota: 5, lag: 60 });
  assert.equal(o.firstDay, '2024-03-02');
  assert.equal(o.lastDay, '2024-03-11');
  assert.equal(o.quotaPerMinute, 5);
  assert.equal(o.dataLagMs, 60_000);
  assert.deepEqual(o.variant, { sleepFilterMember: 'civil_start_time', retryAfter: 'none' });
  assert.throws(() => emulatorOptions({ variant: ['nope=1'] }), /unknown variant "nope"/);
  assert.throws(() => emulatorOptions({ variant: ['dailyRollUpEnd=sometimes'] }), /must be one of exclusive, inclusive/);
});

test('runs until SIGTERM and prints URL, client id/secret and the config snippet', async () => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      RUNNER,
      '--port',
      '0',
      '--days',
      '3',
      '--end-date',
      '2024-03-11',
      '--seed',
      '7',
      '--timezone',
      'Europe/Berlin',
      '--variant',
      'heartRateDefaultPageSize=1440',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner: ${out} ${err}`)), 15_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('Stop with Ctrl-C.')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    assert.ok(url, out);
    assert.match(out, new RegExp(`client id: +${EMULATOR_CLIENT_ID.replace(/\./g, '\\.')}`));
    assert.ok(out.includes(EMULATOR_CLIENT_SECRET));
    for (const k of ['authorize_endpoint', 'token_endpoint', 'api_base_url', 'client_id', 'client_secret']) assert.match(out, new RegExp(`^  ${k}: \\S+`, 'm'));
    assert.ok(out.includes(`  api_base_url: ${url}\n`));
    assert.match(out, /Europe\/Berlin, 2024-03-09 \.\. 2024-03-11/);
    const cfg = (await (await fetch(`${url}/__emulator/config`)).json()) as { google: { token_endpoint: string }; user: { timezone: string } };
    assert.equal(cfg.google.token_endpoint, `${url}/token`);
    const tok = (await (await fetch(`${url}/__emulator/tokens`, { method: 'POST' })).json()) as { access_token: string };
    const hr = (await (
      await fetch(`${url}/v4/users/me/dataTypes/heart-rate/dataPoints`, { headers: { authorization: `Bearer ${tok.access_token}` } })
    ).json()) as { dataPoints: unknown[] };
    assert.equal(hr.dataPoints.length, 1440, 'the --variant reached the API');
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, err);
});
