import { type Metric, Registry } from 'prom-client';
import { Config } from '../../src/common/core/config.js';
import type { ConstMetric, LabelValues } from '../../src/scrape/core/const-metric.js';
import { buildMetrics, type ScrapeInput } from '../../src/scrape/core/metrics.js';
import { parseMapsReply } from '../../src/scrape/core/parse-multipathd.js';
import type { GoodSnapshot } from '../../src/scrape/core/snapshot.js';
import type { CollectionFailure } from '../../src/scrape/core/states.js';
import { multipathdFixture } from './fixtures.js';

export const NO_FAILURES: Record<CollectionFailure, number> = { daemon_down: 0, timeout: 0, fail: 0, bad_output: 0, too_large: 0, permission: 0 };

/** A good snapshot from a recorded reply (no sysfs facts unless given). */
export function snapshotFromFixture(name: string, extra: Partial<GoodSnapshot> = {}): GoodSnapshot {
  const parsed = parseMapsReply(multipathdFixture(name));
  if (!parsed.ok) throw new Error(parsed.message);
  return { ok: true, takenAt: 0, durationSeconds: 0.0125, daemon: { pid: 1842, state: 'idle', stateRaw: 'idle' }, maps: parsed.value.maps, skipped: parsed.value.skipped, ...extra };
}

/**
 * A const metric as prom-client's metric interface (what Registry.metrics() calls): prom-client is
 * the reference formatter the exporter's own writer is held to, byte for byte.
 */
function promClientMetric(metric: ConstMetric): Metric {
  const values: { value: number; labels: LabelValues; sharedLabels?: LabelValues }[] = [];
  metric.forEachSeries((value, labels, sharedLabels) => values.push(sharedLabels ? { value, labels, sharedLabels } : { value, labels }));
  const { name, help, type } = metric.family;
  return { name, help, type, aggregator: 'sum', get: () => ({ name, help, type, aggregator: 'sum', values }) } as unknown as Metric;
}

/** One scrape's metrics in a fresh prom-client Registry (the reference for the exporter's writer). */
export function buildRegistry(input: ScrapeInput): Registry {
  const registry = new Registry();
  for (const metric of buildMetrics(input)) registry.registerMetric(promClientMetric(metric));
  return registry;
}

export async function exposition(input: Partial<ScrapeInput> & Pick<ScrapeInput, 'snapshot'>): Promise<string> {
  return buildRegistry({ failures: NO_FAILURES, config: Config.parse({}), nodename: 'pve1', version: '1.2.3', ...input }).metrics();
}

/** Parses exposition text into `name{labels} value` samples (comments dropped). */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** The label sets of a metric as sorted `k=v` strings (order of labels in the line is irrelevant). */
export function series(text: string, metric: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const [key, value] of samples(text)) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$/.exec(key);
    if (!m || m[1] !== metric) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    out.push({ labels, value });
  }
  return out;
}
