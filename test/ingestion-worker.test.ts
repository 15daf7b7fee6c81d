import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../app/db/index.js';
import { encodeVectorArray } from '../app/db/vector.js';
import { IngestionPool } from '../app/server/documents/ingestion-pool.js';
import { IngestionWorker } from '../app/server/documents/ingestion-worker.js';
import { createDocumentWithJob, insertChunks } from '../app/server/documents/repository.js';
import { LocalHashingEmbedder } from '../app/server/embeddings/local-hashing-embedder.js';
import type { Embedder } from '../app/server/embeddings/types.js';
import type { ParsedDocument } from '../app/server/ingest/index.js';

const DIMENSIONS = 16;
let dataDir: string;
let db: Database;
let tenantId: string;
let vectorOid: number;
// One set of threads for the file: each starts in about a second (tsx, the parsers, the tokenizer's tables).
const threads = new IngestionPool({ threads: 2 });

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-ingestion-'));
  db = await openDatabase({
    DATABASE_URL: undefined,
    DATABASE_POOL_SIZE: 4,
    dataDir,
    EMBEDDING_DIMENSIONS: DIMENSIONS,
  });
  tenantId = (
    await db.pool.query(`INSERT INTO tenants (slug, name) VALUES ('ingest', 'Ingest') RETURNING id`)
  ).rows[0].id;
  vectorOid = Number((await db.pool.query(`SELECT 'vector'::regtype::oid AS oid`)).rows[0].oid);
}, 60_000);

afterAll(async () => {
  await threads.close();
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await db.pool.query('DELETE FROM documents');
});

const pages = (n: number): ParsedDocument['pages'] =>
  Array.from({ length: n }, (_, i) => ({
    number: i + 1,
    blocks: [
      { text: `Chapter ${i + 1}`, headingPath: [`Chapter ${i + 1}`] },
      {
        text: `Page ${i + 1} explains topic ${i} in some words. `.repeat(40),
        headingPath: [`Chapter ${i + 1}`],
      },
    ],
  }));

/** The upload route's insert: the document with its job, or undefined for a twin of a stored one (same sha). */
function createDocument(
  pageCount: number,
  sha: string,
  parsedJson = JSON.stringify({ pages: pages(pageCount) }),
) {
  return createDocumentWithJob(
    db.pool,
    {
      tenantId,
      userId: null as unknown as string,
      name: 'doc.md',
      kind: 'markdown',
      mimeType: 'text/markdown',
      sizeBytes: 1,
      sha256: sha,
      pagesTotal: pageCount,
    },
    parsedJson,
  );
}

async function newDocument(pageCount: number, sha = `sha-${Math.random()}`) {
  return (await createDocument(pageCount, sha))!;
}

function worker(
  embedder: Embedder,
  options: { leaseMs?: number; maxAttempts?: number; threads?: IngestionPool } = {},
) {
  const stored: number[] = [];
  const finished: Array<{ status: string; reason?: string; attempts: number }> = [];
  const w = new IngestionWorker({
    pool: db.pool,
    embedder,
    threads,
    onFinished: (outcome) => finished.push(outcome),
    logger: pino({ level: 'silent' }),
    chunkTokens: 64,
    overlapTokens: 8,
    onChunksStored: (_tenant, count) => stored.push(count),
    pollMs: 60_000,
    ...options,
  });
  return { w, stored, finished };
}

/** Runs the worker until it finds no more work (what one kick after an upload does). */
async function drain(w: IngestionWorker) {
  w.kick();
  await w.idle();
  await w.stop();
}

const documentRow = async (id: string) =>
  (await db.pool.query('SELECT * FROM documents WHERE id = $1', [id])).rows[0];
const chunkCount = async (id: string) =>
  (await db.pool.query('SELECT count(*)::int AS n FROM chunks WHERE document_id = $1', [id])).rows[0].n;
const jobCount = async (id: string) =>
  (await db.pool.query('SELECT count(*)::int AS n FROM ingestion_jobs WHERE document_id = $1', [id])).rows[0]
    .n;

describe('binary vectors', () => {
  it('stores the vectors the text form stored: each component as its nearest float4', async () => {
    const embedder = new LocalHashingEmbedder(DIMENSIONS);
    const vectors = [
      ...['vacation days', 'کتاب‌ها و اسناد', 'The garage opens at 7 am.'].map((t) => embedder.embedOne(t)),
      [
        0.1,
        -0.2,
        1 / 3,
        0,
        1e-39,
        -1e-45,
        3.4e38,
        123456.789,
        0.30000000000000004,
        2 ** -149,
        1e-7,
        7,
        8,
        9,
        -1,
        1,
      ],
    ];
    const stored = async (sql: string, parameter: unknown) =>
      (await db.pool.query<{ v: string }>(sql, [parameter])).rows.map((r) => JSON.parse(r.v) as number[]);
    const asText = await stored(
      'SELECT v::vector::text AS v FROM unnest($1::text[]) WITH ORDINALITY u(v, n) ORDER BY n',
      vectors.map((v) => `[${v.join(',')}]`),
    );
    const asBinary = await stored(
      'SELECT v::text AS v FROM unnest($1::vector[]) WITH ORDINALITY u(v, n) ORDER BY n',
      encodeVectorArray(vectors, vectorOid),
    );
    expect(asBinary).toEqual(asText);
    expect(asBinary.map((v) => v.map(Math.fround))).toEqual(vectors.map((v) => v.map(Math.fround)));
  });

  it('rejects vectors of the wrong dimension as the text form did', async () => {
    const doc = await newDocument(1);
    const client = await db.pool.connect();
    try {
      await expect(
        insertChunks(
          client,
          tenantId,
          doc.id,
          [{ ordinal: 0, content: 'x', tokens: 1, pageStart: 1, pageEnd: 1, headingPath: [] }],
          [[1, 2, 3]],
          vectorOid,
        ),
      ).rejects.toThrow(/dimensions/);
    } finally {
      client.release();
    }
  });
});

