/**
 * Shared parts of the billing tests: one embedded PostgreSQL (PGlite) per test file, reachable by URL so the
 * command line under test can open it too; fresh tenants per test; an in-process SMTP server (smtp-server).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { type Config, loadConfig } from '../../app/config/index.js';
import { startEmbeddedPostgres } from '../../app/db/embedded.js';
import { type Database, openDatabase } from '../../app/db/index.js';
import type { Invoice } from '../invoices.js';

export interface TestDatabase {
  db: Database;
  /** DATABASE_URL of the embedded server, for configurations and the CLI. */
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-billing-'));
  const embedded = await startEmbeddedPostgres(path.join(dataDir, 'pgdata'), 24);
  const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: embedded.url, DATABASE_POOL_SIZE: '5' });
  const db = await openDatabase(config);
  return {
    db,
    url: embedded.url,
    dataDir,
    async close() {
      await db.close();
      await embedded.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function testConfig(test: TestDatabase, env: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    DATA_DIR: test.dataDir,
    DATABASE_URL: test.url,
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: 'https://docuchat.example.com',
    ...env,
  });
}

export interface TestTenant {
  id: string;
  slug: string;
  email: string;
}

export async function createTenant(
  db: Database,
  options: { slug?: string; discountPercent?: string; billingEmail?: string | null } = {},
): Promise<TestTenant> {
  const slug = options.slug ?? `t-${randomUUID().slice(0, 8)}`;
  const email = options.billingEmail === undefined ? `billing@${slug}.example` : options.billingEmail;
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO tenants (slug, name, billing_email, discount_percent) VALUES ($1, $2, $3, $4) RETURNING id`,
    [slug, `Team ${slug}`, email, options.discountPercent ?? '0'],
  );
  return { id: rows[0]!.id, slug, email: email ?? '' };
}

let requestCounter = 0;

/** One usage_ledger row, as the chat route writes it. */
export async function addUsage(
  db: Database,
  tenantId: string,
  at: string | Date,
  inputTokens: number,
  outputTokens: number,
  model = 'gpt-4o',
): Promise<void> {
  await db.pool.query(
    `INSERT INTO usage_ledger (tenant_id, request_id, attempt, model, input_tokens, output_tokens, created_at)
     VALUES ($1, $2, 1, $3, $4, $5, $6)`,
    [
      tenantId,
      `req-${process.pid}-${++requestCounter}-${randomUUID()}`,
      model,
      inputTokens,
      outputTokens,
      new Date(at),
    ],
  );
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** Header `Subject`, decoded. */
  subject: string;
  /** The decoded text/plain part. */
  text: string;
  messageId: string;
}

export interface SmtpInbox {
  url: string;
  messages: ReceivedMail[];
  /** While down, every message is refused with a temporary failure (421), as an overloaded server does. */
  down: boolean;
  close(): Promise<void>;
}

function decodeWords(header: string): string {
  return header.replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_m, enc: string, data: string) =>
    enc.toLowerCase() === 'b'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(
          data
            .replace(/_/g, ' ')
            .replace(/=([0-9a-f]{2})/gi, (_x, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

/** Pulls the text/plain part (base64, as the billing mailer sends it) out of a raw MIME message. */
function textPart(raw: string): string {
  const match =
    /Content-Type: text\/plain[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*?Content-Transfer-Encoding: base64\r?\n(?:[^\r\n]+\r?\n)*?\r?\n([A-Za-z0-9+/=\r\n]+)/i.exec(
      raw,
    );
  return match ? Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64').toString('utf8') : '';
}

export async function startSmtpInbox(): Promise<SmtpInbox> {
  const inbox: SmtpInbox = { url: '', messages: [], down: false, close: async () => {} };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onMailFrom(_address, _session, callback) {
      if (inbox.down) {
        const error = new Error('Service not available, try again later') as Error & { responseCode: number };
        error.responseCode = 421;
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const headerEnd = raw.search(/\r?\n\r?\n/);
        const headers = raw.slice(0, headerEnd).replace(/\r?\n[ \t]+/g, ' ');
        const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(headers)?.[1] ?? '';
        inbox.messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: decodeWords(header('Subject')),
          text: textPart(raw),
          messageId: header('Message-ID'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  inbox.url = `smtp://127.0.0.1:${port}`;
  inbox.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return inbox;
}

/** The seed guide's example invoice (150,000 tokens → 3,000.00 Tomans), enough of it for composing its e-mail. */
export function sampleInvoice(id: string): Invoice {
  return {
    id,
    tenantName: 'Demo',
    periodStart: '2025-10-05',
    tokens: 150_000,
    amount: '3000.00',
    carriedAmount: '0.00',
    paymentUrl: 'https://gateway.zibal.ir/start/42',
  } as Invoice;
}
