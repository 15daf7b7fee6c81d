/**
 * Row 7 — synthesis of all stacks: every Kubernetes object of every stack (`npm run synth:k8s`) and the
 * Prometheus and Grafana files (`npm run synth:observability`), rendered in memory. "Cold" is a fresh process
 * from start to the last file rendered (what the command costs a reviewer); its baseline is an empty process of
 * the same toolchain. "Warm" repeats the render in that process.
 */
import { startWorker, withWorker } from '../lib/child.js';
import type { Line } from '../lib/report.js';
import type { RowDefinition } from '../lib/row.js';
import { summarize } from '../lib/stats.js';

const TARGET_SECONDS = 3;

interface SynthInfo {
  importMs: number;
  firstMs: number;
  coldMs: number;
  stacks: string[];
  files: number;
  bytes: number;
}

export const synthRow: RowDefinition = {
  id: 'synth',
  title: '7. Synthesis',
  requires: ['infra-ts/synth.ts', 'infra-ts/stack-files.ts', 'scripts/synth-observability.ts'],
  async run({ quick, log }) {
    const processes = quick ? 2 : 5;
    const cold: number[] = [];
    const empty: number[] = [];
    const warm: number[] = [];
    let info: SynthInfo = { importMs: 0, firstMs: 0, coldMs: 0, stacks: [], files: 0, bytes: 0 };
    let peak = 0;
    for (let i = 0; i < processes; i++) {
      const floor = await startWorker('synth', { args: ['empty'] });
      empty.push(floor.info.sinceStartMs as number);
      await floor.stop();
      const { result, peakRssMb } = await withWorker('synth', {}, async (w) => {
        info = w.info as unknown as SynthInfo;
        return w.request<number[]>('warm', { times: quick ? 2 : 4 });
      });
      cold.push(info.coldMs);
      warm.push(...result);
      peak = Math.max(peak, peakRssMb ?? 0);
    }
    const c = summarize(cold);
    const e = summarize(empty);
    const w = summarize(warm);
    log(
      `${info.files} files (${Math.round(info.bytes / 1024)} KiB) for ${info.stacks.join(', ')}: cold ${c.median.toFixed(0)} ms ` +
        `(empty process ${e.median.toFixed(0)} ms, imports ${Math.round(info.importMs)} ms), warm ${w.median.toFixed(0)} ms`,
    );
    const lines: Line[] = [
      {
        measure: `cold: fresh process to all ${info.files} files (stacks ${info.stacks.join(', ')} + observability)`,
        unit: 'ms',
        median: c.median,
        p95: c.p95,
        n: c.n,
        baseline: { label: 'empty tsx process', median: e.median, p95: e.p95 },
        ratio: c.p95 / e.p95,
        target: { text: `≤ ${TARGET_SECONDS} s`, pass: c.p95 <= TARGET_SECONDS * 1000 },
      },
      {
        measure: 'warm: render again in the same process',
        unit: 'ms',
        median: w.median,
        p95: w.p95,
        n: w.n,
      },
    ];
    return {
      lines,
      notes: [
        `${processes} fresh processes; the last one's import of the constructs took ${Math.round(info.importMs)} ms and its ` +
          `first render ${Math.round(info.firstMs)} ms. Nothing is written to dist/.`,
      ],
      peakRssMb: peak,
    };
  },
};
