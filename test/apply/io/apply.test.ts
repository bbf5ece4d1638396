import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderDropIns } from '../../../src/apply/core/render-config.js';
import { applyOnce, planOnce, STATE_FILE } from '../../../src/apply/io/apply.js';
import { fakeMultipathd, makeRoot, WWIDS_HEADER, type TestRoot } from '../../support/apply-root.js';

const A = '3600a098038314c6f6b5d4f2d41434b31';
const B = '3600140500a1b2c3d4e5f6a7b8c9d0e1f';
const C = '36001405aaaaaaaaaaaaaaaaaaaaaaaa1';
const X = '36001405ffffffffffffffffffffffff9'; // pre-existing, not ours
const CONFIG_PATH = '/etc/multipath-exporter/config.yml';

const CLUSTER = `cluster:
  nodes: [pve1, pve2, pve3]
  defaults: { no_path_retry: queue }
  luns:
    - { wwid: ${A}, alias: vmstore, no_path_retry: 18 }
    - { wwid: ${B}, alias: san-b, nodes: [pve1, pve2] }
    - { wwid: ${C} }
  overrides: |
    devices {
      device {
        vendor "NETAPP"
        product "LUN.*"
      }
    }
`;

let root: TestRoot;
let mpd: ReturnType<typeof fakeMultipathd>;
beforeEach(() => {
  root = makeRoot();
  mpd = fakeMultipathd();
});
afterEach(() => root.cleanup());

const deps = () => ({ multipathdCommand: mpd.command, mountinfoPath: root.mountinfo, swapsPath: root.swaps });
const state = (): string[] => JSON.parse(readFileSync(join(root.stateDir, STATE_FILE), 'utf8')).wwids;
const confFiles = (): string[] => (existsSync(root.confDir) ? readdirSync(root.confDir).sort() : []);

describe('applyOnce: convergence and idempotence', () => {
  it('writes the three drop-ins, adds the expected WWIDs one at a time, reloads once', async () => {
    const config = root.config(CLUSTER);
    const report = await applyOnce(config, CONFIG_PATH, deps());
    expect(report.errors).toEqual([]);
    expect(report.success).toBe(true);
    expect(report.changed).toBe(true);
    expect(report.reloadSuccess).toBe(true);
    for (const d of renderDropIns(config, CONFIG_PATH)) expect(readFileSync(join(root.confDir, d.fileName), 'utf8')).toBe(d.content);
    expect(confFiles()).toEqual(['multipath-exporter-10-defaults.conf', 'multipath-exporter-20-multipaths.conf', 'multipath-exporter-90-overrides.conf']);
    expect(root.calls()).toEqual([`-a ${B}`, `-a ${C}`, `-a ${A}`].sort());
    expect(root.wwidsText().startsWith(WWIDS_HEADER)).toBe(true);
    expect(root.wwids().sort()).toEqual([A, B, C].sort());
    expect(state()).toEqual([A, B, C].sort());
    expect(mpd.commands).toEqual(['show daemon', 'reconfigure']);
    expect(report.changes).toContain(`added WWID ${A}`);
    expect(report.changes).toContain('multipathd reconfigure');
    for (const f of confFiles()) expect(statSync(join(root.confDir, f)).mode & 0o777).toBe(0o644);
  });

  it('a second pass changes nothing: no write, no multipath call, no reload', async () => {
    const config = root.config(CLUSTER);
    await applyOnce(config, CONFIG_PATH, deps());
    const before = confFiles().map((f) => statSync(join(root.confDir, f)));
    const stateBefore = statSync(join(root.stateDir, STATE_FILE));
    const calls = root.calls().length;
    const report = await applyOnce(config, CONFIG_PATH, deps());
    expect(report).toMatchObject({ success: true, changed: false, changes: [], errors: [] });
    expect(root.calls()).toHaveLength(calls);
    expect(mpd.reconfigures()).toBe(1);
    expect(confFiles().map((f) => statSync(join(root.confDir, f)).ino)).toEqual(before.map((s) => s.ino));
    expect(statSync(join(root.stateDir, STATE_FILE)).ino).toBe(stateBefore.ino);
    expect((await planOnce(config, CONFIG_PATH, deps())).plan).toMatchObject({ files: [], addWwids: [], removeWwids: [] });
  });

  it('only the LUNs expected on this node go on its allow-list', async () => {
    await applyOnce(root.config(CLUSTER.replace('nodes: [pve1, pve2, pve3]', 'nodes: [pve1, pve2, pve3, pve9]')), CONFIG_PATH, { ...deps(), node: 'pve3' });
    expect(root.wwids().sort()).toEqual([A, C].sort());
  });

  it('a block that becomes empty removes its file; a changed config rewrites only what changed', async () => {
    await applyOnce(root.config(CLUSTER), CONFIG_PATH, deps());
    const defaultsIno = statSync(join(root.confDir, 'multipath-exporter-10-defaults.conf')).ino;
    const report = await applyOnce(root.config(CLUSTER.replace(/  overrides: \|[\s\S]*$/, '').replace(/alias: \S+, /g, '').replace(', no_path_retry: 18', '')), CONFIG_PATH, deps());
    expect(report.success).toBe(true);
    expect(confFiles()).toEqual(['multipath-exporter-10-defaults.conf']);
    expect(statSync(join(root.confDir, 'multipath-exporter-10-defaults.conf')).ino).toBe(defaultsIno);
    expect(report.changes.filter((c) => c.startsWith('removed '))).toHaveLength(2);
  });
});

