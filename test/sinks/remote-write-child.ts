/**
 * Child process of remote-write-sigkill.test.ts: delivers a store to a remote write URL with the
 * real sink and prints one line per committed pass (`pass <cursor> <samples sent>`), then
 * `done <json>`. Usage: node --import tsx remote-write-child.ts <db> <url> <batch> <blocksPerPass>
 */
import { openStore } from '../../src/store/store.js';
import { createRemoteWrite } from '../../src/sinks/remote-write/index.js';
import { silentLogger } from '../../src/util/log.js';
import { rwConfig } from './remote-write-helpers.js';

const [db, url, batch, perPass] = process.argv.slice(2);
const store = openStore(db!);
const { sink, client } = createRemoteWrite({
  store,
  config: rwConfig(url!, { batch_samples: Number(batch) }),
  logger: silentLogger(),
  blocksPerPass: Number(perPass),
});
const r = await sink.drain(undefined, (p) => {
  if (!p.caughtUp) process.stdout.write(`pass ${sink.cursor.position()} ${client.stats.samplesSent}\n`);
});
process.stdout.write(`done ${JSON.stringify(r)}\n`);
store.close();
