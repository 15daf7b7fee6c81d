import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type MetricDefinition, metrics } from '../telemetry/metrics.js';

type Catalog = typeof metrics;
type Instrument<D> =
  D extends MetricDefinition<infer L>
    ? D['type'] extends 'counter'
      ? Counter<L>
      : D['type'] extends 'histogram'
        ? Histogram<L>
        : Gauge<L>
    : never;

/** The server's prom-client instruments, one per catalog entry, typed by the catalog's label names. */
export type ServerMetrics = { [K in keyof Catalog]: Instrument<Catalog[K]> } & { registry: Registry };

function instrument(def: MetricDefinition, registry: Registry) {
  const common = { name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [registry] };
  switch (def.type) {
    case 'counter':
      return new Counter(common);
    case 'histogram':
      return new Histogram({ ...common, buckets: [...(def.buckets ?? [])] });
    case 'gauge':
      return new Gauge(common);
  }
}

/** Registers every catalog metric plus prom-client's default process metrics in a fresh registry. */
export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const out: Record<string, unknown> = { registry };
  for (const [key, def] of Object.entries(metrics)) out[key] = instrument(def, registry);
  return out as ServerMetrics;
}