describe('applyOnce: isolation of failures', () => {
  it('one failing WWID is reported, the others converge, the daemon is still reloaded; it is retried next pass', async () => {
    root.failFor(B);
    const config = root.config(CLUSTER);
    const report = await applyOnce(config, CONFIG_PATH, deps());
    expect(report.success).toBe(false);
    expect(report.errors).toEqual([`adding WWID ${B} (multipath -a) failed: exit 1: failed adding '${B}' to wwids file`]);
    expect(root.wwids().sort()).toEqual([A, C].sort());
    expect(state()).toEqual([A, C].sort());
    expect(confFiles()).toHaveLength(3);
    expect(mpd.reconfigures()).toBe(1);

    root.failFor();
    const second = await applyOnce(config, CONFIG_PATH, deps());
    expect(second).toMatchObject({ success: true, errors: [], changes: [`added WWID ${B}`, 'multipathd reconfigure'] });
    expect(state()).toEqual([A, B, C].sort());
  });

  it('a missing multipath binary is an isolated error per WWID, not a crash', async () => {
    const report = await applyOnce(root.config(CLUSTER, { multipath: [join(root.dir, 'bin/nope')] }), CONFIG_PATH, deps());
    expect(report.success).toBe(false);
    expect(report.errors).toHaveLength(3);
    expect(report.errors[0]).toMatch(/^adding WWID \S+ \(multipath -a\) failed: .*ENOENT/);
    expect(confFiles()).toHaveLength(3);
  });

  it('a failed reconfigure is reported once, not retried while nothing changes', async () => {
    mpd.state.reconfigureReply = 'fail\n';
    const config = root.config(CLUSTER);
    const report = await applyOnce(config, CONFIG_PATH, deps());
    expect(report).toMatchObject({ success: false, reloadSuccess: false, changed: true });
    expect(report.errors).toEqual(['multipathd reconfigure failed: multipathd replied "fail"']);
    const again = await applyOnce(config, CONFIG_PATH, deps());
    expect(again).toMatchObject({ success: true, reloadSuccess: true, changed: false });
    expect(mpd.reconfigures()).toBe(1);
  });

  it('no reconfigure when the daemon is not running', async () => {
    mpd.state.running = false;
    const report = await applyOnce(root.config(CLUSTER), CONFIG_PATH, deps());
    expect(report).toMatchObject({ success: true, reloadSuccess: true, changed: true });
    expect(mpd.commands).toEqual(['show daemon']);
  });
});

