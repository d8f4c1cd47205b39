/**
 * The `sync` and `rebuild` commands in a real process (not a test file): the same global options
 * and error line as src/cli/main.ts (`fitbit-bridge: <message>` + exit code), until main.ts wires them.
 */
import { Command, CommanderError } from 'commander';
import { rebuildCommand } from '../../src/cli/commands/rebuild.js';
import { syncCommand } from '../../src/cli/commands/sync.js';
import { CliError } from '../../src/cli/errors.js';

const program = new Command('fitbit-bridge').option('--db <file>').option('--config <file>').option('--log-level <level>');
for (const cmd of [syncCommand(), rebuildCommand()]) {
  cmd.copyInheritedSettings(program);
  program.addCommand(cmd);
}
for (const cmd of [program, ...program.commands]) cmd.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (e instanceof CliError) {
    process.stderr.write(`fitbit-bridge: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  process.stderr.write(`fitbit-bridge: unexpected error: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
}
