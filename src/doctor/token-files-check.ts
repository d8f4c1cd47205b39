/**
 * Doctor check `token-files`: the token folder and the token files in it are private.
 *
 * - a token file (`<token_dir>/*.json`) readable or writable by group / others: problem
 *   (it holds the refresh token) → chmod 600;
 * - the folder writable by group / others: problem (another user could replace a token file);
 *   readable / searchable by them: warn (file names leak; the files themselves are 0600) → chmod 700.
 *
 * Not checked on Windows (no POSIX modes).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckContext, CheckResult } from './types.js';
import { errDetail, fmtMode } from './types.js';

export function checkTokenFiles(ctx: CheckContext): CheckResult {
  const dir = ctx.config.google.token_dir;
  const base = { id: 'token-files', name: 'token files' } as const;
  if (ctx.deps.platform === 'win32') return { ...base, status: 'ok', detail: `${dir}: file modes are not checked on Windows` };
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { ...base, status: 'ok', detail: `no token folder yet (${dir}); fitbit-bridge auth creates it with mode 0700`, data: { dir, exists: false } };
    return {
      ...base,
      status: 'problem',
      detail: `cannot read the token folder ${dir}: ${errDetail(e)}`,
      fix: `Check the folder and its permissions (it should belong to the user running fitbit-bridge, mode 0700)`,
      data: { dir },
    };
  }
  if (!st.isDirectory()) {
    return {
      ...base,
      status: 'problem',
      detail: `google.token_dir ${dir} is not a folder`,
      fix: 'Point google.token_dir at a folder (or remove the file)',
      data: { dir },
    };
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  const fixes: string[] = [];
  const dirMode = st.mode & 0o777;
  if (dirMode & 0o022) {
    problems.push(`the folder ${dir} is writable by others (mode ${fmtMode(dirMode)})`);
    fixes.push(`chmod 700 '${dir}'`);
  } else if (dirMode & 0o055) {
    warnings.push(`the folder ${dir} is readable by others (mode ${fmtMode(dirMode)})`);
    fixes.push(`chmod 700 '${dir}'`);
  }
  const files: { file: string; mode: string }[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .sort();
  } catch (e) {
    problems.push(`cannot list ${dir}: ${errDetail(e)}`);
  }
  const loose: string[] = [];
  for (const n of names) {
    const p = join(dir, n);
    try {
      const fst = statSync(p);
      if (!fst.isFile()) continue;
      const m = fst.mode & 0o777;
      files.push({ file: p, mode: fmtMode(m) });
      if (m & 0o077) {
        problems.push(`${n} is readable or writable by others (mode ${fmtMode(m)})`);
        loose.push(p);
      }
    } catch (e) {
      problems.push(`cannot stat ${p}: ${errDetail(e)}`);
    }
  }
  if (loose.length > 0) fixes.unshift(`chmod 600 ${loose.map((p) => `'${p}'`).join(' ')}`);
  const data = { dir, dirMode: fmtMode(dirMode), files };
  if (problems.length > 0) {
    return { ...base, status: 'problem', detail: [...problems, ...warnings].join('; '), fix: `Run: ${fixes.join(' && ')}`, data };
  }
  if (warnings.length > 0) return { ...base, status: 'warn', detail: warnings.join('; '), fix: `Run: ${fixes.join(' && ')}`, data };
  return {
    ...base,
    status: 'ok',
    detail: `${dir} is mode ${fmtMode(dirMode)}; ${files.length > 0 ? `${files.length} token file${files.length === 1 ? '' : 's'}, none open to group or others` : 'no token files'}`,
    data,
  };
}
