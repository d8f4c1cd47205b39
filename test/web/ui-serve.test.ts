/**
 * How the web UI's files are served (src/web/ui/serve.ts): the page at `/` with its own policy,
 * the assets under `/ui/` (uPlot from node_modules) gzipped on request with an ETag and 304, a
 * `<base>` only from a well-formed X-Ingress-Path, 404 for anything else under `/ui/`.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { ExtensionContext } from '../../src/run/extension.js';
import { BridgeHttpServer } from '../../src/run/http.js';
import { silentLogger } from '../../src/util/log.js';
import { ingressBase, mountUi, UI_CSP } from '../../src/web/ui/serve.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web UI files', () => {
  let server: BridgeHttpServer;
  let base: string;
  before(async () => {
    server = new BridgeHttpServer({ bind: '127.0.0.1', port: 0, logger: silentLogger() });
    mountUi({ http: server } as unknown as ExtensionContext);
    base = await server.listen();
  });
  after(() => server.close());

  test('the page: relative asset URLs, its own policy, no inline script or style', async () => {
    const r = await get(base, '/');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.equal(r.headers['content-security-policy'], UI_CSP);
    const html = r.body.toString();
    for (const m of html.matchAll(/\s(?:src|href)="([^"]+)"/g)) assert.match(m[1]!, /^(ui\/|#\/|data:,$|auth$)/, `relative: ${m[1]}`);
    assert.doesNotMatch(html, /<base/);
    assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)|<style|\sstyle=/);
  });

  test('assets: every file the page names, uPlot from node_modules; gzip, ETag and 304', async () => {
    const html = (await get(base, '/')).body.toString();
    const names = [...html.matchAll(/\s(?:src|href)="(ui\/[^"]+)"/g)].map((m) => m[1]!);
    assert.ok(names.includes('ui/uplot.min.js') && names.includes('ui/app.js'), names.join(', '));
    for (const n of names) {
      const plain = await get(base, `/${n}`);
      assert.equal(plain.status, 200, n);
      const gz = await get(base, `/${n}`, { 'accept-encoding': 'gzip, br' });
      assert.equal(gz.headers['content-encoding'], 'gzip', n);
      assert.ok(gunzipSync(gz.body).equals(plain.body), `${n}: the gzip is the same file`);
      const again = await get(base, `/${n}`, { 'if-none-match': String(plain.headers.etag) });
      assert.equal(again.status, 304, n);
    }
    assert.match((await get(base, '/ui/uplot.min.js')).body.toString().slice(0, 80), /uPlot/);
  });

  test('anything else under /ui/ is 404 (no path outside the assets)', async () => {
    for (const p of ['/ui/nope.js', '/ui/index.html', '/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/']) {
      assert.equal((await get(base, p)).status, 404, p);
    }
  });

  test('X-Ingress-Path: a <base> of the prefix when well formed, none otherwise', async () => {
    const r = await get(base, '/', { 'x-ingress-path': '/api/hassio_ingress/Ab-9_x' });
    assert.match(r.body.toString(), /<base href="\/api\/hassio_ingress\/Ab-9_x\/" \/>/);
    for (const bad of ['"><script>', '//evil.example/x', 'api/x', '/a b', '/a/<b>'])
      assert.doesNotMatch((await get(base, '/', { 'x-ingress-path': bad })).body.toString(), /<base/, bad);
    assert.equal(ingressBase('/api/hassio_ingress/t/'), '/api/hassio_ingress/t/');
    assert.equal(ingressBase(undefined), null);
  });
});
