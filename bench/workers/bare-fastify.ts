/**
 * Benchmark worker: the baseline for API throughput — a bare Fastify server with one GET route answering the
 * same JSON body DocuChat's document list returned (passed as JSON in argv[2]): no auth, no database, no plugins.
 */
import Fastify from 'fastify';
import { serveWorker } from '../lib/worker-ipc.js';

const body = JSON.parse(process.argv[2] ?? '{}') as unknown;
const app = Fastify({ logger: false });
app.get('/api/v1/documents', async () => body);
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

serveWorker({}, { url: `http://127.0.0.1:${port}` });
