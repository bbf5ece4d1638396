// The soak's short form (50 scrapers for 3 s against a real `serve` over loopback): correctness
// only, never speed. Every scrape answers 200 with multipath_up 1, and the collections never
// overlap (single-flight), so there are fewer multipathd calls than scrapes.
import { describe, expect, it } from 'vitest';
import { loadRun } from '../../../bench/load-run.js';

describe('50 concurrent scrapers for 3 s against serve', () => {
  it('answers every scrape and never runs two collections at once', async () => {
    const r = await loadRun({ exporter: ['node', '--import', 'tsx', 'src/cli.ts'], scrapers: 50, seconds: 3, maps: 10, replyDelayMs: 20, maxRequests: 20_000 });
    console.log('50 scrapers x 3 s:', { requests: r.requests, errors: r.errors, multipathdCalls: r.multipathdCalls, maxConcurrentCalls: r.maxConcurrentCalls });
    expect(r.firstError).toBeUndefined();
    expect(r.errors).toBe(0);
    expect(r.requests).toBeGreaterThan(50);
    expect(r.maxConcurrentCalls).toBe(1);
    expect(r.multipathdCalls).toBeGreaterThan(0);
    expect(r.multipathdCalls).toBeLessThan(r.requests);
  });
});
