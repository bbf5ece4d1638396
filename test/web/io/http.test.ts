import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Config } from '../../../src/common/core/config.js';
import type { Snapshot } from '../../../src/scrape/core/snapshot.js';
import type { Collector } from '../../../src/scrape/io/collector.js';
import { createApp } from '../../../src/web/io/http.js';
import { memoryLogger } from '../../../src/common/io/log.js';
import { NO_FAILURES, samples, series, snapshotFromFixture } from '../../support/scrape.js';

function appWith(collect: () => Promise<Snapshot>, config = Config.parse({ node: 'pve1' })) {
  const collector: Collector = { collect, failures: () => NO_FAILURES };
  return createApp({ collector, config: () => config, configStatus: () => undefined, nodename: () => 'pve1', version: '1.2.3', log: memoryLogger(), processMetrics: false });
}

/** A GET over a real socket, the body as sent (supertest would decode gzip itself). */
async function rawGet(app: ReturnType<typeof createApp>, path: string, headers: Record<string, string>) {
  const server = createServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    return await new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path, headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.close();
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('/metrics', () => {
  it('serves the Prometheus text format with the right content type', async () => {
    const res = await request(appWith(async () => snapshotFromFixture('all-six-maps.json'))).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(samples(res.text).get('multipath_up')).toBe(1);
    expect(series(res.text, 'multipath_map_info')).toHaveLength(6);
  });

  it('answers 200 with multipath_up 0 and no map series when the collection failed', async () => {
    const config = Config.parse({ node: 'pve1', cluster: { luns: [{ wwid: '36001405a3f9c2e7d1b84c0e9d2f6a7b1' }] } });
    const res = await request(appWith(async () => ({ ok: false, takenAt: 0, durationSeconds: 5, reason: 'timeout', message: 'no reply' }), config)).get('/metrics');
    expect(res.status).toBe(200);
    expect(samples(res.text).get('multipath_up')).toBe(0);
    expect(samples(res.text).get('multipath_map_expected{wwid="36001405a3f9c2e7d1b84c0e9d2f6a7b1"}')).toBe(1);
    expect(res.text).not.toMatch(/^multipath_(map_(info|state|paths)|path_)/m);
  });

  it('never mixes label sets of overlapping scrapes with different snapshots', async () => {
    // The first scrape's snapshot arrives last: a shared, reset-then-set registry would leak w1's
    // series into the second response or w2's into the first.
    const snapshots = [snapshotFromFixture('fc-alua-4paths-2groups.json'), snapshotFromFixture('iscsi-2paths-one-faulty.json')];
    let call = 0;
    const app = appWith(async () => {
      const mine = call++;
      await delay(mine === 0 ? 150 : 10);
      return snapshots[mine]!;
    });
    const [first, second] = await Promise.all([request(app).get('/metrics'), delay(20).then(() => request(app).get('/metrics'))]);
    const wwids = (text: string) => new Set(series(text, 'multipath_map_state').map((s) => s.labels.wwid));
    expect([...wwids(first.text)]).toEqual(['3600a098038314c6f6b5d4f2d41434b31']);
    expect([...wwids(second.text)]).toEqual(['36001405a3f9c2e7d1b84c0e9d2f6a7b1']);
    expect(new Set(series(first.text, 'multipath_path_active').map((s) => s.labels.wwid))).toEqual(wwids(first.text));
    expect(new Set(series(second.text, 'multipath_path_active').map((s) => s.labels.wwid))).toEqual(wwids(second.text));
  });

  it('re-renders the map section when the config in force changes under the same maps', async () => {
    const snapshot = snapshotFromFixture('iscsi-2paths-one-faulty.json');
    snapshot.maps[0] = { ...snapshot.maps[0]!, name: snapshot.maps[0]!.wwid };
    let config = Config.parse({ node: 'pve1', cluster: { luns: [{ wwid: '36001405a3f9c2e7d1b84c0e9d2f6a7b1', alias: 'before' }] } });
    const collector: Collector = { collect: async () => snapshot, failures: () => NO_FAILURES };
    const app = createApp({ collector, config: () => config, configStatus: () => undefined, nodename: () => 'pve1', version: '1', log: memoryLogger(), processMetrics: false });
    const alias = async () => series((await request(app).get('/metrics')).text, 'multipath_map_info')[0]!.labels.alias;
    expect(await alias()).toBe('before');
    expect(await alias()).toBe('before');
    config = Config.parse({ node: 'pve1', cluster: { luns: [{ wwid: '36001405a3f9c2e7d1b84c0e9d2f6a7b1', alias: 'after' }] } });
    expect(await alias()).toBe('after');
  });

  it('a full exposition with the process metrics passes promtool check metrics without a lint finding', async () => {
    const collector: Collector = { collect: async () => snapshotFromFixture('all-six-maps.json'), failures: () => NO_FAILURES };
    const app = createApp({ collector, config: () => Config.parse({ node: 'pve1' }), configStatus: () => undefined, nodename: () => 'pve1', version: '1.2.3', log: memoryLogger() });
    const res = await request(app).get('/metrics');
    expect(res.text).toMatch(/^process_resident_memory_bytes /m);
    expect(res.text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    const lint = await execa('promtool', ['check', 'metrics'], { input: res.text, reject: false, timeout: 30_000 });
    expect(`${lint.stdout}${lint.stderr}`).toBe('');
    expect(lint.exitCode).toBe(0);
  });

  it('answers gzip when asked, decoding byte-identical to the identity reply, before and after maps change', async () => {
    const base = snapshotFromFixture('all-six-maps.json');
    let snapshot = base;
    const app = appWith(async () => snapshot);
    const check = async () => {
      const plain = await rawGet(app, '/metrics', { 'Accept-Encoding': 'identity' });
      const gzipped = await rawGet(app, '/metrics', { 'Accept-Encoding': 'gzip' });
      expect(gzipped.headers['content-encoding']).toBe('gzip');
      expect(gzipped.headers.vary).toBe('Accept-Encoding');
      expect(gzipped.headers['content-length']).toBe(String(gzipped.body.length));
      expect(gzipped.body.length).toBeLessThan(plain.body.length);
      expect(gunzipSync(gzipped.body).toString('utf8')).toBe(plain.body.toString('utf8'));
      expect(samples(plain.body.toString('utf8')).get('multipath_up')).toBe(1);
      return plain.body.toString('utf8');
    };
    const first = await check();
    expect(await check()).toBe(first); // the same snapshot: kept chunks, kept members
    snapshot = { ...base, maps: base.maps.map((m, i) => (i === 2 ? { ...m, pathsUsable: m.pathsUsable - 1 } : m)) };
    expect(await check()).not.toBe(first); // one map changed: fresh members beside kept ones
    snapshot = { ...base, maps: base.maps.slice(1) };
    await check(); // a map vanished: the first family chunk may start elsewhere
  });

  it.each([
    ['absent', undefined],
    ['identity', 'identity'],
    ['gzip refused with q=0', 'gzip;q=0'],
    ['gzip below identity', 'gzip;q=0.5, identity'],
    ['only unknown encodings', 'br'],
  ])('answers identity when gzip is not wanted (%s)', async (_case, acceptEncoding) => {
    const res = await rawGet(appWith(async () => snapshotFromFixture('all-six-maps.json')), '/metrics', acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.headers['content-length']).toBe(String(res.body.length));
    expect(samples(res.body.toString('utf8')).get('multipath_up')).toBe(1);
  });

  it.each([['gzip'], ['gzip, deflate'], ['*'], ['identity;q=0.5, gzip'], ['deflate;q=1, gzip;q=0.1']])('answers gzip to %s', async (acceptEncoding) => {
    const res = await rawGet(appWith(async () => snapshotFromFixture('all-six-maps.json')), '/metrics', { 'Accept-Encoding': acceptEncoding });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(samples(gunzipSync(res.body).toString('utf8')).get('multipath_up')).toBe(1);
  });

  it('answers a 500 without a stack trace when rendering throws', async () => {
    const res = await request(appWith(async () => { throw new Error('secret internals'); })).get('/metrics');
    expect(res.status).toBe(500);
    expect(res.text).toBe('internal error\n');
  });
});

describe('/healthz and /', () => {
  it('the landing page shows the last apply result, its errors and refused removals', async () => {
    const collector: Collector = { collect: async () => snapshotFromFixture('no-maps.json'), failures: () => NO_FAILURES };
    const app = createApp({
      collector,
      config: () => Config.parse({}),
      configStatus: () => ({
        path: '/etc/multipath-exporter/config.yml',
        valid: false,
        errors: ['/etc/multipath-exporter/config.yml: line 4: cluster.luns[1].alias: alias "a" is also used'],
        digest: '0123456789abcdef',
        applyEnabled: true,
        lastApply: { finishedAt: Date.UTC(2026, 10, 21, 12), success: false, errors: ["adding WWID '3600b' failed: exit 1"], changes: [], changed: false, reloadSuccess: true, refused: ['3600c: carries the mounted filesystem /'] },
      }),
      nodename: () => 'pve1',
      version: '1',
      log: memoryLogger(),
      processMetrics: false,
    });
    const page = (await request(app).get('/')).text;
    expect(page).toContain('invalid, last good config in force');
    expect(page).toContain('alias &quot;a&quot; is also used');
    expect(page).toContain('Last apply 2026-11-21T12:00:00.000Z: <strong>failed</strong>');
    expect(page).toContain('adding WWID &#39;3600b&#39; failed: exit 1');
    expect(page).toContain('<li>3600c: carries the mounted filesystem /</li>');
  });

  it('/healthz answers ok', async () => {
    const res = await request(appWith(async () => snapshotFromFixture('no-maps.json'))).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.text).toBe('ok\n');
  });

  it.each([
    [{ ok: false, takenAt: 0, durationSeconds: 0, reason: 'daemon_down', message: '/sbin/multipathd not found: multipath-tools is not installed' }, /multipath-tools is not installed/],
    [{ ok: false, takenAt: 0, durationSeconds: 0, reason: 'daemon_down', message: 'multipathd is not running (ECONNREFUSED)' }, /multipathd is not running/],
    [{ ok: true, takenAt: 0, durationSeconds: 0, maps: [], skipped: 0 }, /has assembled no maps/],
  ] as const)('the landing page says why it is empty (%#)', async (snapshot, reason) => {
    const res = await request(appWith(async () => snapshot as Snapshot)).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(reason);
    expect(res.text).toContain('href="/metrics"');
  });
});

describe('routing', () => {
  const app = () => appWith(async () => snapshotFromFixture('all-six-maps.json'));

  it('routes by path and ignores the query', async () => {
    const res = await request(app()).get('/metrics?debug=1');
    expect(res.status).toBe(200);
    expect(samples(res.text).get('multipath_up')).toBe(1);
  });

  it('answers 404 for an unknown path, as plain text', async () => {
    const res = await request(app()).get('/metrics/extra');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe('not found\n');
  });

  it('answers 405 with Allow for a method other than GET and HEAD', async () => {
    const res = await request(app()).post('/metrics').send('x');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const get = await rawGet(app(), '/metrics', { 'Accept-Encoding': 'gzip' });
    const head = await request(app()).head('/metrics').set('Accept-Encoding', 'gzip');
    expect(head.status).toBe(200);
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.text ?? '').toBe('');
    const healthz = await request(app()).head('/healthz');
    expect(healthz.headers['content-length']).toBe('3');
  });
});
