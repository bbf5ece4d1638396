// `cluster.source: pve` through the apply loop: the cluster files are read on every pass, watched
// like the config file, and an invalid one keeps the last good config in force.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../../src/common/core/config.js';
import { createApplyLoop, type ApplyLoop } from '../../../src/apply/io/apply-loop.js';
import { fakeMultipathd, makeRoot, type TestRoot } from '../../support/apply-root.js';
import { memoryLogger } from '../../../src/common/io/log.js';

const A = '3600a098038314c6f6b5d4f2d41434b31';
const B = '3600a098038314c6f6b5d4f2d41434b32';
const MEMBERS = '{ "nodename": "pve1", "version": 3, "nodelist": { "pve1": { "id": 1, "online": 1 }, "pve2": { "id": 2, "online": 1 } } }\n';

let root: TestRoot;
let loop: ApplyLoop | undefined;
let pveDir: string;
let log = memoryLogger();
const configs: Config[] = [];

beforeEach(() => {
  root = makeRoot();
  pveDir = join(root.dir, 'pve');
  mkdirSync(pveDir);
  log = memoryLogger();
  configs.length = 0;
  const apply = { enabled: true, confDir: root.confDir, wwidsFile: root.wwidsFile, stateDir: root.stateDir, multipath: [root.multipath] };
  writeFileSync(join(root.dir, 'config.yml'), `node: pve1\napply: ${JSON.stringify(apply)}\ncluster: { source: pve, dir: ${JSON.stringify(pveDir)} }\n`);
  pve('.members', MEMBERS);
  pve('storage.cfg', 'multipath: san\n\tcontent images\n');
});
afterEach(async () => {
  // A pass still under way would write into the root while it is removed.
  await loop?.stop();
  loop = undefined;
  root.cleanup();
});

function pve(name: string, text: string): void {
  writeFileSync(join(pveDir, name), text);
}

async function start(): Promise<void> {
  loop = createApplyLoop({
    configPath: join(root.dir, 'config.yml'),
    deps: { multipathdCommand: fakeMultipathd().command, mountinfoPath: root.mountinfo, swapsPath: root.swaps },
    onConfig: (c) => configs.push(c),
    log,
    debounceMs: 50,
  });
  await loop.start();
}

const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 50 });

describe('apply loop with cluster.source: pve', () => {
  it('applies the LUNs of multipath.cfg', async () => {
    pve('multipath.cfg', `wwid: ${A}\n\talias db-data\n`);
    await start();
    expect(loop!.status()).toMatchObject({ valid: true, errors: [] });
    expect(loop!.config().cluster).toMatchObject({ source: 'pve', nodes: ['pve1', 'pve2'], luns: [{ wwid: A, alias: 'db-data' }] });
    expect(root.wwids()).toEqual([A]);
  });

  it('a malformed multipath.cfg keeps the last good config, with file and line; the fix is picked up by the watch', async () => {
    pve('multipath.cfg', `wwid: ${A}\n`);
    await start();
    const digest = loop!.status().digest;
    pve('multipath.cfg', `wwid: ${A}\n\nlun: ${B}\n`);
    await loop!.trigger();
    const status = loop!.status();
    expect(status.valid).toBe(false);
    expect(status.errors).toEqual([`${pveDir}/multipath.cfg: line 3: lun: ${B}: unknown section type "lun"; allowed: defaults, wwid`]);
    expect(status.digest).toBe(digest);
    expect(loop!.config().cluster.luns.map((l) => l.wwid)).toEqual([A]);
    expect(root.wwids()).toEqual([A]);
    expect(log.lines.some((l) => l.startsWith('level=error') && l.includes('keeping the last good config'))).toBe(true);
    // fixed, with no trigger() call: the watch on the cluster directory runs the pass
    pve('multipath.cfg', `wwid: ${A}\n\nwwid: ${B}\n`);
    await waitFor(() => {
      expect(loop!.status().valid).toBe(true);
      expect(root.wwids().sort()).toEqual([A, B]);
    });
  });

  it('a change in storage.cfg alone is a new config: B zoned away from this node leaves its allow-list', async () => {
    pve('multipath.cfg', `wwid: ${A}\n\nwwid: ${B}\n`);
    await start();
    expect(root.wwids().sort()).toEqual([A, B]);
    expect(configs).toHaveLength(1);
    pve('storage.cfg', `multipath: san\n\tcontent images\n\nlvm: vg-web\n\tvgname vg_web\n\tbase san:${B}\n\tnodes pve2\n`);
    await waitFor(() => expect(root.wwids()).toEqual([A]));
    expect(configs).toHaveLength(2);
    expect(configs[1]!.cluster.luns.find((l) => l.wwid === B)).toMatchObject({ nodes: ['pve2'], usedBy: 'vg-web' });
  });

  it('pmxcfs unmounted (an empty directory) is an error, not "no LUNs": the allow-list stays', async () => {
    pve('multipath.cfg', `wwid: ${A}\n`);
    await start();
    expect(root.wwids()).toEqual([A]);
    for (const name of ['.members', 'storage.cfg', 'multipath.cfg']) rmSync(join(pveDir, name));
    await loop!.trigger();
    expect(loop!.status()).toMatchObject({ valid: false, errors: [`${pveDir}: neither .members nor corosync.conf found: is pmxcfs mounted (pve-cluster running)?`] });
    expect(root.wwids()).toEqual([A]);
    expect(root.calls()).toEqual([`-a ${A}`]);
  });
});
