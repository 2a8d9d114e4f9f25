/**
 * dynalite on a thread of its own, so the DynamoDB emulator shares an event loop with neither the
 * API nor the handlers, and the process can use a second core. Plain JavaScript: a worker starts
 * without a TypeScript loader, in a few tens of milliseconds. Started and stopped by emulators.ts;
 * its expression parsers are cached (dynalite-expression-cache.mjs).
 *
 * workerData: { path?: string } (undefined keeps the tables in memory).
 * Messages out: { type: 'listening', port } once it answers, { type: 'failed', message } if it cannot.
 * Messages in: 'stop' — closes the server and the database, then the thread ends; 'counts' — answers
 * { type: 'counts', counts } with the requests served per operation (GetItem, UpdateItem, …), for the
 * benches' calls per order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import { cacheDynaliteExpressions } from './dynalite-expression-cache.mjs';

const port = parentPort;
if (!port) throw new Error('dynalite-worker.mjs runs as a worker thread');

cacheDynaliteExpressions();

const server = dynalite({ path: workerData?.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });

const counts = {};
server.on('request', (req) => {
  const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
  counts[operation] = (counts[operation] ?? 0) + 1;
});

server.once('error', (err) => {
  port.postMessage({ type: 'failed', message: err.message });
  process.exit(1);
});

server.listen(0, '127.0.0.1', () => {
  port.postMessage({ type: 'listening', port: server.address().port });
});

port.on('message', (message) => {
  if (message === 'counts') port.postMessage({ type: 'counts', counts: { ...counts } });
  if (message !== 'stop') return;
  // dynalite's close() also closes its LevelDB, so everything written is on disk before the thread ends.
  server.close(() => process.exit(0));
  // Keep-alive sockets from SDK clients would hold close() open.
  server.closeAllConnections();
});
