// Writes ConstMetrics in the Prometheus text format (0.0.4). It produces exactly what prom-client's
// Registry.metrics() produces for the same metrics (test/scrape/core/exposition.test.ts holds it to that,
// byte for byte) but ~10x faster: at 1000 maps x 4 paths a scrape has ~100k series, and
// prom-client's per-value formatting alone exceeded the scrape budget (docs/benchmarks.md).
import type { ConstMetric, LabelValues } from './const-metric.js';
import type { MetricFamily } from './metric-families.js';

/** HELP text and metric names: backslash and newline escaped. */
export const escapeText = (text: string) => (/[\\\n]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : text);
/** A label value: backslash, newline and double quote escaped. */
export const escapeLabelValue = (text: string) => (/[\\\n"]/.test(text) ? escapeText(text).replace(/"/g, '\\"') : text);

/** A sample value as prom-client writes it (NaN as `Nan`, infinities as `+Inf`/`-Inf`). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

/** `name="value"` pairs joined by commas, in the object's order (less any name in `exclude`). */
export function formatLabels(labels: LabelValues, exclude?: LabelValues): string {
  let out = '';
  for (const name in labels) {
    if (exclude && name in exclude) continue;
    const value = labels[name]!;
    out += `${out ? ',' : ''}${name}="${typeof value === 'string' ? escapeLabelValue(value) : value}"`;
  }
  return out;
}

/**
 * Formatted label text per (labels, sharedLabels) object pair: shared objects are formatted once.
 * Plain Maps, not WeakMaps: the cache lives for one render, and V8 scans WeakMap entries as
 * ephemerons on every GC (that cost more than the formatting). No closures: this runs per series.
 */
class LabelTextCache {
  private readonly alone = new Map<LabelValues, string>();
  private readonly combined = new Map<LabelValues, Map<LabelValues, string>>();

  text(labels: LabelValues, shared: LabelValues | undefined): string {
    if (!shared) {
      let text = this.alone.get(labels);
      if (text === undefined) {
        text = formatLabels(labels);
        this.alone.set(labels, text);
      }
      return text;
    }
    let byShared = this.combined.get(labels);
    if (!byShared) {
      byShared = new Map();
      this.combined.set(labels, byShared);
    }
    let text = byShared.get(shared);
    if (text === undefined) {
      const own = formatLabels(labels, shared);
      const rest = this.text(shared, undefined);
      text = own && rest ? `${own},${rest}` : own || rest;
      byShared.set(shared, text);
    }
    return text;
  }
}

/**
 * Appends text to a growing byte buffer. A rope string built with `+=` keeps every line alive until
 * the end, so each young-generation GC copied (and promoted) all of them; written bytes free the
 * line strings at once.
 */
class ByteWriter {
  private buffer = Buffer.allocUnsafe(1 << 20);
  private length = 0;

  write(text: string): void {
    // UTF-8 never needs more than 3 bytes per UTF-16 code unit.
    if (this.length + text.length * 3 > this.buffer.length) this.grow(this.length + text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  private grow(needed: number): void {
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** `# HELP` and `# TYPE` lines of a metric family (no trailing newline). */
export function metricHeader(family: MetricFamily): string {
  const name = escapeText(family.name);
  return `# HELP ${name} ${escapeText(family.help)}\n# TYPE ${name} ${family.type}`;
}

/** Emits a metric's series lines, each preceded by a newline. */
function emitSeries(metric: ConstMetric, labelText: LabelTextCache, emit: (line: string) => void): void {
  const name = escapeText(metric.name);
  metric.forEachSeries((value, labels, shared) => {
    const text = labelText.text(labels, shared);
    emit(text ? `\n${name}{${text}} ${formatValue(value)}` : `\n${name} ${formatValue(value)}`);
  });
}

/** The exposition as UTF-8 bytes, streamed into a buffer line by line (fit for the big map metrics). */
export function renderExpositionBytes(metrics: readonly ConstMetric[]): Buffer {
  const labelText = new LabelTextCache();
  const out = new ByteWriter();
  const write = (line: string) => out.write(line);
  metrics.forEach((metric, index) => {
    out.write(`${index > 0 ? '\n\n' : ''}${metricHeader(metric.family)}`);
    emitSeries(metric, labelText, write);
  });
  out.write('\n');
  return out.bytes();
}

/** A byte range of pre-rendered series lines (a map's fragments, src/scrape/core/metrics.ts). */
export interface ByteSlice {
  bytes: Buffer;
  start: number;
  end: number;
}

/** A metric given as its header and its pre-rendered series fragments. */
export interface FragmentedMetric {
  header: string;
  fragments: readonly ByteSlice[];
}

/**
 * One metric given as a header plus pre-rendered series fragments, written in the layout of
 * renderExpositionBytes: its lines with their final newline, or undefined when it has no series.
 * The chunks of the metrics with series, joined by METRIC_SEPARATOR, are renderExpositionBytes'
 * bytes for those metrics.
 */
export function assembleMetricChunk({ header, fragments }: FragmentedMetric): Buffer | undefined {
  let body = 0;
  for (const f of fragments) body += f.end - f.start;
  if (body === 0) return undefined;
  // Sized exactly: a chunk may be kept for many scrapes, and a grown buffer would keep its slack.
  const chunk = Buffer.allocUnsafe(Buffer.byteLength(header) + body + 1);
  let at = chunk.write(header, 0);
  for (const f of fragments) at += f.bytes.copy(chunk, at, f.start, f.end);
  chunk.write('\n', at);
  return chunk;
}

/** The blank line between two metrics' chunks. */
export const METRIC_SEPARATOR: Buffer = Buffer.from('\n');