describe('applyOnce: adoption safety', () => {
  beforeEach(() => {
    writeFileSync(root.wwidsFile, `${WWIDS_HEADER}/${X}/\n/${A}/\n`);
  });

  it('never removes a WWID it did not add; reports it as refused', async () => {
    const report = await applyOnce(root.config(CLUSTER), CONFIG_PATH, deps());
    expect(report.success).toBe(true);
    expect(root.calls()).toEqual([`-a ${B}`, `-a ${C}`].sort());
    expect(root.wwids()).toContain(X);
    expect(report.refused).toEqual([expect.stringMatching(new RegExp(`^${X}: not added by multipath-exporter`))]);
    // A was there before: present and desired, but not ours
    expect(state()).toEqual([B, C].sort());
    // Dropping every LUN from the config removes only what we added (all of it: allowed explicitly)
    const report2 = await applyOnce(root.config('cluster: {}\n', { maxRemovalFraction: 1 }), CONFIG_PATH, deps());
    expect(report2.success).toBe(true);
    expect(root.calls().slice(2).sort()).toEqual([`-w ${B}`, `-w ${C}`].sort());
    expect(root.wwids().sort()).toEqual([A, X].sort());
    expect(root.wwidsText()).toContain(`#${B}/\n`);
    expect(state()).toEqual([]);
    expect(report2.refused).toHaveLength(2);
  });

  it('apply.adopt lets it take over a listed WWID; "all" takes every one', async () => {
    await applyOnce(root.config('cluster: {}\n', { adopt: [X] }), CONFIG_PATH, deps());
    expect(root.calls()).toEqual([`-w ${X}`]);
    expect(root.wwids()).toEqual([A]);
    await applyOnce(root.config('cluster: {}\n', { adopt: 'all' }), CONFIG_PATH, deps());
    expect(root.wwids()).toEqual([]);
  });

  it('an unreadable state file stops every WWID change (ownership unknown) but files still converge', async () => {
    const config = root.config('cluster: {}\n', { adopt: [] });
    await applyOnce(root.config(`cluster:\n  luns: [{ wwid: ${B} }]\n`), CONFIG_PATH, deps());
    writeFileSync(join(root.stateDir, STATE_FILE), '{not json');
    const report = await applyOnce(config, CONFIG_PATH, deps());
    expect(report.success).toBe(false);
    expect(report.errors[0]).toMatch(/state file .* unreadable .* no WWID is added or removed/);
    expect(root.calls()).toEqual([`-a ${B}`]);
    expect(readFileSync(join(root.stateDir, STATE_FILE), 'utf8')).toBe('{not json');
  });
});

