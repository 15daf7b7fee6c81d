import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  Registry,
  type RegistryContentType,
} from 'prom-client';
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

type Labels = Record<string, unknown>;
/** prom-client 15's per-series storage, as its Counter, Gauge and Histogram keep it (`hashMap`, not typed). */
interface ValueEntry {
  value: number;
  labels: Labels;
}
interface HistogramEntry {
  labels: Labels;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}
interface Stored<E> {
  name: string;
  help: string;
  hashMap: Record<string, E>;
  collect?: unknown;
  upperBounds?: readonly number[];
}

/** One series as rendered at the last scrape, with what it was rendered from. */
interface RenderedSeries {
  entry: object;
  labels: Labels;
  labelText: string;
  value: number;
  count: number;
  /** The series' lines, each ending in a newline. */
  text: string;
  /** `text`'s length in UTF-8. */
  bytes: number;
}

/** Per metric object: its series by prom-client's label hash, as rendered at the previous scrape. */
const renderedSeries = new WeakMap<object, Map<string, RenderedSeries>>();

/** One metric's text in pieces, each ending in a newline, and their length in UTF-8. */
interface Block {
  pieces: string[];
  bytes: number;
}

/**
 * `registry.metrics()` as UTF-8, the same bytes, without re-serialising series that did not change.
 *
 * prom-client rebuilds every line of every scrape: per histogram series a dozen value objects, label strings
 * escaped again and again. With a thousand tenants that is some 21,000 lines and tens of milliseconds of
 * allocation per scrape. Here each series' text is kept from the previous scrape and reused while its value
 * (a histogram's count and sum) and its label set are the same; only series that moved are formatted again.
 * The pieces are written straight into one buffer, which the HTTP server sends as it is (a 1.6 MB string
 * would be measured and encoded again on the way out).
 * Metrics this cannot read the same way (default process metrics with `collect()` callbacks, other metric
 * types) and registries with default labels or OpenMetrics output go through prom-client itself.
 *
 * It reads prom-client's untyped per-series storage, so metrics.test.ts compares it with `registry.metrics()`
 * through every kind of change: a prom-client upgrade that stores series otherwise fails there.
 */
export async function renderMetrics(registry: Registry<RegistryContentType>): Promise<Buffer> {
  const defaultLabels = (registry as unknown as { _defaultLabels?: Labels })._defaultLabels;
  if (
    registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE ||
    Object.keys(defaultLabels ?? {}).length > 0 ||
    registry.getMetricsAsArray().length === 0
  )
    return Buffer.from(await registry.metrics());
  const blocks = await Promise.all(
    registry.getMetricsAsArray().map((metric): Block | Promise<Block> => {
      const stored = metric as unknown as Stored<unknown>;
      const plain =
        typeof stored.hashMap === 'object' && stored.hashMap !== null && stored.collect === undefined;
      if (plain && metric instanceof Histogram && Array.isArray(stored.upperBounds))
        return renderStored(stored as Stored<HistogramEntry>, 'histogram', histogramSeries);
      if (plain && metric instanceof Counter)
        return renderStored(stored as Stored<ValueEntry>, 'counter', valueSeries);
      if (plain && metric instanceof Gauge)
        return renderStored(stored as Stored<ValueEntry>, 'gauge', valueSeries);
      return registry.getSingleMetricAsString(metric.name).then((text) => {
        const piece = `${text}\n`;
        return { pieces: [piece], bytes: Buffer.byteLength(piece) };
      });
    }),
  );
  // Metrics are separated by an empty line.
  let length = blocks.length - 1;
  for (const block of blocks) length += block.bytes;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const block of blocks) {
    if (at > 0) at += out.write('\n', at);
    for (const piece of block.pieces) at += out.write(piece, at);
  }
  if (at !== length) throw new Error(`metrics rendered ${at} bytes of ${length}`);
  return out;
}

/** Renders one series, or returns `same` (its rendering at the last scrape, same label object) if it still holds. */
type SeriesRenderer<E> = (
  metric: Stored<E>,
  entry: E,
  labelText: string,
  same: RenderedSeries | undefined,
) => RenderedSeries;

function renderStored<E extends { labels: Labels }>(
  metric: Stored<E>,
  type: string,
  render: SeriesRenderer<E>,
): Block {
  const name = escapeString(metric.name);
  const header = `# HELP ${name} ${escapeString(metric.help)}\n# TYPE ${name} ${type}\n`;
  const block: Block = { pieces: [header], bytes: Buffer.byteLength(header) };
  const rendered = renderedSeries.get(metric) ?? new Map<string, RenderedSeries>();
  renderedSeries.set(metric, rendered);
  let count = 0;
  for (const hash in metric.hashMap) {
    const entry = metric.hashMap[hash]!;
    const before = rendered.get(hash);
    // prom-client prints labels in the key order of the object it was given: a new label object is formatted anew.
    const same = before?.labels === entry.labels ? before : undefined;
    const series = render(metric, entry, same?.labelText ?? formatLabels(entry.labels), same);
    if (series !== before) rendered.set(hash, series);
    block.pieces.push(series.text);
    block.bytes += series.bytes;
    count++;
  }
  // Series removed (remove(), reset()) since the last scrape.
  if (rendered.size > count)
    for (const hash of rendered.keys()) if (!Object.hasOwn(metric.hashMap, hash)) rendered.delete(hash);
  return block;
}

/** A counter or gauge series: one line. */
const valueSeries: SeriesRenderer<ValueEntry> = (metric, entry, labelText, same) => {
  if (same && Object.is(same.value, entry.value)) return same;
  const text = `${metric.name}${labelText ? `{${labelText}}` : ''} ${valueAsString(entry.value)}\n`;
  return {
    entry,
    labels: entry.labels,
    labelText,
    value: entry.value,
    count: 0,
    text,
    bytes: Buffer.byteLength(text),
  };
};

/** A histogram series: a line per bucket (cumulative), then `+Inf`, `_sum` and `_count`. */
const histogramSeries: SeriesRenderer<HistogramEntry> = (metric, entry, labelText, same) => {
  // Every observation moves the count; reset() and zero() put a new entry in place.
  if (same && same.entry === entry && same.count === entry.count && Object.is(same.value, entry.sum))
    return same;
  const bucket = `${metric.name}_bucket{le="`;
  const tail = labelText ? `",${labelText}} ` : '"} ';
  const lines: string[] = [];
  let cumulative = 0;
  for (const upperBound of metric.upperBounds!) {
    cumulative += entry.bucketValues[upperBound]!;
    lines.push(`${bucket}${upperBound}${tail}${valueAsString(cumulative)}`);
  }
  lines.push(`${bucket}+Inf${tail}${valueAsString(entry.count)}`);
  const labels = labelText ? `{${labelText}} ` : ' ';
  lines.push(`${metric.name}_sum${labels}${valueAsString(entry.sum)}`);
  lines.push(`${metric.name}_count${labels}${valueAsString(entry.count)}\n`);
  const text = lines.join('\n');
  return {
    entry,
    labels: entry.labels,
    labelText,
    value: entry.sum,
    count: entry.count,
    text,
    bytes: Buffer.byteLength(text),
  };
};

/** prom-client's label formatting: the label object's own key order, values escaped when they are strings. */
function formatLabels(labels: Labels): string {
  let out = '';
  for (const [name, value] of Object.entries(labels)) {
    const text = typeof value === 'string' ? escapeString(value).replace(/"/g, '\\"') : value;
    out += `${out ? ',' : ''}${name}="${text}"`;
  }
  return out;
}

function escapeString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** prom-client's value formatting, down to its spelling of NaN. */
function valueAsString(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}
