/**
 * Benchmark worker: the project's fake OpenAI server (test/fakes/openai.ts) in its own process, so its fixed
 * latency and token pacing are not disturbed by the load generator or by DocuChat sharing its event loop.
 */
import { type FakeBehavior, startFakeOpenAI } from '../../test/fakes/openai.js';
import { serveWorker } from '../lib/worker-ipc.js';

const fake = await startFakeOpenAI();
let taken = 0;

serveWorker(
  {
    setBehavior({ model, behavior }: { model: string; behavior: FakeBehavior }) {
      fake.setBehavior(model, behavior);
      return null;
    },
    /** Bodies of the chat requests received since the last call (the prompts DocuChat really sent). */
    takeChatBodies() {
      const fresh = fake.requests.slice(taken);
      taken = fake.requests.length;
      return fresh.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body);
    },
    /** Requests per path since the start, with the number of inputs sent to the embeddings endpoint. */
    counts() {
      const byPath: Record<string, number> = {};
      let embeddingInputs = 0;
      for (const r of fake.requests) {
        byPath[r.path] = (byPath[r.path] ?? 0) + 1;
        if (r.path === '/v1/embeddings')
          embeddingInputs += Array.isArray(r.body.input) ? r.body.input.length : 1;
      }
      return { byPath, embeddingInputs };
    },
    /** Forgets recorded requests (keeps behaviours): the log would otherwise grow with every benchmark request. */
    forget() {
      fake.requests.length = 0;
      taken = 0;
      return null;
    },
  },
  { url: fake.url },
);
