import { execFile } from 'node:child_process';
import {
  Counter,
  Gauge,
  Histogram,
  type OpenMetricsContentType,
  Registry,
  type RegistryContentType,
  Summary,
} from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metrics as catalog } from '../telemetry/metrics.js';
import { createServerMetrics, renderMetrics } from './metrics.js';

/** Both renderings of the registry, ours first; they must be the same text. */
async function both(registry: Registry<RegistryContentType>) {
  return [(await renderMetrics(registry)).toString('utf8'), await registry.metrics()] as const;
}

/** The blocks (HELP, TYPE and series) of the catalog's metrics; process metrics move between two renderings. */
function catalogBlocks(text: string): string[] {
  const names = new Set(Object.values(catalog).map((m) => m.name));
  return text.split('\n\n').filter((block) => names.has(block.split(' ')[2]!));
}

function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
    child.stdin!.end(text);
  });
}

describe('renderMetrics', () => {
  it('renders what prom-client renders, through every kind of change between scrapes', async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: 'c_total',
      help: 'A counter\nwith a \\ in its help.',
      labelNames: ['tenant', 'model'],
      registers: [registry],
    });
    const plainCounter = new Counter({ name: 'plain_total', help: 'No labels.', registers: [registry] });
    const gauge = new Gauge({
      name: 'g',
      help: 'A gauge.',
      labelNames: ['tenant', 'kind'],
      registers: [registry],
    });
    const histogram = new Histogram({
      name: 'h_seconds',
      help: 'A histogram.',
      labelNames: ['tenant', 'model'],
      buckets: [0.1, 0.5, 1, 2.5],
      registers: [registry],
    });
    const plainHistogram = new Histogram({
      name: 'ph',
      help: 'No labels.',
      buckets: [1],
      registers: [registry],
    });
    const summary = new Summary({
      name: 's',
      help: 'Rendered by prom-client.',
      labelNames: ['x'],
      registers: [registry],
    });
    let collectedValue = 0;
    new Gauge({
      name: 'collected',
      help: 'Has a collect callback.',
      registers: [registry],
      collect() {
        this.set(collectedValue);
      },
    });
    const expectSame = async () => {
      const [ours, theirs] = await both(registry);
      expect(ours).toBe(theirs);
      return ours;
    };

    await expectSame(); // nothing observed yet
    counter.inc({ tenant: 'a', model: 'm' });
    counter.inc({ model: 'm', tenant: 'b' }, 2.5); // label order as given, like prom-client
    gauge.set({ tenant: 'a', kind: 'x' }, 3);
    collectedValue = 42;
    histogram.observe({ tenant: 'a', model: 'm' }, 0.25);
    plainHistogram.observe(0.2);
    summary.observe({ x: '1' }, 4);
    await expectSame();
    await expectSame(); // unchanged: served from what was rendered
    counter.inc({ tenant: 'a', model: 'm' });
    histogram.observe({ tenant: 'a', model: 'm' }, 3);
    histogram.observe({ tenant: 'b', model: 'm' }, 0.05);
    plainCounter.inc(7);
    gauge.inc({ tenant: 'a', kind: 'x' });
    gauge.set({ kind: 'y', tenant: 'a' }, 1);
    gauge.set({ kind: 'y', tenant: 'a' }, 1); // same value, new label object
    await expectSame();
    gauge.set({ tenant: 'a', kind: 'y' }, 1); // same series, other key order: printed in the new order
    await expectSame();
    histogram.observe({ tenant: 'a', model: 'm' }, 0); // moves the count, not the sum
    await expectSame();
    const kept = { tenant: 'k', model: 'm' }; // one label object throughout, as a caller may keep it
    for (const value of [0.25, 3, 0]) histogram.observe(kept, value);
    await expectSame();
    histogram.reset();
    for (const value of [0.75, 2.5, 0]) histogram.observe(kept, value); // same count and sum, other buckets
    await expectSame();
    histogram.zero({ tenant: 'a', model: 'm' });
    counter.remove({ tenant: 'b', model: 'm' });
    gauge.remove({ tenant: 'a', kind: 'x' });
    await expectSame();
    counter.inc({ tenant: 'b', model: 'm' }); // back after its removal
    await expectSame();
    gauge.set({ tenant: 'quote " backslash \\ newline \n', kind: 'x' }, Number.NaN);
    gauge.set({ tenant: 'inf', kind: 'x' }, Number.POSITIVE_INFINITY);
    gauge.set({ tenant: 'inf', kind: 'y' }, Number.NEGATIVE_INFINITY);
    gauge.set({ tenant: 'number', kind: 7 as unknown as string }, 0.1 + 0.2);
    counter.inc({ tenant: 'Zürich 🙂', model: 'm' }); // more bytes than characters
    gauge.set({ tenant: 'quote " backslash \\ newline \n', kind: 'x' }, Number.NaN);
    const text = await expectSame();
    expect(text).toContain('g{tenant="quote \\" backslash \\\\ newline \\n",kind="x"} Nan');
    expect(text).toContain('h_seconds_bucket{le="+Inf",tenant="a",model="m"} 0');
    counter.reset();
    await expectSame();
    expect(text).toContain('collected 42');
  });

  it('leaves empty registries, registries with default labels and OpenMetrics registries to prom-client', async () => {
    const [empty, emptyTheirs] = await both(new Registry());
    expect(empty).toBe(emptyTheirs);

    const labelled = new Registry();
    new Counter({ name: 'x_total', help: 'x', labelNames: ['a'], registers: [labelled] }).inc({ a: '1' });
    labelled.setDefaultLabels({ pod: 'p-1' });
    const [ours, theirs] = await both(labelled);
    expect(ours).toBe(theirs);
    expect(ours).toContain('x_total{a="1",pod="p-1"} 1');

    const open = new Registry<OpenMetricsContentType>();
    open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    new Counter({ name: 'y_total', help: 'y', registers: [open] }).inc();
    const [ours2, theirs2] = await both(open);
    expect(ours2).toBe(theirs2);
    expect(ours2).toContain('# EOF');
  });

  it('renders the server registry like prom-client for a thousand tenants, and promtool parses it', async () => {
    const m = createServerMetrics();
    const scrape = async () => {
      const [ours, theirs] = await both(m.registry);
      expect(ours.split('\n\n').map((b) => b.split(' ')[2])).toEqual(
        theirs.split('\n\n').map((b) => b.split(' ')[2]),
      );
      expect(catalogBlocks(ours)).toEqual(catalogBlocks(theirs));
      return ours;
    };
    for (let i = 0; i < 1000; i++) {
      const tenant = `tenant-${i}`;
      for (const model of ['gpt-4o', 'gpt-4o-mini'])
        for (const status of ['success', 'error']) m.openaiRequestTotal.inc({ tenant, model, status }, 0);
      m.documentChunksTotal.set({ tenant }, i);
      m.openaiTokensTotal.inc({ tenant, direction: 'in', model: 'gpt-4o' }, 100 + i);
      m.openaiRequestDurationSeconds.observe({ tenant, model: 'gpt-4o' }, i / 20);
      m.ragQueryTotal.inc({ tenant, model: 'gpt-4o' });
    }
    m.httpRequestDurationSeconds.observe({ method: 'GET', endpoint: '/api/v1/metrics', status: '200' }, 0.02);
    await scrape();
    for (let i = 0; i < 1000; i += 7) {
      m.openaiRequestDurationSeconds.observe({ tenant: `tenant-${i}`, model: 'gpt-4o' }, 1.5);
      m.documentChunksTotal.dec({ tenant: `tenant-${i}` }, 1);
    }
    m.mlFallbackTotal.inc({ from_model: 'gpt-4o', to_model: 'gpt-4o-mini', tenant: 'tenant-3' });
    const text = await scrape();
    expect(text.split('\n').filter((l) => l.includes('tenant="')).length).toBe(1000 * 20 + 1);
    // Exit code 3 is promtool's lint (catalog and process metric names), 1 a text it cannot parse.
    const { code, output } = await promtoolCheck(text);
    expect(output).not.toContain('parsing error');
    expect([0, 3]).toContain(code);
  });
});
