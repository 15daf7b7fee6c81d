/**
 * Benchmark worker: one DocuChat server (the real `startDocuChat`), configured only by the environment the parent
 * passes as JSON in argv[2]. Besides serving HTTP it can seed tenants directly in SQL (creating 1,000 accounts
 * through the API would spend minutes in argon2) and mint their access tokens with the server's own signer.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { LocalHashingEmbedder } from '../../app/server/embeddings/local-hashing-embedder.js';
import { startDocuChat } from '../../app/server/start.js';
import { serveWorker } from '../lib/worker-ipc.js';

/** Linux's USER_HZ: /proc reports thread CPU time in these ticks. */
const CLOCK_TICKS = 100;

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;

/**
 * The server's log, passed on to stdout, with one line watched: the ingestion worker's "document ready". The
 * parent learns the moment a document is ready from it instead of polling the API, whose requests would compete
 * with the ingestion for the one embedded database.
 */
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    const text = chunk.toString('utf8');
    if (text.includes('"msg":"document ready"')) {
      for (const line of text.split('\n')) {
        const document = /"document":"([0-9a-f-]{36})".*"msg":"document ready"/.exec(line)?.[1];
        if (document) process.send?.({ type: 'event', name: 'document-ready', document });
      }
    }
    process.stdout.write(chunk, () => done());
  },
});
const running = await startDocuChat(env, { logStream });
let loopDelay: IntervalHistogram | undefined;

export interface SeedTenantsRequest {
  count: number;
  /** Documents per tenant (rows only, status ready). @default 0 */
  documents?: number;
  /** One chunk per document with this text (so retrieval finds it); omitted: no chunks. */
  chunkText?: string;
  /** Slug prefix, so several seedings do not collide. */
  prefix: string;
}

export interface ServerCpu {
  process: number;
  main: number | null;
}

export interface SeededTenant {
  tenantId: string;
  userId: string;
  slug: string;
  token: string;
}

serveWorker(
  {
    async seedTenants(request: SeedTenantsRequest): Promise<SeededTenant[]> {
      const { pool } = running.db;
      const embedder = new LocalHashingEmbedder(running.config.EMBEDDING_DIMENSIONS);
      const vector = request.chunkText ? `[${embedder.embedOne(request.chunkText).join(',')}]` : undefined;
      const out: SeededTenant[] = [];
      // Batches of tenants per statement: seeding is set-up, not what is measured.
      const batch = 200;
      for (let start = 0; start < request.count; start += batch) {
        const ids = Array.from({ length: Math.min(batch, request.count - start) }, (_, i) => ({
          tenantId: randomUUID(),
          userId: randomUUID(),
          slug: `${request.prefix}-${start + i}`,
        }));
        await pool.query(
          `INSERT INTO tenants (id, slug, name) SELECT * FROM unnest($1::uuid[], $2::text[], $2::text[])`,
          [ids.map((t) => t.tenantId), ids.map((t) => t.slug)],
        );
        await pool.query(
          `INSERT INTO users (id, tenant_id, email, password_hash, full_name, role)
           SELECT u, t, s || '@bench.example', 'not-a-login', 'Bench User', 'owner'
             FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS x(u, t, s)`,
          [ids.map((t) => t.userId), ids.map((t) => t.tenantId), ids.map((t) => t.slug)],
        );
        for (let d = 0; d < (request.documents ?? 0); d++) {
          const { rows } = await pool.query<{ id: string; tenant_id: string }>(
            `INSERT INTO documents (tenant_id, uploaded_by, name, kind, mime_type, size_bytes, sha256, status,
                                    pages_total, pages_done, chunks_total, chunks_done, tokens, embedding_model)
             SELECT t, u, 'handbook-' || $3 || '.md', 'markdown', 'text/markdown', 12345, md5(t::text || $3),
                    'ready', 1, 1, $4, $4, 42, 'local-hashing-v1'
               FROM unnest($1::uuid[], $2::uuid[]) AS x(t, u)
             RETURNING id, tenant_id`,
            [ids.map((t) => t.tenantId), ids.map((t) => t.userId), String(d), vector ? 1 : 0],
          );
          if (vector) {
            await pool.query(
              `INSERT INTO chunks (tenant_id, document_id, ordinal, content, tokens, embedding)
               SELECT t, d, 0, $3, 42, $4::vector FROM unnest($1::uuid[], $2::uuid[]) AS x(t, d)`,
              [rows.map((r) => r.tenant_id), rows.map((r) => r.id), request.chunkText, vector],
            );
          }
        }
        for (const t of ids)
          out.push({ ...t, token: running.app.signAccessToken({ id: t.userId, tenant_id: t.tenantId }) });
      }
      return out;
    },
    /**
     * CPU time in ms of the whole server process and of its main (API) thread; the rest is the embedded
     * database's thread and V8's helper threads (garbage collection). Linux only: the main thread's from /proc.
     */
    /** Starts sampling the API thread's event-loop delay (perf_hooks, 10 ms resolution). */
    startLoopDelay(): void {
      loopDelay?.disable();
      loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
    },
    /** Stops sampling; the p50, p99 and maximum delay in ms since startLoopDelay. */
    stopLoopDelay(): { p50: number; p99: number; max: number } {
      const h = loopDelay!;
      h.disable();
      return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
    },
    cpuMs(): ServerCpu {
      const { user, system } = process.cpuUsage();
      let main: number | null = null;
      try {
        const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        main = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
      } catch {}
      return { process: (user + system) / 1000, main };
    },
  },
  { url: running.url },
);
