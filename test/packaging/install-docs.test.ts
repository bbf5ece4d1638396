// docs/install.md, followed: every block marked `<!-- file: NAME -->` is extracted and checked by
// the tool that would consume it (the exporter's own validators, openssl + a TLS/basic-auth
// request, promtool with the real rules, amtool, systemd-analyze verify).
import { REPO } from '../support/repo.js';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatConfigError, parseConfigText } from '../../src/common/core/config-text.js';
import { parseWebConfigText } from '../../src/web/core/web-config.js';
import { startWebServer } from '../../src/web/io/web-server.js';

let blocks: Map<string, string>;
let dir: string;

function block(name: string): string {
  const text = blocks.get(name);
  if (text === undefined) throw new Error(`docs/install.md has no block <!-- file: ${name} -->`);
  return text;
}

beforeAll(async () => {
  const md = await readFile(join(REPO, 'docs/install.md'), 'utf8');
  blocks = new Map([...md.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)].map((m) => [m[1]!, `${m[2]!}\n`]));
  dir = await mkdtemp(join(tmpdir(), 'mpe-docs-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('docs/install.md', () => {
  it('has every checked block', () => {
    expect([...blocks.keys()].sort()).toEqual(['alertmanager.yml', 'config.yml', 'make-certs.sh', 'make-password.sh', 'prometheus.yml', 'pve.conf', 'web.yml']);
  });

  it('config.yml is a valid exporter config', () => {
    const r = parseConfigText(block('config.yml'), 'config.yml');
    expect(r.ok ? [] : r.errors.map(formatConfigError)).toEqual([]);
  });

  it('the certificate and password commands produce what web.yml needs, and a scrape with them gets through', async () => {
    const etc = join(dir, 'etc-multipath-exporter');
    await mkdir(etc);
    // Run the block as written, in a stand-in for /etc/multipath-exporter, with a stand-in for the
    // service group (chgrp to the invoking user's group).
    const script = block('make-certs.sh')
      .replace('cd /etc/multipath-exporter', `cd ${etc}`)
      .replace('chgrp multipath-exporter', `chgrp ${(await execa('id', ['-gn'])).stdout}`);
    await execa('bash', ['-euo', 'pipefail', '-c', script], { timeout: 60_000, env: { HOSTNAME: 'pve1' } });
    expect((await execa('stat', ['-c', '%a', join(etc, 'node.key')])).stdout).toBe('640');

    const password = 'a long random password';
    const hash = (await execa('bash', ['-euo', 'pipefail', '-c', block('make-password.sh')])).stdout.trim();
    expect(await bcrypt.compare(password, hash)).toBe(true);

    // The documented web.yml, with the freshly made hash.
    const webYml = block('web.yml').replace(/\$2y\$10\$\S+/, hash);
    const parsed = parseWebConfigText(webYml, join(etc, 'web.yml'));
    expect(parsed.ok ? [] : parsed.errors.map(formatConfigError)).toEqual([]);
    await writeFile(join(etc, 'web.yml'), webYml);
    const server = await startWebServer((_req, res) => void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('multipath_up 1\n'), { host: '127.0.0.1', port: 0, webConfigFile: join(etc, 'web.yml') });
    try {
      const ca = await readFile(join(etc, 'ca.crt'), 'utf8');
      const get = (auth?: string) =>
        new Promise<number>((resolve, reject) => {
          https
            .get(`${server.url}metrics`, { ca, agent: false, ...(auth ? { auth } : {}) }, (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            })
            .on('error', reject);
        });
      expect(await get()).toBe(401);
      expect(await get(`prometheus:${password}`)).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('prometheus.yml passes promtool with the shipped rules', async () => {
    const prom = join(dir, 'prometheus');
    await mkdir(join(prom, 'rules'), { recursive: true });
    await writeFile(join(prom, 'prometheus.yml'), block('prometheus.yml'));
    for (const f of ['multipath.rules.yml', 'multipath.alerts.yml']) await copyFile(join(REPO, 'alerts', f), join(prom, 'rules', f));
    await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=ca', '-keyout', join(prom, 'ca.key'), '-out', join(prom, 'multipath-ca.crt')]);
    await writeFile(join(prom, 'multipath-exporter.password'), 'a long random password');
    const r = await execa('promtool', ['check', 'config', join(prom, 'prometheus.yml')], { reject: false });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 2 rule files found/);
  });

  it('alertmanager.yml passes amtool', async () => {
    await writeFile(join(dir, 'alertmanager.yml'), block('alertmanager.yml'));
    const r = await execa('amtool', ['check-config', join(dir, 'alertmanager.yml')], { reject: false });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
  });

  it('the Proxmox drop-in verifies with the unit (both modes)', async () => {
    const root = join(dir, 'root');
    const unitDir = join(root, 'lib/systemd/system');
    const dropDir = join(root, 'etc/systemd/system/multipath-exporter.service.d');
    await mkdir(unitDir, { recursive: true });
    await mkdir(dropDir, { recursive: true });
    await mkdir(join(root, 'usr/bin'), { recursive: true });
    await copyFile(join(REPO, 'packaging/systemd/multipath-exporter.service'), join(unitDir, 'multipath-exporter.service'));
    await writeFile(join(root, 'usr/bin/multipath-exporter'), '#!/bin/sh\n');
    await chmod(join(root, 'usr/bin/multipath-exporter'), 0o755);
    await writeFile(join(dropDir, 'pve.conf'), block('pve.conf'));
    for (const withApply of [false, true]) {
      if (withApply) await copyFile(join(REPO, 'packaging/systemd/apply-mode.conf'), join(dropDir, 'apply-mode.conf'));
      const r = await execa('systemd-analyze', ['verify', '--man=no', `--root=${root}`, 'multipath-exporter.service'], { reject: false });
      // This stand-in root has no kill/mkdir and no targets; anything else is a real problem.
      const problems = `${r.stdout}\n${r.stderr}`
        .split('\n')
        .filter((l) => l.trim() && !/is not executable: No such file|Unit .*\.(target|service) not found|Failed to create .*\/start/.test(l));
      expect(problems).toEqual([]);
      const cat = await execa('systemd-analyze', ['cat-config', `--root=${root}`, 'systemd/system/multipath-exporter.service'], { reject: false });
      expect(cat.stdout).toContain('--config /etc/pve/multipath-exporter/config.yml');
    }
  });
});
