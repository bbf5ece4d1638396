// The systemd unit and its apply-mode drop-in: the directives the issue asks for, and
// `systemd-analyze security --offline` scores that must match what docs/install.md records, with
// every remaining exposure justified there.
import { REPO } from '../support/repo.js';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directives, last } from '../support/systemd-unit.js';

const UNIT = join(REPO, 'packaging/systemd/multipath-exporter.service');
const DROPIN = join(REPO, 'packaging/systemd/apply-mode.conf');

interface Security {
  score: number;
  exposures: string[];
}

let root: string;
async function security(withDropIn: boolean): Promise<Security> {
  const dropDir = join(root, 'etc/systemd/system/multipath-exporter.service.d');
  await rm(dropDir, { recursive: true, force: true });
  if (withDropIn) {
    await mkdir(dropDir, { recursive: true });
    await copyFile(DROPIN, join(dropDir, 'apply-mode.conf'));
  }
  const r = await execa('systemd-analyze', ['security', '--offline=true', `--root=${root}`, '--no-pager', 'multipath-exporter.service'], {
    reject: false,
    env: { SYSTEMD_COLORS: '0' },
  });
  const text = `${r.stdout}\n${r.stderr}`;
  const m = /Overall exposure level for multipath-exporter\.service: (\d+\.\d)/.exec(text);
  if (!m) throw new Error(`no score in: ${text}`);
  const exposures = text
    .split('\n')
    .filter((l) => l.startsWith('✗'))
    .map((l) => l.slice(1).trim().split(/\s+/)[0]!)
    .sort();
  return { score: Number(m[1]), exposures };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mpe-unit-'));
  await mkdir(join(root, 'lib/systemd/system'), { recursive: true });
  await mkdir(join(root, 'usr/bin'), { recursive: true });
  await copyFile(UNIT, join(root, 'lib/systemd/system/multipath-exporter.service'));
  await writeFile(join(root, 'usr/bin/multipath-exporter'), '#!/bin/sh\n');
  await chmod(join(root, 'usr/bin/multipath-exporter'), 0o755);
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('systemd unit', () => {
  it('monitor-only base unit: unprivileged, restarts, journal, reload by SIGHUP, hardened', async () => {
    const d = directives(await readFile(UNIT, 'utf8'));
    const expected: Record<string, string> = {
      User: 'multipath-exporter',
      Group: 'multipath-exporter',
      Restart: 'on-failure',
      ExecReload: '/bin/kill -HUP $MAINPID',
      StandardOutput: 'journal',
      StandardError: 'journal',
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      CapabilityBoundingSet: '',
      AmbientCapabilities: '',
      StateDirectory: 'multipath-exporter',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
    };
    for (const [k, v] of Object.entries(expected)) expect(last(d, k), k).toBe(v);
    expect(last(d, 'Environment')).toContain('NO_COLOR=1');
    expect(last(d, 'Environment')).toContain('NODE_OPTIONS=--max-semi-space-size=2');
    expect(last(d, 'Environment')).toContain('MALLOC_ARENA_MAX=2');
    expect(last(d, 'Environment')).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    expect(last(d, 'ExecStart')).toBe('/usr/bin/multipath-exporter serve --config /etc/multipath-exporter/config.yml $ARGS');
    // Monitor-only writes nothing outside its state directory.
    expect(last(d, 'ReadWritePaths')).toBeUndefined();
    // Abstract unix sockets live in the network namespace: PrivateNetwork would cut multipathd off.
    expect(last(d, 'PrivateNetwork')).toBeUndefined();
  });

  it('apply-mode drop-in: root, one capability, write access only to /etc/multipath and the state directory', async () => {
    const d = directives(await readFile(DROPIN, 'utf8'));
    expect(last(d, 'User')).toBe('root');
    expect(last(d, 'CapabilityBoundingSet')).toBe('CAP_SYS_ADMIN');
    expect(last(d, 'ReadWritePaths')).toBe('/etc/multipath /var/lib/multipath-exporter');
    expect(d.filter(([k]) => k === 'ReadWritePaths')).toHaveLength(1);
    expect(last(d, 'DeviceAllow')).toBe('/dev/mapper/control rw');
    expect(last(d, 'PrivateUsers')).toBe('no');
    // Everything else is inherited from the base unit, not loosened here.
    for (const k of ['NoNewPrivileges', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'RestrictAddressFamilies']) expect(last(d, k), k).toBeUndefined();
  });

  it('systemd-analyze verify accepts the unit', async () => {
    const r = await execa('systemd-analyze', ['verify', '--man=no', `--root=${root}`, 'multipath-exporter.service'], { reject: false });
    // Outside a full root, only missing host commands (kill) and targets can be reported.
    const problems = `${r.stdout}\n${r.stderr}`
      .split('\n')
      .filter((l) => l.trim() && !/is not executable: No such file|Unit .*\.target not found|Failed to create .*\/start/.test(l));
    expect(problems).toEqual([]);
  });

  it('security scores match docs/install.md, and every remaining exposure is justified there', async () => {
    // Markdown tables escape | as \|.
    const docs = (await readFile(join(REPO, 'docs/install.md'), 'utf8')).replace(/\\\|/g, '|');
    const monitor = await security(false);
    const apply = await security(true);
    const documented = (mode: string) => Number(new RegExp(`${mode} mode[^\\n]*exposure level \\*\\*(\\d+\\.\\d)\\*\\*`).exec(docs)?.[1]);
    expect(monitor.score).toBe(documented('Monitor-only'));
    expect(apply.score).toBe(documented('Apply'));
    expect(monitor.score).toBeLessThanOrEqual(1.5);
    expect(apply.score).toBeLessThanOrEqual(2.5);
    for (const exposure of new Set([...monitor.exposures, ...apply.exposures])) {
      expect(docs, `install.md justifies ${exposure}`).toContain(`\`${exposure}\``);
    }
  });
});
