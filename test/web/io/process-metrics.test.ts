import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startProcessMetrics } from '../../../src/web/io/process-metrics.js';
import { parseExposition } from '../../support/scrape.js';

/** prom-client's default metrics as the exporter shipped them: less the gauges named like counters. */
function promClientReference(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const metric of registry.getMetricsAsArray()) {
    if (metric.name.endsWith('_total') && !(metric instanceof Counter)) registry.removeSingleMetric(metric.name);
  }
  return registry;
}

/** Per family: type, help and the label names its series carry. */
function shape(text: string) {
  return [...parseExposition(text)].map(([name, f]) => ({ name, type: f.type, help: f.help, labels: [...new Set(f.series.map((s) => Object.keys(s.labels).sort().join(',')))] }));
}

const gcBurst = () => {
  for (let i = 0; i < 20; i++) new Array(100_000).fill(i).map(String);
};

describe('process metrics', () => {
  it('has prom-client default metrics, family for family: names, order, types, help and label names', async () => {
    const ours = startProcessMetrics();
    const reference = promClientReference();
    gcBurst();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [text, theirs] = [ours.render(), await reference.metrics()];
    expect(theirs).toMatch(/^nodejs_gc_duration_seconds_count/m);
    // Both saw the same collections, but a kind may tick between the two renders.
    const gcKindsAside = (s: ReturnType<typeof shape>) => s.map((f) => (f.name.startsWith('nodejs_gc_duration_seconds_') ? { ...f, labels: [] } : f));
    expect(gcKindsAside(shape(text))).toEqual(gcKindsAside(shape(theirs)));
  });

  it('reads this process: memory from /proc/self, CPU, descriptors, version, GC', async () => {
    const metrics = startProcessMetrics();
    gcBurst();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const families = parseExposition(metrics.render());
    const value = (name: string, labels: Record<string, string> = {}) => families.get(name)?.series.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    const rss = process.memoryUsage().rss;
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(rss * 0.5);
    expect(value('process_resident_memory_bytes')).toBeLessThan(rss * 2);
    expect(value('process_cpu_seconds_total')).toBeCloseTo(value('process_cpu_user_seconds_total')! + value('process_cpu_system_seconds_total')!, 9);
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(Math.abs(value('process_start_time_seconds')! - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
    expect(value('process_open_fds')).toBeGreaterThan(2);
    expect(value('process_max_fds')).toBeGreaterThanOrEqual(value('process_open_fds')!);
    expect(value('nodejs_version_info', { version: process.version, major: String(process.versions.node.split('.')[0]) })).toBe(1);
    expect(value('nodejs_heap_space_size_used_bytes', { space: 'old' })).toBeGreaterThan(0);
    const gcCounts = families.get('nodejs_gc_duration_seconds_count')?.series ?? [];
    expect(gcCounts.reduce((n, s) => n + s.value, 0)).toBeGreaterThan(0);
    for (const { labels, value: count } of gcCounts) expect(value('nodejs_gc_duration_seconds_bucket', { le: '+Inf', kind: labels.kind! })).toBe(count);
  });
});
