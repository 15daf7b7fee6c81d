import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * A fix for the query queue of `@electric-sql/pglite-socket@0.2.17`, which serves every connection from one
 * PGlite backend one protocol message at a time. Two defects make concurrent requests fail or hang:
 *
 * 1. It keeps a connection's messages together only inside a transaction. A parameterised query is several
 *    messages (Parse, Bind, Describe, Execute, Sync); another connection's message slips in between and the
 *    backend answers "unnamed prepared statement does not exist" / "portal does not exist", or a connection
 *    waits forever for a reply that went elsewhere. Found by test/reliability/load.test.ts (40+ chats at once).
 * 2. A message that throws leaves the queue marked "processing" for good: every later query waits forever.
 *
 * Here one connection keeps the backend from its first extended-protocol message until its Sync (and, as
 * before, for a whole transaction); a failed message fails only its own caller. The queue's internals are
 * checked when the server is created, so an upgrade that changes them fails at start-up, not under load.
 */

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(size: number): void;
  reject(error: Error): void;
  onData(data: Uint8Array): void;
}

interface QueueInternals {
  queue: QueuedMessage[];
  processing: boolean;
  db: PGlite;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

/** Frontend message types that end an exchange: Sync, simple Query, Terminate. */
const EXCHANGE_END = new Set(['S', 'Q', 'X'].map((c) => c.charCodeAt(0)));
/** Extended-protocol messages that begin or continue an exchange: Parse, Bind, Describe, Execute, Close, Flush. */
const EXCHANGE_PART = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));

export function fixPgliteSocketQueue(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue?: QueueInternals }).queryQueue;
  if (
    !queue ||
    !Array.isArray(queue.queue) ||
    typeof queue.processQueue !== 'function' ||
    typeof queue.clearQueueForHandler !== 'function' ||
    typeof queue.db?.runExclusive !== 'function'
  ) {
    throw new Error(
      'pglite-socket internals changed: review app/db/pglite-queue.ts against the installed @electric-sql/pglite-socket',
    );
  }
  /** Connections between their first extended-protocol message and its Sync. */
  const midExchange = new Set<number>();

  queue.processQueue = async function processQueue(this: QueueInternals) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = this.lastHandlerId;
        const exclusive = owner !== null && (midExchange.has(owner) || this.db.isInTransaction());
        let next: QueuedMessage | undefined;
        if (exclusive) {
          const i = this.queue.findIndex((q) => q.handlerId === owner);
          // The owner has not sent its next message yet: the others wait for it.
          if (i === -1) break;
          next = this.queue.splice(i, 1)[0];
        } else {
          next = this.queue.shift();
        }
        if (!next) break;
        const query = next;
        const type = query.message[0]!;
        let size = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(query.message, {
              onRawData: (data: Uint8Array) => {
                size += data.length;
                query.onData(data);
              },
            }),
          );
        } catch (error) {
          midExchange.delete(query.handlerId);
          query.reject(error as Error);
          continue;
        }
        this.lastHandlerId = query.handlerId;
        if (EXCHANGE_END.has(type)) midExchange.delete(query.handlerId);
        else if (EXCHANGE_PART.has(type)) midExchange.add(query.handlerId);
        query.resolve(size);
      }
    } finally {
      this.processing = false;
    }
  };

  // A connection that leaves mid-exchange must not hold the backend.
  const clear = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    if (midExchange.delete(handlerId) && queue.lastHandlerId === handlerId) {
      queue.lastHandlerId = null;
      void queue.processQueue();
    }
  };
}
