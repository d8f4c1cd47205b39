/** Child process of cli.test.ts: `fitbit-bridge emulator …` without main.ts (the lead wires it there). */
import { emulatorCommand } from '../../src/cli/commands/emulator.js';

await emulatorCommand().parseAsync(process.argv.slice(2), { from: 'user' });