describe('applyOnce: the root-device guard', () => {
  it('never removes an owned WWID whose map carries the root filesystem (LVM on a partition)', async () => {
    await applyOnce(root.config(`cluster:\n  luns: [{ wwid: ${A} }, { wwid: ${B} }]\n`), CONFIG_PATH, deps());
    expect(state()).toEqual([A, B].sort());
    // A's map dm-0 -> partition dm-1 -> LVM dm-2 mounted on /
    root.blockDevice('sda', '8:0', ['dm-0']);
    root.blockDevice('dm-0', '253:0', ['dm-1'], `mpath-${A}`, A);
    root.blockDevice('dm-1', '253:1', ['dm-2'], `part1-mpath-${A}`, `${A}-part1`);
    root.blockDevice('dm-2', '253:2', [], 'LVM-Xy', 'pve-root');
    root.blockDevice('dm-3', '253:3', [], `mpath-${B}`, B);
    writeFileSync(root.mountinfo, '22 1 253:2 / / rw,relatime shared:1 - ext4 /dev/mapper/pve-root rw\n');

    const report = await applyOnce(root.config('cluster: {}\n'), CONFIG_PATH, deps());
    expect(root.calls().filter((c) => c.startsWith('-w'))).toEqual([`-w ${B}`]);
    expect(root.wwids()).toEqual([A]);
    expect(report.refused).toEqual([`${A}: its map carries a mounted filesystem (/ (ext4) on pve-root (LVM) via ${A} (map) -> ${A}-part1 (partition))`]);
    expect(state()).toEqual([A]); // still ours
    // unmounted, but the partition and the LVM volume still hold the map: in use, kept
    writeFileSync(root.mountinfo, '22 1 8:1 / / rw - ext4 /dev/sda1 rw\n');
    const held = await applyOnce(root.config('cluster: {}\n'), CONFIG_PATH, deps());
    expect(held.refused).toEqual([`${A}: its map is in use (dm-0 is held by ${A}-part1 (partition)); list it in apply.allowRemovingInUse to remove it anyway`]);
    expect(root.wwids()).toEqual([A]);
    // the admin says so for this WWID: removed
    await applyOnce(root.config('cluster: {}\n', { allowRemovingInUse: [A] }), CONFIG_PATH, deps());
    expect(root.wwids()).toEqual([]);
  });

  it('an active swap on a map protects it too', async () => {
    await applyOnce(root.config(`cluster:\n  luns: [{ wwid: ${A} }]\n`), CONFIG_PATH, deps());
    root.blockDevice('dm-0', '253:0', [], `mpath-${A}`, 'swapmap');
    writeFileSync(root.swaps, 'Filename Type Size Used Priority\n/dev/dm-0 partition 1024 0 -2\n');
    const report = await applyOnce(root.config('cluster: {}\n'), CONFIG_PATH, deps());
    expect(report.refused).toEqual([`${A}: its map carries a mounted filesystem ([SWAP] (swap) on swapmap (map))`]);
    expect(root.wwids()).toEqual([A]);
  });

  it('when mounts cannot be read, nothing is removed', async () => {
    await applyOnce(root.config(`cluster:\n  luns: [{ wwid: ${A} }]\n`), CONFIG_PATH, deps());
    const report = await applyOnce(root.config('cluster: {}\n'), CONFIG_PATH, { ...deps(), mountinfoPath: join(root.dir, 'nope') });
    expect(report.success).toBe(false);
    expect(report.errors[0]).toMatch(/^cannot tell which maps are in use \(mounts and holders unreadable: ENOENT.*\); no WWID is removed$/);
    expect(root.wwids()).toEqual([A]);
  });
});

describe('applyOnce: maps in use and mass removals', () => {
  it('refuses removing an owned WWID whose map has holders though nothing is mounted (LVM active, VM disks open)', async () => {
    await applyOnce(root.config(`cluster:\n  luns: [{ wwid: ${A} }, { wwid: ${B} }, { wwid: ${C} }]\n`), CONFIG_PATH, deps());
    root.blockDevice('dm-0', '253:0', ['dm-4'], `mpath-${A}`, A);
    root.blockDevice('dm-4', '253:4', [], 'LVM-pve-vm-100', 'vmdata-vm--100--disk--0');
    root.blockDevice('dm-1', '253:1', [], `mpath-${B}`, B);
    const report = await applyOnce(root.config(`cluster:\n  luns: [{ wwid: ${C} }]\n`), CONFIG_PATH, deps());
    expect(report.refused).toEqual([
      `${A}: its map is in use (dm-0 is held by vmdata-vm--100--disk--0 (LVM)); list it in apply.allowRemovingInUse to remove it anyway`,
    ]);
    expect(root.calls().filter((c) => c.startsWith('-w'))).toEqual([`-w ${B}`]);
    expect(root.wwids().sort()).toEqual([A, C].sort());
    expect(state()).toEqual([A, C].sort());
  });

  it('a config that drops most LUNs at once (truncated, wrong file) removes none, and says so', async () => {
    const five = [A, B, C, X, '36001405bbbbbbbbbbbbbbbbbbbbbbbb2'];
    await applyOnce(root.config(`cluster:\n  luns: [${five.map((w) => `{ wwid: ${w} }`).join(', ')}]\n`), CONFIG_PATH, deps());
    const report = await applyOnce(root.config(`cluster:\n  luns: [{ wwid: ${A} }]\n`), CONFIG_PATH, deps());
    expect(report.success).toBe(true);
    expect(report.refused).toHaveLength(4);
    expect(report.refused[0]).toMatch(/: this pass would remove 4 of the 5 owned WWIDs, more than apply\.maxRemovalFraction \(0\.5\) allows/);
    expect(root.calls().filter((c) => c.startsWith('-w'))).toEqual([]);
    expect(root.wwids()).toHaveLength(5);
    // the admin means it: allowed for this change
    await applyOnce(root.config(`cluster:\n  luns: [{ wwid: ${A} }]\n`, { maxRemovalFraction: 1 }), CONFIG_PATH, deps());
    expect(root.wwids()).toEqual([A]);
  });
});

