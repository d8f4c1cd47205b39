/** `fitbit-bridge rebuild`: re-derive samples and sessions from the raw API pages the sync kept. */
import { Command } from 'commander';
import { createContext, resolveAccount, type GlobalOptions } from '../context.js';
import { usageError } from '../errors.js';
import { EXIT } from '../../exit-codes.js';
import { parseAccountName, parseList } from '../validate.js';

interface RebuildFlags {
  account?: string;
  into?: string;
  type?: string[];
}

export function rebuildCommand(): Command {
  return new Command('rebuild')
    .summary('re-derive the synced data from the kept raw API pages (no download)')
    .description(
      'Replays the raw Google Health API pages that sync kept in the store (sync.keep_raw_pages) through the current mapping, in the order they were fetched, ' +
        'and merges the result into the store (or into another store with --into). Nothing is downloaded. Use it after an upgrade that changed how API data is mapped.',
    )
    .option('--account <name>', 'account to rebuild (default: the first account of the config)', parseAccountName)
    .option('--into <file>', 'write the rebuilt samples and sessions into this (new or existing) store instead')
    .option('--type <type...>', 'only these API data types (repeatable, comma-separated)', parseList)
    .addHelpText(
      'after',
      `
Examples:
  fitbit-bridge rebuild
  fitbit-bridge rebuild --account alice --into /tmp/rebuilt.db`,
    )
    .action(async (flags: RebuildFlags, cmd: Command) => {
      const ctx = createContext(cmd.optsWithGlobals<GlobalOptions>());
      const store = await ctx.openStore();
      let target = store;
      try {
        const account = resolveAccount(ctx.config, store, flags.account);
        const stats = store.rawPageStats(account);
        if (stats.pages === 0) {
          throw usageError(
            `the store keeps no raw API pages of account ${account}`,
            'Run fitbit-bridge sync with sync.keep_raw_pages: true (the default) first',
          );
        }
        if (flags.into) {
          const sm = await import('../../store/store.js');
          target = sm.openStore(flags.into);
          target.setSleepVersion(ctx.config.takeout.sleep_version);
          const info = store.getAccount(account);
          if (info && !target.getAccount(account)) target.setAccount(info);
        }
        const mod = await import('../../sources/google-health/rebuild.js');
        const r = await mod.rebuildAccount({ store, account, target, logger: ctx.logger, ...(flags.type ? { types: flags.type } : {}) });
        const lines = [
          `rebuilt ${account} from ${r.pages} raw pages (${(stats.storedBytes / 1e6).toFixed(1)} MB kept, ${(stats.rawBytes / 1e6).toFixed(1)} MB as received): ${r.added} samples added, ${r.changed} changed, ${r.sessions} sessions written${flags.into ? ` into ${flags.into}` : ''}`,
          ...Object.entries(r.types).map(
            ([id, t]) =>
              `  ${id.padEnd(36)} ${String(t.pages).padStart(6)} pages  ${String(t.added).padStart(9)} added  ${String(t.changed).padStart(7)} changed  ${String(t.sessions).padStart(5)} sessions`,
          ),
        ];
        if (r.failed) lines.push(`${r.failed} raw pages could not be read and were skipped:`, ...r.warnings.slice(0, 10).map((w) => `  ${w}`));
        process.stdout.write(`${lines.join('\n')}\n`);
        process.exitCode = r.failed ? EXIT.PARTIAL : EXIT.OK;
      } finally {
        if (target !== store) target.close();
        store.close();
      }
    });
}
