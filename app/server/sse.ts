import type { FastifyReply, FastifyRequest } from 'fastify';
import { SSE_HEARTBEAT_SECONDS } from '../config/http.js';

/** A Server-Sent Events stream on a Fastify reply, with a heartbeat comment so idle proxies keep it open. */
export interface EventStream {
  send(event: string, data: unknown): void;
  /** Resolves when the client disconnected. */
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
  end(): void;
}

export function openEventStream(request: FastifyRequest, reply: FastifyReply): EventStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx: do not buffer this response.
    'x-accel-buffering': 'no',
    'x-request-id': String(request.id),
  });
  res.write(': stream open\n\n');
  let isClosed = false;
  let resolveClosed: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const heartbeat = setInterval(() => {
    if (!isClosed) res.write(': heartbeat\n\n');
  }, SSE_HEARTBEAT_SECONDS * 1000);
  heartbeat.unref();
  const onClose = () => {
    isClosed = true;
    clearInterval(heartbeat);
    resolveClosed();
  };
  res.on('close', onClose);
  return {
    send(event, data) {
      if (isClosed) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    closed,
    get isClosed() {
      return isClosed;
    },
    end() {
      if (!isClosed) res.end();
      onClose();
    },
  };
}
