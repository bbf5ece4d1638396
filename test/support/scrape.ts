import { type Metric, Registry } from 'prom-client';
import { Config } from '../../src/common/core/config.js';
import type { ConstMetric, LabelValues } from '../../src/scrape/core/const-metric.js';
import { METRIC_FAMILIES } from '../../src/scrape/core/metric-families.js';
import type { ScrapeInput } from '../../src/scrape/core/metrics.js';
import { buildMetrics } from './map-metrics.js';
import { parseDaemonReply, parseMapsReply, parseStatusReply } from '../../src/scrape/core/parse-multipathd.js';
import type { GoodSnapshot, Snapshot } from '../../src/scrape/core/snapshot.js';
import type { CollectionFailure } from '../../src/scrape/core/states.js';
import { multipathdFixture } from './fixtures.js';
import { parseSampleLine } from './exposition-samples.js';

export const NO_FAILURES: Record<CollectionFailure, number> = { daemon_down: 0, timeout: 0, fail: 0, bad_output: 0, too_large: 0, permission: 0 };

/**
 * The snapshot a collection of these replies gives (a failed one when the maps reply does not
 * parse; no sysfs facts). Without a `show daemon` reply: `pid 1842 idle`; without a `show status`
 * reply: no status (as when the command fails). A daemon or status reply that does not parse throws.
 */
export function snapshotOfReply(reply: string, replies: { daemon?: string; status?: string } = {}): Snapshot {
  const parsed = parseMapsReply(reply);
  const base = { takenAt: 0, durationSeconds: 0.0125 };
  if (!parsed.ok) return { ok: false, ...base, reason: parsed.reason, message: parsed.message };
  const daemon = parseDaemonReply(replies.daemon ?? 'pid 1842 idle\n');
  if (!daemon.ok) throw new Error(`not a show daemon reply: ${daemon.message}`);
  const status = replies.status === undefined ? undefined : parseStatusReply(replies.status);
  if (status && !status.ok) throw new Error(`not a show status reply: ${status.message}`);
  return { ok: true, ...base, daemon: daemon.value, ...(status?.ok ? { status: status.value } : {}), ...parsed.value };
}

/** A good snapshot from a recorded reply in fixtures/multipathd/ (no sysfs facts unless given). */
export function snapshotFromFixture(name: string, extra: Partial<GoodSnapshot> = {}): GoodSnapshot {
  const snapshot = snapshotOfReply(multipathdFixture(name));
  if (!snapshot.ok) throw new Error(snapshot.message);
  return { ...snapshot, ...extra };
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

export { samples, series } from './exposition-samples.js';

export interface ExpositionFamily {
  help?: string;
  type?: string;
  series: { labels: Record<string, string>; value: number }[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/**
 * Parses the Prometheus text format strictly (what the exporter writes: HELP and TYPE before the
 * series, one family in one block) and throws on anything else: a malformed line, a family
 * declared twice or split, a series repeated with the same label set.
 */
export function parseExposition(text: string): Map<string, ExpositionFamily> {
  const families = new Map<string, ExpositionFamily>();
  const seen = new Set<string>();
  let current: string | undefined;
  const familyOf = (name: string, line: string) => {
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name: ${line}`);
    // A histogram's samples: under their own names, each kind's buckets, sum and count in turn.
    if (current !== undefined && families.get(current)?.type === 'histogram' && HISTOGRAM_SUFFIXES.some((s) => name === `${current}${s}`)) {
      if (!families.has(name)) families.set(name, { series: [] });
      return families.get(name)!;
    }
    if (name !== current && families.has(name)) throw new Error(`family ${name} declared again or split: ${line}`);
    current = name;
    if (!families.has(name)) families.set(name, { series: [] });
    return families.get(name)!;
  };
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  for (const line of text.split('\n').slice(0, -1)) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      const family = familyOf(comment[2]!, line);
      const key = comment[1] === 'HELP' ? 'help' : 'type';
      if (family[key] !== undefined) throw new Error(`second ${comment[1]}: ${line}`);
      if (key === 'type' && !['gauge', 'counter', 'histogram', 'summary', 'untyped'].includes(comment[3]!)) throw new Error(`bad type: ${line}`);
      family[key] = comment[3]!;
      continue;
    }
    const { name, labels, value } = parseSampleLine(line);
    const family = familyOf(name, line);
    const identity = `${name}{${Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (seen.has(identity)) throw new Error(`duplicate series ${identity}`);
    seen.add(identity);
    family.series.push({ labels, value });
  }
  return families;
}

/**
 * What in an exposition breaks the declared families (src/scrape/core/metric-families.ts): an
 * undeclared family, another type or help, other label names, a state outside the state set. The
 * strict parse throws first on a malformed line or a duplicate series. Returns the families seen.
 */
export function checkAgainstFamilies(text: string): { violations: string[]; seen: string[] } {
  const declared = new Map(METRIC_FAMILIES.map((f) => [f.name, f]));
  const violations: string[] = [];
  const families = parseExposition(text);
  for (const [name, family] of families) {
    const contract = declared.get(name);
    if (!contract) {
      violations.push(`${name} is not declared`);
      continue;
    }
    if (family.type !== contract.type || family.help !== contract.help) violations.push(`${name}: type or help differ from the declaration`);
    const labels = [...contract.labels].sort().join(',');
    for (const series of family.series) {
      if (Object.keys(series.labels).sort().join(',') !== labels) violations.push(`${name}: labels ${Object.keys(series.labels).join(',')}, declared ${labels}`);
      if (contract.states && !contract.states.values.includes(series.labels[contract.states.label]!)) violations.push(`${name}: state ${series.labels[contract.states.label]} not in the set`);
    }
  }
  return { violations, seen: [...families.keys()] };
}
