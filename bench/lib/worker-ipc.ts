/**
 * The child side of a benchmark worker: answers the parent's requests over Node's IPC channel.
 *
 * Measured parts (the DocuChat server, a billing run, a synthesis) run in their own process so that the load
 * generator's CPU and memory never mix into what is measured, and peak RSS is the measured process's alone.
 */
// biome-ignore lint/suspicious/noExplicitAny: each handler declares the payload it expects from the parent
export type Handlers = Record<string, (payload: any) => unknown>;

export interface WorkerRequest {
  id: number;
  type: string;
  payload: unknown;
}

export function serveWorker(handlers: Handlers, ready: Record<string, unknown> = {}): void {
  if (!process.send) throw new Error('A benchmark worker must be started by bench/run.ts (no IPC channel)');
  const send = (message: unknown) => process.send!(message);
  process.on('message', (message: WorkerRequest) => {
    void (async () => {
      try {
        if (message.type === 'exit') {
          send({ id: message.id, ok: true, result: null });
          // A normal exit writes the --cpu-prof profile; give the reply a moment to leave first.
          setTimeout(() => process.exit(0), 20);
          return;
        }
        if (message.type === 'memory') {
          send({ id: message.id, ok: true, result: process.memoryUsage() });
          return;
        }
        const handler = handlers[message.type];
        if (!handler) throw new Error(`Unknown worker request ${message.type}`);
        send({ id: message.id, ok: true, result: await handler(message.payload) });
      } catch (error) {
        send({ id: message.id, ok: false, error: (error as Error).stack ?? String(error) });
      }
    })();
  });
  // The parent died: do not linger as an orphan holding a database open.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', ...ready });
}
