// The process_* and nodejs_* metrics, rendered from one plain sample of the process (read by
// src/web/io/process-metrics.ts). Names, types, help and labels are prom-client's default metrics
// (less its gauges named like counters, which `promtool check metrics` reports), so dashboards
// built on them keep working; the exporter no longer ships prom-client for these few lines.
import { formatLabels, formatValue } from '../../scrape/core/exposition.js';
import type { LabelValues } from '../../scrape/core/const-metric.js';

/** Upper bounds of the GC duration histogram, in seconds (prom-client's defaults). */
export const GC_DURATION_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5] as const;

/** One GC kind's observations: per-bucket counts (not cumulative), their sum and count. */
export interface GcKindDurations {
  buckets: number[];
  sum: number;
  count: number;
}

/** GC durations by kind (`minor`, `major`, `incremental`, `weakcb`), in the order first seen. */
export type GcDurations = Map<string, GcKindDurations>;

export function recordGcDuration(durations: GcDurations, kind: string, seconds: number): void {
  let of = durations.get(kind);
  if (!of) {
    of = { buckets: GC_DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
    durations.set(kind, of);
  }
  const bucket = GC_DURATION_BUCKETS.findIndex((le) => seconds <= le);
  if (bucket >= 0) of.buckets[bucket]! += 1;
  of.sum += seconds;
  of.count += 1;
}

/** Event-loop delay percentiles since the last sample, in seconds (NaN when none was recorded). */
export interface EventLoopDelay {
  min: number;
  max: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
}

export interface HeapSpace {
  /** V8's space name less `_space` (`new`, `old`, `code`, `large_object`, ...). */
  space: string;
  totalBytes: number;
  usedBytes: number;
  availableBytes: number;
}

/** Sizes from /proc/self/status, in bytes. */
export interface ProcMemory {
  residentBytes: number;
  virtualBytes: number;
  dataBytes: number;
}

export interface ProcessSample {
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  startTimeSeconds: number;
  /** Absent when /proc/self/status could not be read. */
  memory?: ProcMemory;
  openFds?: number;
  maxFds?: number;
  /** How late the last probe's setImmediate ran. */
  eventLoopLagSeconds: number;
  eventLoopDelay: EventLoopDelay;
  /** Counts by type (process.getActiveResourcesInfo, libuv handles and requests by class name). */
  activeResources: ReadonlyMap<string, number>;
  activeHandles: ReadonlyMap<string, number>;
  activeRequests: ReadonlyMap<string, number>;
  heapTotalBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  heapSpaces: readonly HeapSpace[];
  /** process.version, e.g. `v20.20.2`. */
  nodeVersion: string;
  gc: GcDurations;
}

const kB = 1024;

/** VmRSS, VmSize and VmData of /proc/<pid>/status, or undefined when one is missing. */
export function parseProcStatus(text: string): ProcMemory | undefined {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s*(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) * kB : undefined;
  };
  const [residentBytes, virtualBytes, dataBytes] = [field('VmRSS'), field('VmSize'), field('VmData')];
  if (residentBytes === undefined || virtualBytes === undefined || dataBytes === undefined) return undefined;
  return { residentBytes, virtualBytes, dataBytes };
}

