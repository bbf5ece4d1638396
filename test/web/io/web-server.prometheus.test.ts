// End to end: a real Prometheus (Debian's `prometheus`) scrapes servers started with
// startWebServer over TLS with basic auth (and one with client certificates), and is refused
// without credentials, with a wrong password, and without a client certificate.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../../../src/web/io/web-server.js';
import { FIXED_EXPOSITION, fixedExpositionApp, makePki, type TestPki } from '../../support/certs.js';
import { startPrometheus, type TestPrometheus } from '../../support/prometheus-server.js';

let pki: TestPki;
let work: string;
let prom: TestPrometheus | undefined;
let promUrl: string;
const servers: WebServer[] = [];

async function query(q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${promUrl}api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  expect(body.status).toBe('success');
  return body.data.result;
}

const JOBS = ['tls-basic-auth', 'no-credentials', 'wrong-password', 'mtls-with-cert', 'mtls-without-cert'];

beforeAll(async () => {
  pki = await makePki();
  work = await mkdtemp(join(tmpdir(), 'mpe-prom-'));
  const hash = bcrypt.hashSync('s3cret', 10);
  await writeFile(
    join(pki.dir, 'web-basic.yml'),
    `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: '${hash}'\n`,
  );
  await writeFile(
    join(pki.dir, 'web-mtls.yml'),
    `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n`,
  );
  const basic = await startWebServer(fixedExpositionApp, { host: '127.0.0.1', port: 0, webConfigFile: join(pki.dir, 'web-basic.yml') });
  const mtls = await startWebServer(fixedExpositionApp, { host: '127.0.0.1', port: 0, webConfigFile: join(pki.dir, 'web-mtls.yml') });
  servers.push(basic, mtls);
  const target = (s: WebServer) => new URL(s.url).host;

  const tls = `    tls_config:\n      ca_file: ${pki.caCert}\n`;
  const job = (name: string, s: WebServer, extra: string) =>
    `  - job_name: ${name}\n    scheme: https\n${tls}${extra}    static_configs:\n      - targets: ['${target(s)}']\n`;
  const config = [
      'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n',
      job('tls-basic-auth', basic, '    basic_auth:\n      username: prometheus\n      password: s3cret\n'),
      job('no-credentials', basic, ''),
      job('wrong-password', basic, '    basic_auth:\n      username: prometheus\n      password: wrong\n'),
      job('mtls-with-cert', mtls, `      cert_file: ${pki.clientCert}\n      key_file: ${pki.clientKey}\n`),
      job('mtls-without-cert', mtls, ''),
  ].join('');

  prom = await startPrometheus(work, config);
  promUrl = prom.url;
});

afterAll(async () => {
  await prom?.proc.stop();
  await Promise.all(servers.map((s) => s.close()));
  if (work) await rm(work, { recursive: true, force: true });
  if (pki) await pki.cleanup();
});

describe('a real Prometheus scraping startWebServer', () => {
  it('is up over TLS with basic auth or a client certificate, and refused otherwise', async () => {
    // Wait until every job has been scraped at least twice (up has a sample, plus one more interval).
    const deadline = Date.now() + 60_000;
    let up: Record<string, string> = {};
    for (;;) {
      up = Object.fromEntries((await query('up')).map((r) => [r.metric.job!, r.value[1]]));
      if (JOBS.every((j) => j in up)) break;
      if (Date.now() > deadline) throw new Error(`not every job scraped: ${JSON.stringify(up)}\n${prom?.proc.output()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 2500));
    up = Object.fromEntries((await query('up')).map((r) => [r.metric.job!, r.value[1]]));
    expect(up).toEqual({
      'tls-basic-auth': '1',
      'no-credentials': '0',
      'wrong-password': '0',
      'mtls-with-cert': '1',
      'mtls-without-cert': '0',
    });

    // Our exposition really arrived, only through the authenticated jobs.
    const marker = await query('multipath_test_marker');
    expect(marker.map((r) => [r.metric.job, r.value[1]]).sort()).toEqual([
      ['mtls-with-cert', '42'],
      ['tls-basic-auth', '42'],
    ]);

    // And Prometheus saw the refusals for what they are: HTTP 401 from the basic-auth server.
    const targets = (await (await fetch(`${promUrl}api/v1/targets`)).json()) as {
      data: { activeTargets: Array<{ labels: { job: string }; lastError: string; health: string }> };
    };
    const errorOf = (job: string) => targets.data.activeTargets.find((t) => t.labels.job === job)?.lastError ?? '';
    expect(errorOf('no-credentials')).toMatch(/401/);
    expect(errorOf('wrong-password')).toMatch(/401/);
    expect(errorOf('tls-basic-auth')).toBe('');
    expect(errorOf('mtls-without-cert')).not.toBe('');
  });
});
