// The landing page as a person sees it: real headless Chromium renders the page served by the app.
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../../src/common/core/config.js';
import type { Collector } from '../../../src/scrape/io/collector.js';
import { createApp } from '../../../src/web/io/http.js';
import { memoryLogger } from '../../../src/common/io/log.js';
import { NO_FAILURES, snapshotFromFixture } from '../../support/scrape.js';

let server: Server;
let url: string;
let profile: string;

beforeAll(async () => {
  const snapshot = snapshotFromFixture('all-six-maps.json');
  snapshot.maps[1] = { ...snapshot.maps[1]!, sizeBytes: 107374182400, holders: 2 };
  const collector: Collector = { collect: async () => snapshot, failures: () => NO_FAILURES };
  const config = Config.parse({ cluster: { luns: [{ wwid: '36001405a3f9c2e7d1b84c0e9d2f6a7b1', alias: 'san-a', usedBy: 'vmstore' }] } });
  const app = createApp({ collector, config: () => config, configStatus: () => undefined, nodename: () => 'pve1', version: '1.2.3', log: memoryLogger(), processMetrics: false });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  profile = await mkdtemp(join(tmpdir(), 'mpe-chromium-'));
});

afterAll(async () => {
  server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

const chromiumArgs = () => [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  `--user-data-dir=${profile}`,
];

describe('landing page in Chromium', () => {
  it('renders every map, sorted by WWID, with name, WWID, health, paths and size', async () => {
    const { stdout } = await execa('chromium', [...chromiumArgs(), '--dump-dom', url], { timeout: 60_000 });
    const rows = [...stdout.matchAll(/<tr class="(optimal|degraded|failed)">(.*?)<\/tr>/gs)];
    expect(rows.map((r) => r[1])).toEqual(['degraded', 'failed', 'failed', 'optimal', 'failed', 'optimal']);
    const degraded = rows[0]![2]!;
    expect(degraded).toContain('mpatha');
    expect(degraded).toContain('36001405a3f9c2e7d1b84c0e9d2f6a7b1');
    expect(degraded).toContain('1/2');
    expect(degraded).toContain('100 GiB');
    expect(degraded).toContain('yes (2) vmstore');
    expect(degraded).toMatch(/sdk<\/code> group 1: dm failed, checker faulty/);
    expect(stdout).toContain('<a href="/metrics">Metrics</a>');
  });

  it('takes a screenshot a person can look at', async () => {
    const file = join(profile, 'landing.png');
    await execa('chromium', [...chromiumArgs(), '--window-size=1400,900', `--screenshot=${file}`, url], { timeout: 60_000 });
    const { stat } = await import('node:fs/promises');
    expect((await stat(file)).size).toBeGreaterThan(10_000);
    if (process.env.KEEP_SCREENSHOT) await execa('cp', [file, process.env.KEEP_SCREENSHOT]);
  });
});