/** The soft limit of "Max open files" in /proc/<pid>/limits (undefined when unlimited or absent). */
export function parseMaxOpenFiles(text: string): number | undefined {
  const match = /^Max open files\s+(\d+)\s/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Counts of equal names (for the active resources, handles and requests). */
export function countByName(names: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

type Type = 'gauge' | 'counter' | 'histogram';

class FamilyWriter {
  private readonly blocks: string[] = [];

  family(name: string, type: Type, help: string, lines: readonly string[]): this {
    this.blocks.push([`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines].join('\n'));
    return this;
  }

  /** One unlabelled series (nothing when the value is unknown). */
  single(name: string, type: Type, help: string, value: number | undefined): this {
    return value === undefined ? this : this.family(name, type, help, [sample(name, {}, value)]);
  }

  text(): string {
    return `${this.blocks.join('\n\n')}\n`;
  }
}

function sample(name: string, labels: LabelValues, value: number): string {
  const text = formatLabels(labels);
  return text ? `${name}{${text}} ${formatValue(value)}` : `${name} ${formatValue(value)}`;
}

const byType = (name: string, counts: ReadonlyMap<string, number>) => [...counts].map(([type, n]) => sample(name, { type }, n));

function gcLines(name: string, gc: GcDurations): string[] {
  const lines: string[] = [];
  for (const [kind, of] of gc) {
    let cumulative = 0;
    GC_DURATION_BUCKETS.forEach((le, i) => {
      cumulative += of.buckets[i]!;
      lines.push(sample(`${name}_bucket`, { le, kind }, cumulative));
    });
    lines.push(sample(`${name}_bucket`, { le: '+Inf', kind }, of.count));
    lines.push(sample(`${name}_sum`, { kind }, of.sum));
    lines.push(sample(`${name}_count`, { kind }, of.count));
  }
  return lines;
}

/** The process metrics in the text format: families separated by a blank line, a final newline. */
export function renderProcessMetrics(s: ProcessSample): string {
  const delay = s.eventLoopDelay;
  const [major, minor, patch] = s.nodeVersion.replace(/^v/, '').split('.');
  const spaces = (name: string, value: (h: HeapSpace) => number) => s.heapSpaces.map((h) => sample(name, { space: h.space }, value(h)));
  return new FamilyWriter()
    .single('process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.', s.cpuUserSeconds)
    .single('process_cpu_system_seconds_total', 'counter', 'Total system CPU time spent in seconds.', s.cpuSystemSeconds)
    .single('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', s.cpuUserSeconds + s.cpuSystemSeconds)
    .single('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', s.startTimeSeconds)
    .single('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', s.memory?.residentBytes)
    .single('process_virtual_memory_bytes', 'gauge', 'Virtual memory size in bytes.', s.memory?.virtualBytes)
    .single('process_heap_bytes', 'gauge', 'Process heap size in bytes.', s.memory?.dataBytes)
    .single('process_open_fds', 'gauge', 'Number of open file descriptors.', s.openFds)
    .single('process_max_fds', 'gauge', 'Maximum number of open file descriptors.', s.maxFds)
    .single('nodejs_eventloop_lag_seconds', 'gauge', 'Lag of event loop in seconds.', s.eventLoopLagSeconds)
    .single('nodejs_eventloop_lag_min_seconds', 'gauge', 'The minimum recorded event loop delay.', delay.min)
    .single('nodejs_eventloop_lag_max_seconds', 'gauge', 'The maximum recorded event loop delay.', delay.max)
    .single('nodejs_eventloop_lag_mean_seconds', 'gauge', 'The mean of the recorded event loop delays.', delay.mean)
    .single('nodejs_eventloop_lag_stddev_seconds', 'gauge', 'The standard deviation of the recorded event loop delays.', delay.stddev)
    .single('nodejs_eventloop_lag_p50_seconds', 'gauge', 'The 50th percentile of the recorded event loop delays.', delay.p50)
    .single('nodejs_eventloop_lag_p90_seconds', 'gauge', 'The 90th percentile of the recorded event loop delays.', delay.p90)
    .single('nodejs_eventloop_lag_p99_seconds', 'gauge', 'The 99th percentile of the recorded event loop delays.', delay.p99)
    .family('nodejs_active_resources', 'gauge', 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.', byType('nodejs_active_resources', s.activeResources))
    .family('nodejs_active_handles', 'gauge', 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.', byType('nodejs_active_handles', s.activeHandles))
    .family('nodejs_active_requests', 'gauge', 'Number of active libuv requests grouped by request type. Every request type is C++ class name.', byType('nodejs_active_requests', s.activeRequests))
    .single('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', s.heapTotalBytes)
    .single('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', s.heapUsedBytes)
    .single('nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes.', s.externalBytes)
    .family('nodejs_heap_space_size_total_bytes', 'gauge', 'Process heap space size total from Node.js in bytes.', spaces('nodejs_heap_space_size_total_bytes', (h) => h.totalBytes))
    .family('nodejs_heap_space_size_used_bytes', 'gauge', 'Process heap space size used from Node.js in bytes.', spaces('nodejs_heap_space_size_used_bytes', (h) => h.usedBytes))
    .family('nodejs_heap_space_size_available_bytes', 'gauge', 'Process heap space size available from Node.js in bytes.', spaces('nodejs_heap_space_size_available_bytes', (h) => h.availableBytes))
    .family('nodejs_version_info', 'gauge', 'Node.js version info.', [sample('nodejs_version_info', { version: s.nodeVersion, major: major ?? '', minor: minor ?? '', patch: patch ?? '' }, 1)])
    .family('nodejs_gc_duration_seconds', 'histogram', 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.', gcLines('nodejs_gc_duration_seconds', s.gc))
    .text();
}
