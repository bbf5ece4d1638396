import { describe, expect, it } from 'vitest';
import { parseMaxOpenFiles, parseProcStatus, recordGcDuration, renderProcessMetrics, type GcDurations, type ProcessSample } from '../../../src/web/core/process-metrics.js';
import { parseExposition } from '../../support/scrape.js';

const STATUS = ['Name:\tnode', 'VmPeak:\t 1200000 kB', 'VmSize:\t 1100000 kB', 'VmHWM:\t   90000 kB', 'VmRSS:\t   80000 kB', 'VmData:\t  200000 kB', 'Threads:\t11', ''].join('\n');
const LIMITS = ['Limit                     Soft Limit           Hard Limit           Units     ', 'Max processes             63704                63704                processes ', 'Max open files            1024                 524288               files     ', ''].join('\n');

function sample(gc: GcDurations = new Map()): ProcessSample {
  return {
    cpuUserSeconds: 1.5,
    cpuSystemSeconds: 0.25,
    startTimeSeconds: 1_700_000_000,
    memory: parseProcStatus(STATUS),
    openFds: 12,
    maxFds: parseMaxOpenFiles(LIMITS),
    eventLoopLagSeconds: 0.002,
    eventLoopDelay: { min: 0.01, max: 0.03, mean: NaN, stddev: 0, p50: 0.01, p90: 0.02, p99: 0.03 },
    activeResources: new Map([['TCPServerWrap', 1], ['Timeout', 2]]),
    activeHandles: new Map(),
    activeRequests: new Map([['FSReqCallback', 1]]),
    heapTotalBytes: 30e6,
    heapUsedBytes: 20e6,
    externalBytes: 3e6,
    heapSpaces: [{ space: 'new', totalBytes: 16, usedBytes: 8, availableBytes: 4 }, { space: 'old', totalBytes: 32, usedBytes: 24, availableBytes: 2 }],
    nodeVersion: 'v18.20.4',
    gc,
  };
}

describe('process metrics rendering', () => {
  it('parses /proc/self/status sizes in bytes and the soft open-files limit', () => {
    expect(parseProcStatus(STATUS)).toEqual({ residentBytes: 80000 * 1024, virtualBytes: 1100000 * 1024, dataBytes: 200000 * 1024 });
    expect(parseProcStatus('Name:\tnode\n')).toBeUndefined();
    expect(parseMaxOpenFiles(LIMITS)).toBe(1024);
    expect(parseMaxOpenFiles('Max open files            unlimited            unlimited            files\n')).toBeUndefined();
  });

  it('renders every value of the sample under its family', () => {
    const families = parseExposition(renderProcessMetrics(sample()));
    const one = (name: string) => families.get(name)!.series.map((s) => [s.labels, s.value]);
    expect(one('process_cpu_seconds_total')).toEqual([[{}, 1.75]]);
    expect(one('process_resident_memory_bytes')).toEqual([[{}, 80000 * 1024]]);
    expect(one('process_heap_bytes')).toEqual([[{}, 200000 * 1024]]);
    expect(one('process_max_fds')).toEqual([[{}, 1024]]);
    expect(one('nodejs_eventloop_lag_mean_seconds')).toEqual([[{}, NaN]]);
    expect(one('nodejs_active_resources')).toEqual([[{ type: 'TCPServerWrap' }, 1], [{ type: 'Timeout' }, 2]]);
    expect(families.get('nodejs_active_handles')).toMatchObject({ type: 'gauge', series: [] });
    expect(one('nodejs_heap_space_size_used_bytes')).toEqual([[{ space: 'new' }, 8], [{ space: 'old' }, 24]]);
    expect(one('nodejs_version_info')).toEqual([[{ version: 'v18.20.4', major: '18', minor: '20', patch: '4' }, 1]]);
  });

  it('leaves out what could not be read, keeping the rest', () => {
    const text = renderProcessMetrics({ ...sample(), memory: undefined, openFds: undefined, maxFds: undefined });
    expect(text).not.toMatch(/^process_(resident_memory|virtual_memory|heap)_bytes|^process_(open|max)_fds/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('writes the GC histogram with cumulative buckets, +Inf, sum and count per kind', () => {
    const gc: GcDurations = new Map();
    for (const seconds of [0.0005, 0.004, 0.004, 0.3, 7]) recordGcDuration(gc, 'minor', seconds);
    recordGcDuration(gc, 'major', 0.02);
    const families = parseExposition(renderProcessMetrics(sample(gc)));
    const buckets = families.get('nodejs_gc_duration_seconds_bucket')!.series.filter((s) => s.labels.kind === 'minor').map((s) => [s.labels.le, s.value]);
    expect(buckets).toEqual([['0.001', 1], ['0.01', 3], ['0.1', 3], ['1', 4], ['2', 4], ['5', 4], ['+Inf', 5]]);
    expect(families.get('nodejs_gc_duration_seconds_sum')!.series[0]!.value).toBeCloseTo(7.3085, 9);
    expect(families.get('nodejs_gc_duration_seconds_count')!.series.map((s) => [s.labels.kind, s.value])).toEqual([['minor', 5], ['major', 1]]);
  });

  it('separates families by one blank line and ends with a newline, as the rest of the exposition', () => {
    const text = renderProcessMetrics(sample());
    expect(text.endsWith('\n') && !text.endsWith('\n\n')).toBe(true);
    expect(text.split('\n\n').every((block) => block.startsWith('# HELP '))).toBe(true);
  });
});