describe('applyOnce: atomic writes', () => {
  it('a failure between write and rename leaves the old file and no temp file; the next pass converges', async () => {
    const config1 = root.config(CLUSTER);
    await applyOnce(config1, CONFIG_PATH, deps());
    const old = readFileSync(join(root.confDir, 'multipath-exporter-10-defaults.conf'), 'utf8');
    const config2 = root.config(CLUSTER.replace('no_path_retry: queue', 'no_path_retry: fail'));
    const report = await applyOnce(config2, CONFIG_PATH, {
      ...deps(),
      beforeRename: (temp) => {
        expect(readFileSync(temp, 'utf8')).toContain('no_path_retry "fail"');
        throw new Error('ENOSPC: no space left on device (injected)');
      },
    });
    expect(report.success).toBe(false);
    expect(report.errors).toEqual([expect.stringMatching(/^writing .*-10-defaults\.conf failed: ENOSPC/)]);
    expect(report.errors[0]).not.toMatch(/not writable/);
    expect(readFileSync(join(root.confDir, 'multipath-exporter-10-defaults.conf'), 'utf8')).toBe(old);
    expect(confFiles()).toHaveLength(3);
    expect(mpd.reconfigures()).toBe(1);
    const again = await applyOnce(config2, CONFIG_PATH, deps());
    expect(again.success).toBe(true);
    expect(readFileSync(join(root.confDir, 'multipath-exporter-10-defaults.conf'), 'utf8')).toContain('no_path_retry "fail"');
  });

  it('a drop-in directory this process cannot write (the monitor-only unit) says what to install', async () => {
    const readOnly = (): never => {
      throw Object.assign(new Error('EROFS: read-only file system (injected)'), { code: 'EROFS' });
    };
    const report = await applyOnce(root.config(CLUSTER), CONFIG_PATH, { ...deps(), beforeRename: readOnly });
    const dropIns = report.errors.filter((e) => /^writing \S+\.conf failed/.test(e));
    expect(dropIns).toHaveLength(3);
    for (const e of dropIns) expect(e).toMatch(/failed: EROFS: read-only file system \(injected\) \(\S+ is not writable for this process: the packaged unit only monitors; install its apply-mode\.conf drop-in/);
    expect(confFiles()).toEqual([]);
  });

  it('leaves files of other tools and stray files of our prefix without our header alone', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(root.confDir, { recursive: true });
    writeFileSync(join(root.confDir, 'vendor.conf'), 'defaults {\n}\n');
    writeFileSync(join(root.confDir, 'multipath-exporter-50-local.conf'), '# mine\n');
    writeFileSync(join(root.confDir, 'multipath-exporter-30-old.conf'), '# Managed by multipath-exporter - do not edit by hand.\n');
    const report = await applyOnce(root.config(CLUSTER), CONFIG_PATH, deps());
    expect(report.changes).toContain(`removed ${join(root.confDir, 'multipath-exporter-30-old.conf')}`);
    expect(confFiles()).toEqual(['multipath-exporter-10-defaults.conf', 'multipath-exporter-20-multipaths.conf', 'multipath-exporter-50-local.conf', 'multipath-exporter-90-overrides.conf', 'vendor.conf']);
  });
});
