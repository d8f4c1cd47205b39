/**
 * docs/troubleshooting.md holds every message that asks the user to act: the CLI's errors
 * (CliError, usageError, inputError, storeError), the Takeout archive errors, the re-authorisation
 * errors and the Google Health API advice. For each message the longest fixed part of its text
 * (what is left between the `${…}` placeholders) must appear on the page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(root, 'docs/troubleshooting.md'), 'utf8').replace(/`/g, '');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Removes `${…}` placeholders (nested ones included) and splits what is left. */
function fixedParts(literal: string): string[] {
  let depth = 0,
    cur = '';
  const parts: string[] = [];
  for (let i = 0; i < literal.length; i++) {
    if (literal[i] === '$' && literal[i + 1] === '{') {
      if (depth === 0) {
        parts.push(cur);
        cur = '';
      }
      depth++;
      i++;
      continue;
    }
    if (depth > 0) {
      if (literal[i] === '{') depth++;
      else if (literal[i] === '}') depth--;
      continue;
    }
    cur += literal[i];
  }
  parts.push(cur);
  return parts
    .map((p) =>
      p
        .replace(/\\(.)/g, '$1')
        .replace(/`/g, '')
        .trim()
        .replace(/^[\s:;,.()"-]+|[\s:;,.("-]+$/g, ''),
    )
    .filter((p) => p.length >= 8);
}

function literalsAfter(src: string, callRe: RegExp): string[] {
  const out: string[] = [];
  let m: RegExpExecArray | null;
  while ((m = callRe.exec(src)) !== null) {
    let i = m.index + m[0].length;
    while (/\s/.test(src[i] ?? '')) i++;
    const q = src[i];
    if (q !== '`' && q !== "'") continue;
    let j = i + 1,
      depth = 0;
    for (; j < src.length; j++) {
      if (src[j] === '\\') {
        j++;
        continue;
      }
      if (q === '`' && src[j] === '$' && src[j + 1] === '{') {
        depth++;
        j++;
        continue;
      }
      if (depth > 0 && src[j] === '}') {
        depth--;
        continue;
      }
      if (depth === 0 && src[j] === q) break;
    }
    out.push(src.slice(i + 1, j));
  }
  return out;
}

function messages(): { where: string; text: string }[] {
  const out: { where: string; text: string }[] = [];
  for (const f of files(join(root, 'src'))) {
    if (f.endsWith('cli/errors.ts') || f.includes('/emulator/') || f.includes('/synthetic/')) continue;
    const src = readFileSync(f, 'utf8');
    const rel = f.slice(root.length);
    for (const t of literalsAfter(src, /\b(?:new CliError|usageError|inputError|storeError|new ArchiveError\(\s*\w+\s*,)\(?/g))
      out.push({ where: rel, text: t });
  }
  const errors = readFileSync(join(root, 'src/sources/google-health/errors.ts'), 'utf8');
  for (const kind of ['account-not-linked', 'missing-scope', 'permission-denied']) {
    const m = new RegExp(`'${kind}':\\s*'([^']+)'`).exec(errors);
    assert.ok(m, `advice for ${kind}`);
    out.push({ where: `errors.ts ADVICE ${kind}`, text: (m[1] as string).split(':')[0] as string });
  }
  const oauth = readFileSync(join(root, 'src/auth/oauth-client.ts'), 'utf8');
  for (const t of [
    "'is not authorised yet'",
    "'has an expired authorisation (Testing-mode apps need a new consent every 7 days)'",
    "'was refused by Google (authorisation expired or revoked)'",
  ]) {
    assert.ok(oauth.includes(t), `ReauthNeededError still says ${t}`);
    out.push({ where: 'ReauthNeededError', text: t.slice(1, -1) });
  }
  return out;
}

test('every message that asks the user to act is in docs/troubleshooting.md', () => {
  const all = messages();
  assert.ok(all.length >= 25, `found the messages (${all.length})`);
  const missing: string[] = [];
  // internal errors (a bug, not something the user can act on)
  const INTERNAL = ['opened twice'];
  for (const m of all) {
    if (INTERNAL.some((x) => m.text.includes(x))) continue;
    const parts = fixedParts(m.text);
    if (parts.length === 0) continue; // nothing fixed to look for (e.g. `${p} ${why}`)
    const longest = parts.reduce((a, b) => (b.length > a.length ? b : a));
    if (!doc.includes(longest)) missing.push(`${m.where}: "${longest}"`);
  }
  assert.deepEqual(missing, []);
});
