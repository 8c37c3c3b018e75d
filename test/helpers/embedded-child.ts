/**
 * Test fixture: a parent process that starts embedded nats-server and Chroma,
 * prints their pids as one JSON line on stdout and then waits to be killed.
 * usage: node --import tsx test/helpers/embedded-child.ts <dataDir>
 */
import { startChromaServer, startNatsServer } from '../../shared/runtime/embedded/index.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: embedded-child.ts <dataDir>');
const nats = await startNatsServer({ dataDir });
const chroma = await startChromaServer({ dataDir });
process.stdout.write(
  `${JSON.stringify({
    natsPid: nats.process.pid,
    natsWatchdogPid: nats.process.watchdogPid,
    chromaPid: chroma.process.pid,
    chromaWatchdogPid: chroma.process.watchdogPid,
  })}\n`,
);
setInterval(() => undefined, 60_000);
