/**
 * The table of parts of `fitbit-bridge run` (src/run/parts.ts):
 * - every entry's factory is bound by a plain static import of parts.ts (read with the TypeScript
 *   compiler API: no `import()`, no string or URL loading), whose module exists, and the
 *   controller imports the table statically;
 * - each entry builds a part of its name and kind; its configuration section exists;
 * - the rules: which parts a configuration and the flags enable, in which order;
 * - the controller starts sinks, then (HTTP listening) sources, and stops them in reverse; the
 *   account statuses exist without the Google Health source (Takeout-only: auth 'missing').
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { Controller } from '../../src/run/controller.js';
import type { Extension, ExtensionContext, PartKind } from '../../src/run/extension.js';
import { enabledParts, PARTS } from '../../src/run/parts.js';
import { silentLogger } from '../../src/util/log.js';
import { Tmp } from '../support/tmp.js';

const tmp = new Tmp('fb-parts-');
after(() => tmp.cleanup());
const runDir = fileURLToPath(new URL('../../src/run/', import.meta.url));

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/** The source file a relative `.js` specifier of `from` names. */
function resolveSpecifier(from: string, spec: string): string {
  return resolve(dirname(from), spec.replace(/\.js$/, '.ts'));
}

/** Identifier → resolved module file, for every value import (not `import type`) of a file. */
function staticValueImports(sf: ts.SourceFile): Map<string, string> {
  const out = new Map<string, string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !st.importClause || st.importClause.phaseModifier === ts.SyntaxKind.TypeKeyword) continue;
    const spec = (st.moduleSpecifier as ts.StringLiteral).text;
    const file = spec.startsWith('.') ? resolveSpecifier(sf.fileName, spec) : spec;
    const named = st.importClause.namedBindings;
    if (st.importClause.name) out.set(st.importClause.name.text, file);
    if (named && ts.isNamedImports(named)) {
      for (const el of named.elements) if (!el.isTypeOnly) out.set(el.name.text, file);
    }
  }
  return out;
}

/** Every dynamic import() and every call of a function named importPart in a file. */
function dynamicLoads(sf: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (
      ts.isCallExpression(n) &&
      (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'importPart'))
    ) {
      found.push(n.getText(sf));
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** The entries of `export const PARTS = [...]`: name → the identifiers called in create(). */
function tableEntries(sf: ts.SourceFile): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === 'PARTS' && n.initializer && ts.isArrayLiteralExpression(n.initializer)) {
      for (const el of n.initializer.elements) {
        assert.ok(ts.isObjectLiteralExpression(el), `a PARTS entry is an object literal: ${el.getText(sf)}`);
        let name = '';
        const called: string[] = [];
        for (const p of el.properties) {
          if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name)) continue;
          if (p.name.text === 'name' && ts.isStringLiteral(p.initializer)) name = p.initializer.text;
          if (p.name.text === 'create') {
            const collect = (m: ts.Node): void => {
              if (ts.isCallExpression(m) && ts.isIdentifier(m.expression)) called.push(m.expression.text);
              ts.forEachChild(m, collect);
            };
            collect(p.initializer);
          }
        }
        out.set(name, called);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe('the table of parts', () => {
  const partsFile = join(runDir, 'parts.ts');
  const sf = parse(partsFile);

  test('every entry is built by a factory bound by a static import of parts.ts, from a module that exists', () => {
    const imports = staticValueImports(sf);
    const entries = tableEntries(sf);
    assert.deepEqual(
      [...entries.keys()],
      PARTS.map((p) => p.name),
      'the entries read from the source are the table',
    );
    for (const [name, called] of entries) {
      assert.equal(called.length, 1, `${name}: create() calls one factory (${called.join(', ')})`);
      const file = imports.get(called[0] as string);
      assert.ok(file, `${name}: its factory ${called[0]} is bound by a static value import of parts.ts`);
      assert.ok(file.startsWith(fileURLToPath(new URL('../../src/', import.meta.url))) && existsSync(file), `${name}: ${file} is a module of src/`);
    }
    assert.deepEqual(dynamicLoads(sf), [], 'parts.ts loads nothing dynamically');
  });

  test('the controller imports the table statically and loads nothing dynamically', () => {
    const csf = parse(join(runDir, 'controller.ts'));
    assert.ok([...staticValueImports(csf).values()].includes(partsFile), 'controller.ts has a value import of parts.ts');
    assert.deepEqual(dynamicLoads(csf), []);
  });

  test('each entry builds a part of its name and kind and reads an existing configuration section', () => {
    const config = configWith('');
    for (const spec of PARTS) {
      const part = spec.create({});
      assert.equal(part.name, spec.name);
      assert.equal(part.kind, spec.kind);
      assert.ok(spec.section in config, `${spec.name}: section ${spec.section} is a key of the configuration`);
    }
    const kinds = PARTS.map((p) => p.kind);
    assert.deepEqual(
      kinds,
      [...kinds].sort((a, b) => (a === b ? 0 : a === 'sink' ? -1 : 1)),
      'sinks before sources (sources stop first)',
    );
  });

  test('what a configuration and the flags enable, in start order', () => {
    const names = (c: LoadedConfig, sync = true): string[] => enabledParts(c, { sync }).map((p) => p.name);
    assert.deepEqual(names(configWith('')), ['prometheus', 'web'], 'Takeout-only, no sink configured: /metrics and the web UI only');
    assert.deepEqual(names(configWith('http:\n  enabled: false')), ['prometheus'], 'HTTP off: no web UI');
    const all = configWith(
      [
        'google:\n  client_id: id.apps.googleusercontent.com\n  client_secret: s',
        'takeout:\n  drop_folder: /nonexistent/drop',
        'mqtt:\n  server: mqtt://127.0.0.1:1',
        'remote_write:\n  url: http://127.0.0.1:1/api/v1/write',
      ].join('\n'),
    );
    assert.deepEqual(names(all), ['prometheus', 'web', 'mqtt', 'remote-write', 'takeout-drop-folder', 'google-health']);
    assert.deepEqual(names(all, false), ['prometheus', 'web', 'mqtt', 'remote-write', 'takeout-drop-folder'], '--no-sync: no Google Health source');
    const mqttOff = configWith('mqtt:\n  server: mqtt://127.0.0.1:1\n  enabled: false');
    assert.deepEqual(names(mqttOff), ['prometheus', 'web'], 'mqtt.enabled: false');
  });
});

