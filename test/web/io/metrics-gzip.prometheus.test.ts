// A real Prometheus (Debian's `prometheus`, which always asks for gzip) scrapes the exporter's
// /metrics while one map changes on every scrape, so each gzip reply is a stream of several
// members, some kept from the scrape before and some fresh: the target must be up with every sample.
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../../src/common/core/config.js';
import { memoryLogger } from '../../../src/common/io/log.js';
import type { Collector } from '../../../src/scrape/io/collector.js';
import { generatedMaps, mapsReply } from '../../../src/sim/maps-reply.js';
import { freePort } from '../../../src/sim/processes.js';
import { PROMETHEUS_BIN, queryPrometheus } from '../../../src/sim/prometheus.js';
import { createApp } from '../../../src/web/io/http.js';
import { NO_FAILURES, snapshotOfReply } from '../../support/scrape.js';

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
let prom: ResultPromise | undefined;
let promUrl: string;
let promLog = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mpe-prom-gzip-'));
  const app = express();
  app.use((req, res, next) => {
    res.on('finish', () => encodings.push(String(res.getHeader('content-encoding') ?? 'identity')));
    next();
  });
  app.use(exporter);
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  await writeFile(join(work, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: gzip\n    static_configs:\n      - targets: ['${target}']\n`);
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}/`;
  prom = execa(PROMETHEUS_BIN, [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    reject: false,
    all: true,
    forceKillAfterDelay: 5000,
    cleanup: true,
  });
  prom.all?.on('data', (c: Buffer) => (promLog = (promLog + c.toString()).slice(-20_000)));
  const deadline = Date.now() + 60_000;
  while (!(await fetch(`${promUrl}-/ready`).then((r) => r.ok, () => false))) {
    if (prom.exitCode !== null) throw new Error(`prometheus exited: ${promLog}`);
    if (Date.now() > deadline) throw new Error(`prometheus not ready after 60 s: ${promLog}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

afterAll(async () => {
  if (prom) {
    prom.kill('SIGTERM');
    await prom;
  }
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
      if (Date.now() > deadline) throw new Error(`not scraped: ${JSON.stringify(encodings)}\n${promLog}`);
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
