/** The benchmark's HTTP client for DocuChat: what a user's browser does, over plain fetch. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Session {
  token: string;
  tenantId: string;
}

// biome-ignore lint/suspicious/noExplicitAny: API bodies are read field by field, as a browser would
async function json(response: Response): Promise<any> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Registers an account with its own team and logs in. */
export async function signUp(baseUrl: string, name: string): Promise<Session> {
  const email = `${name}-${process.pid}-${Date.now()}@bench.example`;
  const password = 'correct horse battery staple';
  const reg = await fetch(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, full_name: 'Bench User', tenant_name: `Bench ${name}` }),
  });
  const registered = await json(reg);
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(registered)}`);
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await json(login);
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(body)}`);
  return { token: body.access_token, tenantId: registered.tenant.id };
}

/** Uploads a file; returns the document id (202 accepted, or 200 for a duplicate). */
export async function upload(
  baseUrl: string,
  token: string,
  file: { name: string; type: string; bytes: Buffer | string },
): Promise<string> {
  const form = new FormData();
  const bytes = typeof file.bytes === 'string' ? Buffer.from(file.bytes, 'utf8') : file.bytes;
  form.append('file', new Blob([new Uint8Array(bytes)], { type: file.type }), file.name);
  const response = await fetch(`${baseUrl}/api/v1/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const body = await json(response);
  if (response.status !== 202 && response.status !== 200)
    throw new Error(`upload failed: ${response.status} ${JSON.stringify(body)}`);
  return body.document.id;
}

/** Polls a document until it is ready; throws when it failed. Returns the document summary. */
export async function waitUntilReady(
  baseUrl: string,
  token: string,
  documentId: string,
  pollMs = 20,
  timeoutMs = 300_000,
): Promise<{ status: string; [field: string]: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${baseUrl}/api/v1/documents/${documentId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const doc = await json(response);
    if (doc.status === 'ready') return doc;
    if (doc.status === 'failed' || response.status !== 200)
      throw new Error(`document ${documentId} did not become ready: ${JSON.stringify(doc)}`);
    if (Date.now() > deadline)
      throw new Error(`document ${documentId} still processing after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

/** A document's status now (`processing`, `ready` or `failed`). */
export async function documentStatus(baseUrl: string, token: string, documentId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/documents/${documentId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const doc = await json(response);
  return response.status === 200 ? String(doc.status) : `http ${response.status}`;
}

export interface StreamTiming {
  /** Milliseconds from sending the request to the first `token` event. */
  firstToken: number;
  /** ... to the last `token` event. */
  lastToken: number;
  /** ... to the `done` event (the answer and its usage committed). */
  done: number;
  tokens: number;
}

/** One streamed chat turn through `POST /api/v1/chat`, timed at the events the user sees. */
export async function streamChat(baseUrl: string, token: string, message: string): Promise<StreamTiming> {
  const start = performance.now();
  const response = await fetch(`${baseUrl}/api/v1/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ message }),
  });
  if (response.status !== 200 || !response.body)
    throw new Error(`chat failed: ${response.status} ${await response.text()}`);
  const timing: StreamTiming = { firstToken: Number.NaN, lastToken: Number.NaN, done: Number.NaN, tokens: 0 };
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const at = performance.now() - start;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.+)$/m.exec(frame)?.[1];
      if (event === 'token') {
        if (timing.tokens === 0) timing.firstToken = at;
        timing.lastToken = at;
        timing.tokens++;
      } else if (event === 'done') timing.done = at;
      else if (event === 'error') throw new Error(`chat stream error: ${frame}`);
      end = buffer.indexOf('\n\n');
    }
  }
  if (Number.isNaN(timing.done)) throw new Error('chat stream ended without a done event');
  return timing;
}
