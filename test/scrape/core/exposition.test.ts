// prom-client is the reference formatter: the fast writer must produce its output byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Config } from '../../../src/common/core/config.js';
import { renderMetrics, renderMetricsBytes, type ScrapeInput } from '../../../src/scrape/core/metrics.js';
import { parseMapsReply } from '../../../src/scrape/core/parse-multipathd.js';
import { generatedMaps, mapsReply } from '../../../src/sim/maps-reply.js';
import { FIXTURES } from '../../support/fixtures.js';
import { goldenCases } from '../../support/golden.js';
import { buildRegistry, NO_FAILURES, snapshotFromFixture, snapshotOfReply } from '../../support/scrape.js';

const CONFIG = Config.parse({
  cluster: { nodes: ['pve1'], luns: [{ wwid: '36001405a3f9c2e7d1b84c0e9d2f6a7b1', alias: 'a', paths: 2, usedBy: 'quote " back \\ slash\nnewline' }] },
});

function input(snapshot: ScrapeInput['snapshot'], overrides: Partial<ScrapeInput> = {}): ScrapeInput {
  return { snapshot, failures: { ...NO_FAILURES, timeout: 4 }, config: CONFIG, nodename: 'pve1', version: '1.0.0', configStatus: { path: '/c', valid: false, errors: ['x'], digest: 'd', applyEnabled: true, lastApply: { finishedAt: 1.5e12, success: true, errors: [], changes: [], changed: true, reloadSuccess: true, refused: [] }, lastChangeAt: 1.4e12 }, ...overrides };
}

describe('renderMetrics equals prom-client Registry.metrics()', () => {
  it.each(goldenCases().map((c) => c.reply))('for %s', async (reply) => {
    const scrape = input(snapshotOfReply(readFileSync(`${FIXTURES}${reply}`, 'utf8')));
    expect(renderMetrics(scrape)).toBe(await buildRegistry(scrape).metrics());
  });

  it('for a failed collection', async () => {
    const scrape = input({ ok: false, takenAt: 0, durationSeconds: 0.2, reason: 'bad_output', message: 'x' });
    expect(renderMetrics(scrape)).toBe(await buildRegistry(scrape).metrics());
  });

  it('for 200 generated maps, label values needing escapes, NaN and infinities', async () => {
    const parsed = parseMapsReply(mapsReply(generatedMaps(200, 4)));
    if (!parsed.ok) throw new Error(parsed.message);
    const maps = parsed.value.maps.map((m, i) => ({ ...m, vendor: i === 0 ? 'odd "vendor" \\ \n' : m.vendor, sizeBytes: i === 1 ? Number.POSITIVE_INFINITY : i === 2 ? Number.NaN : i === 3 ? Number.NEGATIVE_INFINITY : 1024 }));
    const scrape = input({ ok: true, takenAt: 0, durationSeconds: 0.5, maps, skipped: { no_wwid: 2, invalid_wwid: 1, duplicate_wwid: 0, malformed: 3 }, dropped: { path_group: 1, path: 4 } }, { config: Config.parse({ ...CONFIG, listen: ':1', perPathMetrics: true }) });
    const fast = renderMetrics(scrape);
    expect(fast).toContain('vendor="odd \\"vendor\\" \\\\ \\n"');
    expect(fast).toContain(' +Inf\n');
    expect(fast).toBe(await buildRegistry(scrape).metrics());
  });
});

describe('renderMetricsBytes (head + memoizable map section)', () => {
  it.each(['all-six-maps.json', 'no-maps.json', 'edge-undef-unknown-marginal.json'])('equals the one-piece render for %s', (fixture) => {
    const scrape = input(snapshotFromFixture(fixture));
    expect(renderMetricsBytes(scrape).toString('utf8')).toBe(renderMetrics(scrape));
  });

  it('equals the one-piece render for a failed collection', () => {
    const scrape = input({ ok: false, takenAt: 0, durationSeconds: 1, reason: 'daemon_down', message: 'x' });
    expect(renderMetricsBytes(scrape).toString('utf8')).toBe(renderMetrics(scrape));
  });
});
