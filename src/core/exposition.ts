// Writes ConstMetrics in the Prometheus text format (0.0.4). It produces exactly what prom-client's
// Registry.metrics() produces for the same metrics (test/core/exposition.test.ts holds it to that,
// byte for byte) but ~10x faster: at 1000 maps x 4 paths a scrape has ~100k series, and
// prom-client's per-value formatting alone exceeded the scrape budget (docs/benchmarks.md).
import type { ConstMetric, LabelValues } from './const-metric.js';

const escapeText = (text: string) => (/[\\\n]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : text);
const escapeLabelValue = (text: string) => (/[\\\n"]/.test(text) ? escapeText(text).replace(/"/g, '\\"') : text);

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

function formatLabels(labels: LabelValues, exclude?: LabelValues): string {
  let out = '';
  for (const name in labels) {
    if (exclude && name in exclude) continue;
    const value = labels[name]!;
    out += `${out ? ',' : ''}${name}="${typeof value === 'string' ? escapeLabelValue(value) : value}"`;
  }
  return out;
}

/** Formatted label text per (labels, sharedLabels) object pair: shared objects are formatted once. Plain Maps, not WeakMaps: the cache lives for one render, and V8 scans WeakMap entries as ephemerons on every GC (that cost more than the formatting). */
class LabelTextCache {
  private readonly alone = new Map<LabelValues, string>();
  private readonly combined = new Map<LabelValues, Map<LabelValues, string>>();

  text(labels: LabelValues, shared: LabelValues | undefined): string {
    if (!shared) return this.format(this.alone, labels, () => formatLabels(labels));
    let byShared = this.combined.get(labels);
    if (!byShared) {
      byShared = new Map();
      this.combined.set(labels, byShared);
    }
    return this.format(byShared, shared, () => {
      const own = formatLabels(labels, shared);
      const rest = this.text(shared, undefined);
      return own && rest ? `${own},${rest}` : own || rest;
    });
  }

  private format(cache: Map<LabelValues, string>, key: LabelValues, make: () => string): string {
    let text = cache.get(key);
    if (text === undefined) {
      text = make();
      cache.set(key, text);
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

/** The exposition as UTF-8 bytes (what the HTTP handler sends). */
export function renderExpositionBytes(metrics: readonly ConstMetric[]): Buffer {
  const labelText = new LabelTextCache();
  const out = new ByteWriter();
  metrics.forEach((metric, index) => {
    const name = escapeText(metric.name);
    out.write(`${index > 0 ? '\n\n' : ''}# HELP ${name} ${escapeText(metric.help)}\n# TYPE ${name} ${metric.type}`);
    metric.forEachSeries((value, labels, shared) => {
      const text = labelText.text(labels, shared);
      out.write(text ? `\n${name}{${text}} ${formatValue(value)}` : `\n${name} ${formatValue(value)}`);
    });
  });
  out.write('\n');
  return out.bytes();
}

/** `# HELP` and `# TYPE` lines of a metric (no trailing newline). */
export function metricHeader(metric: ConstMetric): string {
  const name = escapeText(metric.name);
  return `# HELP ${name} ${escapeText(metric.help)}\n# TYPE ${name} ${metric.type}`;
}

/** A metric's series lines, each preceded by a newline ('' when it has none). For small metrics. */
export function seriesText(metric: ConstMetric): string {
  const labelText = new LabelTextCache();
  const name = escapeText(metric.name);
  let out = '';
  metric.forEachSeries((value, labels, shared) => {
    const text = labelText.text(labels, shared);
    out += text ? `\n${name}{${text}} ${formatValue(value)}` : `\n${name} ${formatValue(value)}`;
  });
  return out;
}

/**
 * Writes metrics given as a header plus pre-rendered series fragments (seriesText output), in the
 * same layout as renderExpositionBytes; a metric whose fragments are all empty is left out.
 */
export function assembleExposition(metrics: readonly { header: string; fragments: readonly string[] }[]): Buffer {
  const out = new ByteWriter();
  let first = true;
  for (const { header, fragments } of metrics) {
    if (!fragments.some((f) => f !== '')) continue;
    out.write(first ? header : `\n\n${header}`);
    first = false;
    for (const fragment of fragments) if (fragment !== '') out.write(fragment);
  }
  if (!first) out.write('\n');
  return out.bytes();
}

export function renderExposition(metrics: readonly ConstMetric[]): string {
  return renderExpositionBytes(metrics).toString('utf8');
}
