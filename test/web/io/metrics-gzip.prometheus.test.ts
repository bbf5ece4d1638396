// A real Prometheus (Debian's `prometheus`, which always asks for gzip) scrapes the exporter's
// /metrics while one map changes on every scrape, so each gzip reply is a stream of several
// members, some kept from the scrape before and some fresh: the target must be up with every sample.
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../../src/common/core/config.js';
import { memoryLogger } from '../../../src/common/io/log.js';
import type { Collector } from '../../../src/scrape/io/collector.js';
import { generatedMaps, mapsReply } from '../../../src/sim/maps-reply.js';
import { queryPrometheus } from '../../../src/sim/prometheus.js';
import { createApp } from '../../../src/web/io/http.js';
import { NO_FAILURES, snapshotOfReply } from '../../support/scrape.js';
import { startPrometheus, type TestPrometheus } from '../../support/prometheus-server.js';

const MAPS = generatedMaps(50, 4);
let scrapes = 0;
const collector: Collector = {
  collect: async () => snapshotOfReply(mapsReply([{ ...MAPS[0]!, pathFaults: ++scrapes }, ...MAPS.slice(1)])),
  failures: () => NO_FAILURES,
};
const exporter = createApp({ collector, config: () => Config.parse({ node: 'pve1' }), configStatus: () => undefined, nodename: () => 'pve1', version: '1', log: memoryLogger(), processMetrics: false });
/** The Content-Encoding of every /metrics reply Prometheus got. */
const encodings: string[] = [];

let work: string;
let server: Server;
let prom: TestPrometheus | undefined;
let promUrl: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mpe-prom-gzip-'));
  server = createServer((req, res) => {
    res.on('finish', () => encodings.push(String(res.getHeader('content-encoding') ?? 'identity')));
    exporter(req, res);
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  prom = await startPrometheus(work, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: gzip\n    static_configs:\n      - targets: ['${target}']\n`);
  promUrl = prom.url;
});

afterAll(async () => {
  await prom?.proc.stop();
  server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a real Prometheus scraping /metrics with gzip', () => {
  it('is up, with every sample of the identity reply, while the reply changes each scrape', async () => {
    const identity = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, { headers: { 'Accept-Encoding': 'identity' } })).text();
    const samples = identity.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    const value = async (expr: string) => (await queryPrometheus(promUrl, expr))[0]?.value;
    const deadline = Date.now() + 60_000;
    // Three scrapes after the first: later replies reuse members of earlier ones.
    while (encodings.filter((e) => e === 'gzip').length < 4 || (await value('up{job="gzip"}')) === undefined) {
      if (Date.now() > deadline) throw new Error(`not scraped: ${JSON.stringify(encodings)}\n${prom?.proc.output()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(encodings.filter((e) => e === 'gzip').length).toBeGreaterThanOrEqual(4);
    expect(await value('up{job="gzip"}')).toBe(1);
    expect(await value('scrape_samples_scraped{job="gzip"}')).toBe(samples);
    expect(await value('count({job="gzip", __name__=~"multipath_.*"})')).toBeGreaterThan(50 * 4);
    // The changing counter arrived decoded: its latest value is a later scrape's, not the first.
    expect(await value('max(multipath_map_path_faults_total{job="gzip"})')).toBeGreaterThan(1);
  });
});
