#!/usr/bin/env node
/**
 * The `fitbit-bridge` command line. Commands live in ./commands/, one module each; this file
 * wires them up, handles the global options and turns every error into one line on stderr,
 * `fitbit-bridge: <what happened>. <what to do>`, and an exit code (../exit-codes.ts; the mapping is
 * describeError in ./errors.ts).
 */
import { Command, CommanderError, Option } from 'commander';
import { LOG_LEVELS } from '../config/schema.js';
import { addonCommand } from './commands/addon.js';
import { authCommand } from './commands/auth.js';
import { doctorCommand } from './commands/doctor.js';
import { dumpCommand } from './commands/dump.js';
import { emulatorCommand } from './commands/emulator.js';
import { exportOpenMetricsCommand } from './commands/export-openmetrics.js';
import { healthcheckCommand } from './commands/healthcheck.js';
import { importTakeoutCommand } from './commands/import-takeout.js';
import { rebuildCommand } from './commands/rebuild.js';
import { runCommand } from './commands/run.js';
import { statsCommand } from './commands/stats.js';
import { syncCommand } from './commands/sync.js';
import { finishSentence } from '../errors.js';
import { describeError } from './errors.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { packageVersion } from './version.js';

const PROGRAM_HELP = `
Examples:
  fitbit-bridge import-takeout ~/Downloads/takeout-*.zip
  fitbit-bridge stats
  fitbit-bridge auth --account alice
  fitbit-bridge run
  fitbit-bridge dump ~/fitbit-dump --from 2024-01-01 --format jsonl
  fitbit-bridge --db ./fitbit.db --log-level debug stats --json

Configuration (precedence: flag > environment > config file > default):
  config file   --config, else $FITBIT_BRIDGE_CONFIG, else <user config dir>/config.yaml if present
                (Linux: ~/.config/fitbit-bridge/config.yaml); every key is in config.example.yaml
  environment   FITBIT_BRIDGE_<KEY>__<SUBKEY>, e.g. FITBIT_BRIDGE_LOG__LEVEL=debug,
                FITBIT_BRIDGE_ACCOUNTS__0__NAME=alice; FITBIT_BRIDGE_DB=<file> sets the store
  secrets       any key X can be given as X_file: <path>; the file's content becomes X
  store         default <user data dir>/fitbit-bridge.db (Linux: ~/.local/share/fitbit-bridge/)

${EXIT_CODES_HELP}`;

/** Commander's own messages ("error: unknown option '--x'") in our format. */
function commanderMessage(str: string, cmdPath: string): string {
  const what = str
    .replace(/^error:\s*/i, '')
    .trim()
    .replace(/\s+/g, ' ');
  return `fitbit-bridge: ${finishSentence(what)} Run '${cmdPath} --help' for usage.\n`;
}

export function buildProgram(): Command {
  const program = new Command('fitbit-bridge')
    .description('Keep your Fitbit data: import Google Takeout exports into a local store, dump it as files, show what is stored.')
    .version(packageVersion(), '-V, --version')
    .option('--db <file>', 'SQLite store (default: store.path of the config, $FITBIT_BRIDGE_DB, <user data dir>/fitbit-bridge.db)')
    .option('--config <file>', 'config file (default: $FITBIT_BRIDGE_CONFIG, <user config dir>/config.yaml)')
    .addOption(new Option('--log-level <level>', 'log level of the JSON log lines on stderr (default: log.level of the config, info)').choices([...LOG_LEVELS]))
    .showSuggestionAfterError(true)
    .addHelpText('after', PROGRAM_HELP);
  for (const cmd of [
    importTakeoutCommand(),
    dumpCommand(),
    statsCommand(),
    authCommand(),
    syncCommand(),
    rebuildCommand(),
    runCommand(),
    doctorCommand(),
    exportOpenMetricsCommand(),
    emulatorCommand(),
    addonCommand(),
    healthcheckCommand(),
  ]) {
    cmd.copyInheritedSettings(program);
    program.addCommand(cmd);
  }
  for (const cmd of [program, ...program.commands]) {
    const path = cmd === program ? 'fitbit-bridge' : `fitbit-bridge ${cmd.name()}`;
    cmd.exitOverride();
    cmd.configureOutput({ outputError: (str, write) => write(commanderMessage(str, path)) });
  }
  return program;
}

function wantsStack(argv: string[]): boolean {
  const levels = new Set(['debug', 'trace']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--log-level' && levels.has(argv[i + 1] ?? '')) return true;
    if (a.startsWith('--log-level=') && levels.has(a.slice('--log-level='.length))) return true;
  }
  return levels.has(process.env.FITBIT_BRIDGE_LOG_LEVEL ?? '') || levels.has(process.env.FITBIT_BRIDGE_LOG__LEVEL ?? '');
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; everything else commander rejects is a usage error (message already printed)
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const { message, exitCode } = describeError(e);
    process.stderr.write(`fitbit-bridge: ${message}\n`);
    if (wantsStack(argv) && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return exitCode;
  }
}

process.exitCode = await main();