describe('ingestion worker', () => {
  it('stores every chunk with its vector, reports progress and removes the job', async () => {
    const embedder = new LocalHashingEmbedder(DIMENSIONS);
    const doc = await newDocument(20);
    const { w, stored } = worker(embedder);
    await drain(w);
    const row = await documentRow(doc.id);
    expect(row).toMatchObject({
      status: 'ready',
      embedding_model: embedder.model,
      error: null,
      pages_done: 20,
    });
    expect(row.chunks_total).toBeGreaterThan(128); // more than one embedding batch
    expect(row.chunks_done).toBe(row.chunks_total);
    expect(await chunkCount(doc.id)).toBe(row.chunks_total);
    expect(stored).toEqual([row.chunks_total]);
    expect(await jobCount(doc.id)).toBe(0);
    // The vectors are the embedder's (as float4), the heading path and the full-text column are filled in.
    const { rows } = await db.pool.query(
      `SELECT content, heading_path, embedding::text AS embedding, tsv::text AS tsv FROM chunks
        WHERE document_id = $1 ORDER BY ordinal LIMIT 1`,
      [doc.id],
    );
    expect(rows[0].heading_path).toEqual(['Chapter 1']);
    const expected = embedder.embedOne(`Chapter 1\n${rows[0].content}`);
    const viaText = (await db.pool.query('SELECT $1::vector::text AS v', [`[${expected.join(',')}]`])).rows[0]
      .v;
    expect(rows[0].embedding).toBe(viaText);
    expect(rows[0].tsv).toContain("'explains'");
  });

  it('reports progress after each embedding batch, with the lease renewed', async () => {
    const inner = new LocalHashingEmbedder(DIMENSIONS);
    const seen: Array<{ chunks_done: number; pages_done: number; lease: boolean }> = [];
    let docId = '';
    const embedder: Embedder = {
      model: inner.model,
      dimensions: DIMENSIONS,
      async embed(texts) {
        const { rows } = await db.pool.query(
          `SELECT d.chunks_done, d.pages_done, j.lease_until > now() + interval '50 seconds' AS lease
             FROM documents d JOIN ingestion_jobs j ON j.document_id = d.id WHERE d.id = $1`,
          [docId],
        );
        seen.push(rows[0]);
        return inner.embed(texts);
      },
    };
    docId = (await newDocument(20)).id;
    const { w } = worker(embedder, { leaseMs: 60_000 });
    await drain(w);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[0]).toMatchObject({ chunks_done: 0, pages_done: 0, lease: true });
    expect(seen[1]!.chunks_done).toBe(128);
    expect(seen[1]!.pages_done).toBeGreaterThan(0);
    expect(seen[1]!.lease).toBe(true);
  });

  it('leaves no chunk behind when storing fails, and marks the document failed', async () => {
    const doc = await newDocument(3);
    const wrong: Embedder = {
      model: 'wrong',
      dimensions: DIMENSIONS + 1,
      embed: async (texts) => texts.map(() => Array.from({ length: DIMENSIONS + 1 }, () => 0.1)),
    };
    const { w } = worker(wrong);
    await drain(w);
    expect(await documentRow(doc.id)).toMatchObject({ status: 'failed', chunks_done: 0 });
    expect(await chunkCount(doc.id)).toBe(0);
    expect(await jobCount(doc.id)).toBe(0);
  });

  it('stores nothing for a document deleted while it was being embedded', async () => {
    const inner = new LocalHashingEmbedder(DIMENSIONS);
    let docId = '';
    const embedder: Embedder = {
      model: inner.model,
      dimensions: DIMENSIONS,
      async embed(texts) {
        await db.pool.query('DELETE FROM documents WHERE id = $1', [docId]);
        return inner.embed(texts);
      },
    };
    docId = (await newDocument(2)).id;
    const { w, stored } = worker(embedder);
    await drain(w);
    expect(await documentRow(docId)).toBeUndefined();
    expect(await chunkCount(docId)).toBe(0);
    expect(stored).toEqual([]);
  });

  it('takes over a job whose lease ran out (a crashed worker), and gives up after maxAttempts', async () => {
    const embedder = new LocalHashingEmbedder(DIMENSIONS);
    const crashed = await newDocument(2);
    const leased = await newDocument(2);
    const exhausted = await newDocument(2);
    await db.pool.query(
      `UPDATE ingestion_jobs SET attempts = 1, lease_until = now() - interval '1 second' WHERE document_id = $1`,
      [crashed.id],
    );
    await db.pool.query(
      `UPDATE ingestion_jobs SET attempts = 1, lease_until = now() + interval '1 hour' WHERE document_id = $1`,
      [leased.id],
    );
    await db.pool.query(
      `UPDATE ingestion_jobs SET attempts = 3, lease_until = now() - interval '1 second' WHERE document_id = $1`,
      [exhausted.id],
    );
    const { w, finished } = worker(embedder, { maxAttempts: 3 });
    await drain(w);
    expect((await documentRow(crashed.id)).status).toBe('ready');
    expect(await chunkCount(crashed.id)).toBeGreaterThan(0);
    expect((await documentRow(leased.id)).status).toBe('processing');
    expect(await jobCount(leased.id)).toBe(1);
    expect(await documentRow(exhausted.id)).toMatchObject({
      status: 'failed',
      failure_reason: 'interrupted',
      attempts: 3,
    });
    expect((await documentRow(exhausted.id)).error).toMatch(/interrupted 3 times/);
    expect(await chunkCount(exhausted.id)).toBe(0);
    expect(finished).toContainEqual(expect.objectContaining({ status: 'failed', reason: 'interrupted' }));
  });

  it('a document whose processing keeps running past the deadline fails with that reason after its attempts', async () => {
    const slow = new IngestionPool({ threads: 1, timeoutMs: 1 });
    try {
      const doc = await newDocument(40);
      const fine = await newDocument(1);
      const { w } = worker(new LocalHashingEmbedder(DIMENSIONS), { maxAttempts: 3, threads: slow });
      await drain(w);
      const row = await documentRow(doc.id);
      expect(row).toMatchObject({ status: 'failed', failure_reason: 'timeout', attempts: 3 });
      expect(row.error).toMatch(/stopped 3 times for taking longer than the time limit/);
      expect(await chunkCount(doc.id)).toBe(0);
      expect(await jobCount(doc.id)).toBe(0);
      // Every document got its attempts; none stayed processing.
      expect((await documentRow(fine.id)).status).not.toBe('processing');
    } finally {
      await slow.close();
    }
  });

  it('a worker whose lease was taken over stores nothing: the new holder stores the chunks once', async () => {
    const inner = new LocalHashingEmbedder(DIMENSIONS);
    let docId = '';
    const embedder: Embedder = {
      model: inner.model,
      dimensions: DIMENSIONS,
      async embed(texts) {
        // Another replica took the job over while this one was embedding (its lease ran out).
        await db.pool.query(
          `UPDATE ingestion_jobs SET lease_owner = gen_random_uuid(), lease_until = now() + interval '1 hour'
            WHERE document_id = $1`,
          [docId],
        );
        return inner.embed(texts);
      },
    };
    docId = (await newDocument(3)).id;
    const { w, stored } = worker(embedder);
    await drain(w);
    expect(stored).toEqual([]);
    expect(await chunkCount(docId)).toBe(0);
    expect(await jobCount(docId)).toBe(1);
    expect((await documentRow(docId)).status).toBe('processing');
    // Its lease runs out; the next worker finishes the document, with one copy of each chunk.
    await db.pool.query(
      `UPDATE ingestion_jobs SET lease_until = now() - interval '1 second' WHERE document_id = $1`,
      [docId],
    );
    const { w: next } = worker(inner);
    await drain(next);
    const row = await documentRow(docId);
    expect(row.status).toBe('ready');
    expect(await chunkCount(docId)).toBe(row.chunks_total);
    const { rows } = await db.pool.query(
      'SELECT count(DISTINCT ordinal)::int AS n, count(*)::int AS all FROM chunks WHERE document_id = $1',
      [docId],
    );
    expect(rows[0].n).toBe(rows[0].all);
  });

  it('creates the document and its job together, and neither for a duplicate', async () => {
    const first = await newDocument(1, 'same');
    expect(await jobCount(first.id)).toBe(1);
    expect(await createDocument(1, 'same', '{}')).toBeUndefined();
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM ingestion_jobs');
    expect(rows[0].n).toBe(1);
  });
});

describe('search_normalize (migration 005)', () => {
  it('gives what the translate() of migration 002 gave, for ASCII and for Persian and Arabic text', async () => {
    const texts = [
      'Plain ASCII text, with digits 0123 and punctuation!',
      'می‌شود كتاب يك ۱۲۳ ٤٥٦',
      'mixed English and فارسی‌ها 42',
      '',
      'Ünïcödé without mapped letters',
    ];
    const { rows } = await db.pool.query(
      `SELECT search_normalize(t) AS now,
              translate(t, 'يك۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩' || U&'\\200C', 'یک01234567890123456789') AS before
         FROM unnest($1::text[]) t`,
      [texts],
    );
    for (const r of rows) expect(r.now).toBe(r.before);
    expect(rows[1].now).toBe('میشود کتاب یک 123 456');
  });
});
