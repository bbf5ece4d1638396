// Test helper: a throw-away CA, a server certificate for 127.0.0.1/localhost and client
// certificates, made with the real `openssl` (Debian openssl) in a temporary directory.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { RequestListener } from '../../src/web/io/web-server.js';
export { freePort } from '../../src/sim/processes.js';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Signed by a different CA: must be refused where the client CA is enforced. */
  strangerCert: string;
  strangerKey: string;
  cleanup(): Promise<void>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await execa('openssl', args, { cwd: dir, timeout: 30_000 });
}

async function newCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`,
  ]);
}

async function issue(dir: string, ca: string, name: string, ext: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(dir, [
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`,
  ]);
  await openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`,
  ]);
}

export async function makePki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'mpe-pki-'));
  await newCa(dir, 'ca');
  await newCa(dir, 'other-ca');
  await issue(dir, 'ca', 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await issue(dir, 'ca', 'client', 'subjectAltName=DNS:prometheus.example\nextendedKeyUsage=clientAuth\n');
  await issue(dir, 'other-ca', 'stranger', 'subjectAltName=DNS:prometheus.example\nextendedKeyUsage=clientAuth\n');
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    strangerCert: p('stranger.crt'),
    strangerKey: p('stranger.key'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The fixed exposition fixedExpositionApp serves. */
export const FIXED_EXPOSITION = [
  '# HELP multipath_up Whether the last collection from multipathd succeeded.',
  '# TYPE multipath_up gauge',
  'multipath_up 1',
  '# HELP multipath_test_marker A marker only the test app serves.',
  '# TYPE multipath_test_marker gauge',
  'multipath_test_marker 42',
  '',
].join('\n');

/** A listener that answers GET /metrics with FIXED_EXPOSITION and 404 otherwise: the web server's tests need no exporter. */
export const fixedExpositionApp: RequestListener = (req, res) => {
  if (req.url !== '/metrics') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(FIXED_EXPOSITION);
};