function configWith(yaml: string, extraEnv: Record<string, string> = {}): LoadedConfig {
  const file = join(tmp.mkdir('cfg'), 'config.yaml');
  writeFileSync(file, `store:\n  path: ${tmp.dbPath()}\naccounts:\n  - name: alice\n  - name: bob\n${yaml}\n`);
  return loadConfig({ env: { FITBIT_BRIDGE_HTTP__PORT: '0', ...extraEnv }, file });
}

/** A part that only records what happens to it. */
function recorder(name: string, kind: PartKind, log: string[], seen?: { ctx: ExtensionContext | null }): Extension {
  return {
    name,
    kind,
    async start(ctx) {
      log.push(`start ${name}${ctx.http.url() ? ' (listening)' : ''}`);
      if (seen) seen.ctx = ctx;
    },
    async stop() {
      log.push(`stop ${name}`);
    },
  };
}

describe('the controller hosts the parts', () => {
  test('sinks start, HTTP listens, sources start; stop is the reverse; sinks() lists the sinks', async () => {
    const config = configWith('');
    const store = tmp.store(config.store.path);
    const log: string[] = [];
    const seen: { ctx: ExtensionContext | null } = { ctx: null };
    const parts = [recorder('src-a', 'source', log), recorder('sink-a', 'sink', log, seen), recorder('sink-b', 'sink', log)];
    const controller = new Controller({ config, store, logger: silentLogger(), version: 'test', parts });
    await controller.start();
    assert.deepEqual(log, ['start sink-a', 'start sink-b', 'start src-a (listening)']);
    assert.deepEqual(
      seen.ctx?.sinks().map((s) => s.name),
      ['sink-a', 'sink-b'],
    );
    log.length = 0;
    await controller.stop();
    assert.deepEqual(log, ['stop src-a', 'stop sink-b', 'stop sink-a']);
  });

  test('Takeout-only (no Google client): the configured accounts have a status (auth missing), /healthz lists them', async () => {
    const config = configWith('');
    const store = tmp.store(config.store.path);
    const controller = new Controller({ config, store, logger: silentLogger(), version: 'test' });
    assert.deepEqual(
      controller.parts.map((p) => p.name),
      ['prometheus', 'web'],
    );
    await controller.start();
    try {
      assert.deepEqual(
        controller.accountStatuses().map((a) => [a.name, a.auth, a.live]),
        [
          ['alice', 'missing', false],
          ['bob', 'missing', false],
        ],
      );
      const health = (await (await fetch(`${controller.http?.url() ?? ''}/healthz`)).json()) as { accounts: { name: string; auth: string }[] };
      assert.deepEqual(
        health.accounts.map((a) => `${a.name}:${a.auth}`),
        ['alice:missing', 'bob:missing'],
      );
      controller.enqueueAll('recent');
      await controller.idle();
    } finally {
      await controller.stop();
    }
  });
});
