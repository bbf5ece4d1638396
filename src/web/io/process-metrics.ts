// Samples this process for the process_* and nodejs_* metrics (rendered by
// src/web/core/process-metrics.ts): /proc/self, process and v8 statistics, an event-loop delay
// monitor and a GC observer, started once per app and never keeping the process alive.
import { readdirSync, readFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import {
  countByName,
  parseMaxOpenFiles,
  parseProcStatus,
  recordGcDuration,
  renderProcessMetrics,
  type GcDurations,
  type ProcessSample,
} from '../core/process-metrics.js';

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

function readOr<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

const seconds = (nanoseconds: number) => nanoseconds / 1e9;

/** Class names of the libuv handles or requests (Node's own, undocumented but stable lists). */
function classNames(list: readonly unknown[] | undefined): string[] {
  return (list ?? []).flatMap((item) => (item && typeof item === 'object' && item.constructor ? [item.constructor.name] : []));
}

export interface ProcessMetrics {
  /** One sample, rendered (the event-loop delay percentiles restart after each). */
  render(): string;
}

export function startProcessMetrics(): ProcessMetrics {
  // The process start from its uptime, as the Go client reads it from /proc/self/stat.
  const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());
  const maxFds = readOr(() => parseMaxOpenFiles(readFileSync('/proc/self/limits', 'utf8')));
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const gc: GcDurations = new Map();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? -1];
      if (kind) recordGcDuration(gc, kind, entry.duration / 1000);
    }
  }).observe({ entryTypes: ['gc'] });
  // How late a setImmediate runs, measured at one render and reported at the next (a render never
  // waits for the loop it measures).
  let lagSeconds = 0;
  const probeLag = () => {
    const start = process.hrtime.bigint();
    setImmediate(() => {
      lagSeconds = seconds(Number(process.hrtime.bigint() - start));
    });
  };

  const handles = process as unknown as { _getActiveHandles?: () => unknown[]; _getActiveRequests?: () => unknown[] };
  return {
    render() {
      probeLag();
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      const sample: ProcessSample = {
        cpuUserSeconds: cpu.user / 1e6,
        cpuSystemSeconds: cpu.system / 1e6,
        startTimeSeconds,
        memory: readOr(() => parseProcStatus(readFileSync('/proc/self/status', 'utf8'))),
        // Less the descriptor readdir itself held open.
        openFds: readOr(() => readdirSync('/proc/self/fd').length - 1),
        maxFds,
        eventLoopLagSeconds: lagSeconds,
        eventLoopDelay: {
          min: seconds(delay.min),
          max: seconds(delay.max),
          mean: seconds(delay.mean),
          stddev: seconds(delay.stddev),
          p50: seconds(delay.percentile(50)),
          p90: seconds(delay.percentile(90)),
          p99: seconds(delay.percentile(99)),
        },
        activeResources: countByName(process.getActiveResourcesInfo()),
        activeHandles: countByName(classNames(handles._getActiveHandles?.())),
        activeRequests: countByName(classNames(handles._getActiveRequests?.())),
        heapTotalBytes: memory.heapTotal,
        heapUsedBytes: memory.heapUsed,
        externalBytes: memory.external,
        heapSpaces: getHeapSpaceStatistics().map((h) => ({
          space: h.space_name.replace(/_space$/, ''),
          totalBytes: h.space_size,
          usedBytes: h.space_used_size,
          availableBytes: h.space_available_size,
        })),
        nodeVersion: process.version,
        gc,
      };
      delay.reset();
      return renderProcessMetrics(sample);
    },
  };
}
