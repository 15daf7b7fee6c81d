import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../app/web/src/api/client.js';
import { ApiError } from '../app/web/src/api/errors.js';
import { SessionStore } from '../app/web/src/api/session-store.js';
import type { ChatStreamEvent } from '../app/web/src/api/types.js';
import { usageRangeStart } from '../app/web/src/billing/usage-summary.js';
import { type Account, startTestServer, type TestServer } from './support/server.js';

/** The web app's typed client against the real server (embedded database, local language provider). */

class MemoryStorage implements Storage {
  private readonly map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  clear() {
    this.map.clear();
  }
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  key(index: number) {
    return [...this.map.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
}

describe('web API client', () => {
  let server: TestServer;
  let account: Account;

  const signedInClient = async () => {
    const client = new ApiClient(new SessionStore(new MemoryStorage()), server.url);
    await client.login({ email: account.email, password: account.password });
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' });
    account = await server.signUp({ tenant_name: 'Client Team' });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refreshes an expired or invalid access token silently, once, and keeps the user signed in', async () => {
    const client = await signedInClient();
    const before = client.session.get()!;
    client.session.set({ ...before, accessToken: `${before.accessToken}x` });
    const me = await client.me();
    expect(me.email).toBe(account.email);
    const after = client.session.get()!;
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).not.toBe(`${before.accessToken}x`);
  });

  it('shares one refresh between parallel requests (the refresh token rotates, reuse would revoke it)', async () => {
    const client = await signedInClient();
    const tokens = client.session.get()!;
    client.session.set({ ...tokens, accessToken: 'expired' });
    const results = await Promise.all([client.me(), client.listDocuments(), client.listConversations()]);
    expect(results[0].email).toBe(account.email);
    // The session still works afterwards: the family was not revoked by a reused token.
    client.session.set({ ...client.session.get()!, accessToken: 'expired-again' });
    await expect(client.me()).resolves.toMatchObject({ email: account.email });
  });

  it('signs out when the refresh is refused', async () => {
    const client = await signedInClient();
    const changes: unknown[] = [];
    client.session.subscribe((t) => changes.push(t));
    client.session.set({ accessToken: 'bad', refreshToken: 'revoked-or-unknown' });
    const failure = await client.me().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(401);
    expect(client.session.get()).toBeNull();
    expect(changes.at(-1)).toBeNull();
  });

  it('follows ingestion to ready, then streams a typed answer citing the document', async () => {
    const client = await signedInClient();
    const form = new FormData();
    form.append(
      'file',
      new Blob(['# Runbook\n\nThe database failover drill happens every first Monday of the month.\n'], {
        type: 'text/markdown',
      }),
      'runbook.md',
    );
    const upload = await fetch(`${server.url}/api/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${client.session.get()!.accessToken}` },
      body: form,
    });
    expect(upload.status).toBe(202);
    const { document } = (await upload.json()) as { document: { id: string } };
    const seen: string[] = [];
    for await (const event of client.documentEvents(document.id)) seen.push(event.event);
    expect(seen.at(-1)).toBe('ready');

    const events: ChatStreamEvent[] = [];
    for await (const event of client.chat({ message: 'When is the database failover drill?' }))
      events.push(event);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('sources');
    expect(names.at(-1)).toBe('done');
    const sources = events.find((e) => e.event === 'sources');
    expect(sources?.event === 'sources' && sources.data.sources[0]?.document_name).toBe('runbook.md');
    const answer = events.map((e) => (e.event === 'token' ? e.data.text : '')).join('');
    expect(answer).toContain('first Monday');
    expect(answer).toMatch(/\[1\]/);
    const done = events.at(-1);
    const conversationId = done?.event === 'done' ? done.data.conversation_id : '';
    const stored = await client.getConversation(conversationId);
    expect(stored.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(stored.messages[1]?.citations[0]?.document_name).toBe('runbook.md');
  });

  it('reports a spent budget as budget_exceeded before any answer streams', async () => {
    const client = await signedInClient();
    await server.db.pool.query('UPDATE tenants SET daily_token_budget = 0 WHERE id = $1', [account.tenantId]);
    try {
      const events: unknown[] = [];
      const failure = await (async () => {
        for await (const event of client.chat({ message: 'Anything?' })) events.push(event);
      })().catch((e: unknown) => e);
      expect(events).toEqual([]);
      expect(failure).toBeInstanceOf(ApiError);
      expect((failure as ApiError).status).toBe(429);
      expect((failure as ApiError).code).toBe('budget_exceeded');
      expect((failure as ApiError).message).toContain('budget');
    } finally {
      await server.db.pool.query('UPDATE tenants SET daily_token_budget = NULL WHERE id = $1', [
        account.tenantId,
      ]);
    }
  });

  it('reads the billing routes the usage page shows, empty before the first billing run', async () => {
    const client = await signedInClient();
    await expect(client.listInvoices()).resolves.toEqual({ invoices: [] });
    const from = usageRangeStart();
    const usage = await client.usage(from);
    expect(usage.from).toBe(from);
    expect(Array.isArray(usage.usage)).toBe(true);
  });
});
