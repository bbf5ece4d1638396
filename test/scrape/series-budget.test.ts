// The series budget of the metric contract (docs/metrics.md, "Cardinality"): at most 16 series per
// map, 2 per path group and 6 per path. Held three ways: on the declared families (their worst
// case, every optional series present), on a real collection of the benchmark's 1000 maps x 4
// paths in 2 groups (through the fake multipathd's socket and the collector, as a scrape does), and
// on the exposition of every real reply captured in the lab.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/common/core/config.js';
import { memoryLogger } from '../../src/common/io/log.js';
import { MAP_SECTION } from '../../src/scrape/core/metric-families.js';
import { renderMetrics } from '../../src/scrape/core/metrics.js';
import { createCollector } from '../../src/scrape/io/collector.js';
import { socketClient } from '../../src/scrape/io/multipathd-client.js';
import { type FakeMultipathd, startFakeMultipathd } from '../../src/sim/fake-multipathd.js';
import { generatedMaps, mapsReply, statusReply } from '../../src/sim/maps-reply.js';
import { FIXTURES } from '../support/fixtures.js';
import { goldenCases } from '../support/golden.js';
import { NO_FAILURES } from '../support/scrape.js';
import { countSeries, levelOf } from '../support/series-count.js';

const BUDGET = { map: 16, group: 2, path: 6 } as const;

let fake: FakeMultipathd;
const maps = generatedMaps(1000, 4);
beforeAll(async () => {
  const reply = mapsReply(maps);
  const status = statusReply(maps);
  fake = await startFakeMultipathd({
    socket: `@mpe-budget-${process.pid}`,
    respond: (c) => (c === 'show daemon' ? 'pid 1 idle\n' : c === 'show status' ? status : reply),
  });
});
afterAll(() => fake?.close());

describe('series budget', () => {
  it('holds on the declared families, every optional series counted', () => {
    const worst = { map: 0, group: 0, path: 0 };
    for (const family of Object.values(MAP_SECTION)) {
      const level = levelOf(family.name, family.labels);
      if (level !== 'head') worst[level] += family.states ? family.states.values.length : 1;
    }
    expect(worst).toEqual({ map: 16, group: 2, path: 5 });
    for (const level of ['map', 'group', 'path'] as const) expect(worst[level]).toBeLessThanOrEqual(BUDGET[level]);
  });

  it('holds on a real collection of the benchmark reply, 1000 maps x 4 paths in 2 groups', async () => {
    const collector = createCollector({
      client: () => socketClient({ socket: fake.socket, timeoutMs: 30_000, maxReplyBytes: 64 << 20 }),
      sysfsRoot: () => '/nonexistent-sysfs',
      log: memoryLogger(),
    });
    const snapshot = await collector.collect();
    expect(snapshot).toMatchObject({ ok: true, status: { monitored: 4000 } });
    const count = countSeries(renderMetrics({ snapshot, failures: NO_FAILURES, config: Config.parse({}), nodename: 'bench', version: '1' }));
    expect(count.objects).toEqual({ map: 1000, group: 2000, path: 4000 });
    for (const level of ['map', 'group', 'path'] as const) expect(count.worst[level]).toBeLessThanOrEqual(BUDGET[level]);
    expect(count.byLevel.map + count.byLevel.group + count.byLevel.path).toBeLessThanOrEqual(16_000 + 4_000 + 24_000);
  });

  it.each(goldenCases().filter((c) => c.reply.startsWith('real/')).map((c) => [c.golden] as const))('holds on the lab reply %s', (golden) => {
    const count = countSeries(readFileSync(`${FIXTURES}${golden}`, 'utf8'));
    for (const level of ['map', 'group', 'path'] as const) expect(count.worst[level]).toBeLessThanOrEqual(BUDGET[level]);
  });

  it('the count is live: one path series more is seen', () => {
    const line = (name: string, labels: string) => `${name}{${labels}} 1\n`;
    const fivePerPath = ['multipath_path_active', 'multipath_path_priority', 'multipath_path_marginal', 'multipath_path_state', 'multipath_path_info']
      .map((n) => line(n, 'wwid="w",dev="sda"'))
      .join('');
    expect(countSeries(fivePerPath).worst.path).toBe(5);
    expect(countSeries(fivePerPath + line('multipath_path_active', 'wwid="w",dev="sda",extra="1"')).worst.path).toBe(6);
  });
});
