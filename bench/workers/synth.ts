/**
 * Benchmark worker for row 7: renders every stack's manifests (what `npm run synth:k8s` writes, without writing)
 * and the observability files (`npm run synth:observability`). Started fresh, so the first render includes
 * loading cdk8s, cdk8s-plus and our constructs, as the command does; later renders show the warm cost.
 * With argv[2] = 'empty' it imports nothing: the start-up floor of a tsx process, the cold baseline.
 */
import { serveWorker } from '../lib/worker-ipc.js';

if (process.argv[2] === 'empty') {
  serveWorker({}, { sinceStartMs: performance.now() });
} else {
  const importStarted = performance.now();
  const { renderStackFiles } = await import('../../infra-ts/synth.js');
  const { STACKS } = await import('../../infra-ts/stack-files.js');
  const { renderObservabilityFiles } = await import('../../scripts/synth-observability.js');
  const importMs = performance.now() - importStarted;
  const renderAll = () => {
    let files = 0;
    let bytes = 0;
    for (const stack of STACKS) {
      for (const content of renderStackFiles(stack).values()) {
        files++;
        bytes += content.length;
      }
    }
    for (const content of Object.values(renderObservabilityFiles())) {
      files++;
      bytes += content.length;
    }
    return { files, bytes };
  };
  const firstStarted = performance.now();
  const output = renderAll();
  const firstMs = performance.now() - firstStarted;
  const coldMs = performance.now();
  serveWorker(
    {
      warm({ times }: { times: number }) {
        const ms: number[] = [];
        for (let i = 0; i < times; i++) {
          const started = performance.now();
          renderAll();
          ms.push(performance.now() - started);
        }
        return ms;
      },
    },
    { importMs, firstMs, coldMs, stacks: [...STACKS], ...output },
  );
}
