/**
 * The shipped Grafana files: generated from dashboards/src/ and current (npm run dashboards);
 * every dashboard JSON parses, has a stable uid, the fitbit-bridge tag, the viewer's time zone
 * and an `account` variable, and names no data source but the provisioned one; the provisioning
 * YAML parses and its folder uid and data source uid are the ones the dashboards use.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { DATASOURCE, FOLDER, TAG, generatedFiles } from '../../dashboards/src/index.js';
import { allPanels, panelQueries, variableQueries } from '../support/grafana-queries.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const jsonDir = join(root, 'dashboards/json');
type Json = Record<string, unknown>;

function committed(): Array<{ file: string; d: Json }> {
  return readdirSync(jsonDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, d: JSON.parse(readFileSync(join(jsonDir, file), 'utf8')) as Json }));
}

/** Every `datasource` value anywhere in the JSON, with its path. */
function datasourceRefs(x: unknown, path = '$'): Array<{ path: string; ref: unknown }> {
  const out: Array<{ path: string; ref: unknown }> = [];
  if (Array.isArray(x)) x.forEach((v, i) => out.push(...datasourceRefs(v, `${path}[${i}]`)));
  else if (x !== null && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (k === 'datasource') out.push({ path: `${path}.${k}`, ref: v });
      out.push(...datasourceRefs(v, `${path}.${k}`));
    }
  }
  return out;
}

describe('shipped dashboards and provisioning', () => {
  test('the committed files are what scripts/gen-dashboards.ts writes (run: npm run dashboards)', () => {
    const files = generatedFiles();
    assert.ok(files.length >= 5);
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(join(root, f.path), 'utf8');
      } catch {
        assert.fail(`${f.path} is missing: run npm run dashboards`);
      }
      assert.equal(text, f.text, `${f.path} is not current: run npm run dashboards`);
    }
    const jsonFiles = readdirSync(jsonDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => `dashboards/json/${f}`)
      .sort();
    assert.deepEqual(
      jsonFiles,
      files
        .filter((f) => f.path.startsWith('dashboards/json/'))
        .map((f) => f.path)
        .sort(),
      'no stray dashboard files',
    );
  });

  test('every dashboard parses, has a stable uid, the tag, the browser time zone and an account variable', () => {
    const all = committed();
    assert.deepEqual(all.map((x) => x.d.uid).sort(), ['fitbit-bridge-health', 'fitbit-day', 'fitbit-trends']);
    for (const { file, d } of all) {
      assert.equal(file, `${String(d.uid)}.json`);
      assert.match(String(d.uid), /^[a-z0-9-]{1,40}$/);
      assert.ok(Array.isArray(d.tags) && d.tags.includes(TAG), `${file}: tag ${TAG}`);
      assert.equal(d.timezone, 'browser', `${file}: the viewer's time zone`);
      assert.equal(typeof d.schemaVersion, 'number');
      const vars = variableQueries(d);
      assert.ok(
        vars.some((v) => v.name === 'account' && /^label_values\(fitbit_[a-z0-9_]+, account\)$/.test(v.query)),
        `${file}: account variable from a fitbit_ metric`,
      );
      const ids = allPanels(d).map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, `${file}: panel ids unique`);
      for (const p of allPanels(d)) {
        const g = p.gridPos as { x: number; y: number; w: number; h: number } | undefined;
        assert.ok(g && g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0, `${file}: "${String(p.title)}" fits the 24-column grid`);
      }
      const qs = panelQueries(d);
      assert.ok(qs.length >= 5, `${file}: has queries`);
      for (const q of qs) assert.match(q.expr, /\bfitbit_/, `${file}: "${q.panel}" ${q.refId} names a fitbit_ metric`);
    }
  });

  test('every data source reference is the provisioned one (by uid)', () => {
    for (const { file, d } of committed()) {
      const refs = datasourceRefs(d);
      assert.ok(refs.length > 0);
      for (const { path, ref } of refs) {
        assert.ok(ref !== null && typeof ref === 'object', `${file} ${path}: a {type, uid} reference, not ${JSON.stringify(ref)}`);
        assert.deepEqual(ref, { type: DATASOURCE.type, uid: DATASOURCE.uid }, `${file} ${path}`);
      }
      for (const p of allPanels(d)) {
        if (p.type === 'row') continue;
        assert.ok(p.datasource, `${file}: "${String(p.title)}" names its data source`);
        for (const t of p.targets as Json[]) assert.ok(t.datasource, `${file}: "${String(p.title)}" ${String(t.refId)} names its data source`);
      }
    }
  });

  test('the provisioning YAML parses; folder uid and data source uid match the dashboards', () => {
    const ds = parse(readFileSync(join(root, 'dashboards/provisioning/datasources/fitbit-bridge.yml'), 'utf8')) as { apiVersion: number; datasources: Json[] };
    assert.equal(ds.apiVersion, 1);
    assert.equal(ds.datasources.length, 1);
    const source = ds.datasources[0] as Json;
    assert.equal(source.uid, DATASOURCE.uid);
    assert.equal(source.type, 'prometheus');
    assert.match(String(source.url), /^https?:\/\//);
    const used = new Set(committed().flatMap(({ d }) => datasourceRefs(d).map((r) => (r.ref as Json).uid)));
    assert.deepEqual([...used], [source.uid], 'the dashboards use exactly the provisioned data source');

    const prov = parse(readFileSync(join(root, 'dashboards/provisioning/dashboards/fitbit-bridge.yml'), 'utf8')) as { apiVersion: number; providers: Json[] };
    assert.equal(prov.apiVersion, 1);
    const p = prov.providers[0] as Json;
    assert.equal(p.type, 'file');
    assert.equal(p.folderUid, FOLDER.uid);
    assert.equal(p.folder, FOLDER.title);
    assert.match(String((p.options as Json).path), /^\//);
  });
});
