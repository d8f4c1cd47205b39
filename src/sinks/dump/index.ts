export { runDump, formatDumpSummary, accountFolder, MANIFEST_FILE, STATE_FILE } from './dump.js';
export type { DumpOptions, DumpSummary } from './dump.js';
