/**
 * Doctor check `disk`: free space of the file system holding the store (its folder, or the
 * nearest existing parent when the folder does not exist yet). Free = blocks available to
 * unprivileged users (statfs bavail × bsize), as a share of the file system's size.
 *
 * problem: below 200 MiB or 5 % free (imports and syncs fail with "disk full" soon; the store
 * stays intact but nothing new is written); warn: below 1 GiB or 10 %.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CheckContext, CheckResult, DiskThresholds } from './types.js';
import { DEFAULT_DISK_THRESHOLDS, errDetail, fmtBytes } from './types.js';

function existingFolder(p: string): string {
  let cur = resolve(p);
  for (;;) {
    if (existsSync(cur)) return cur;
    const up = dirname(cur);
    if (up === cur) return cur;
    cur = up;
  }
}

export async function checkDisk(ctx: CheckContext, thresholds: DiskThresholds = DEFAULT_DISK_THRESHOLDS): Promise<CheckResult> {
  const folder = existingFolder(dirname(ctx.config.store.path));
  const base = { id: 'disk', name: 'disk space' } as const;
  let st;
  try {
    st = await ctx.deps.statfs(folder);
  } catch (e) {
    return {
      ...base,
      status: 'warn',
      detail: `cannot read the free space of ${folder}: ${errDetail(e)}`,
      fix: "Check the free space of the store's disk by hand (df -h)",
      data: { folder },
    };
  }
  const free = Number(st.bavail) * Number(st.bsize);
  const total = Number(st.blocks) * Number(st.bsize);
  const fraction = total > 0 ? free / total : 0;
  const pct = `${(fraction * 100).toFixed(1)} %`;
  const data = { folder, freeBytes: free, totalBytes: total, freePercent: Math.round(fraction * 1000) / 10 };
  const detail = `${fmtBytes(free)} free of ${fmtBytes(total)} (${pct}) at ${folder}`;
  const fix = `Free some space on the disk holding ${folder}, or move the store (store.path / --db) to a larger disk`;
  if (free < thresholds.problemBytes || fraction < thresholds.problemFraction) {
    return {
      ...base,
      status: 'problem',
      detail: `${detail}: below ${fmtBytes(thresholds.problemBytes)} or ${thresholds.problemFraction * 100} %, writes will soon fail`,
      fix,
      data,
    };
  }
  if (free < thresholds.warnBytes || fraction < thresholds.warnFraction) {
    return { ...base, status: 'warn', detail: `${detail}: getting low`, fix, data };
  }
  return { ...base, status: 'ok', detail, data };
}
