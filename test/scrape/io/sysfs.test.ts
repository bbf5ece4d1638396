// The one sysfs reader (`<root>/block/`), on a fake sysfs tree shaped like the kernel's.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MapModel } from '../../../src/scrape/core/parse-multipathd.js';
import { readBlockDevices, readSysfsFacts } from '../../../src/scrape/io/sysfs.js';

const A = '3600a098038314c6f6b5d4f2d41434b31';
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sysfs-'));
  // /sys/block/* are links into /sys/devices, as on a real host
  const device = (name: string, path: string, files: Record<string, string>, holders: string[] = []) => {
    const dir = join(root, 'devices', path, name);
    mkdirSync(join(dir, 'holders'), { recursive: true });
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    for (const h of holders) symlinkSync(`../../${h}`, join(dir, 'holders', h));
    mkdirSync(join(root, 'block'), { recursive: true });
    symlinkSync(join('..', 'devices', path, name), join(root, 'block', name));
  };
  device('sda', 'platform/host2/session1/target2:0:0/2:0:0:1/block', { dev: '8:0\n', size: '2097152\n' }, ['dm-0']);
  device('dm-0', 'virtual/block', { dev: '253:0\n', size: '2097152\n', 'dm/uuid': `mpath-${A}\n`, 'dm/name': 'san-a\n' }, ['dm-1']);
  device('dm-1', 'virtual/block', { dev: '253:1\n', size: '1024\n', 'dm/uuid': 'LVM-abc\n', 'dm/name': 'vg-lv\n' });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const map = (sysfs: string | undefined, devs: string[]) => ({ sysfs, pathGroups: [{ paths: devs.map((dev) => ({ dev })) }] }) as unknown as MapModel;

describe('readSysfsFacts (scrape)', () => {
  it("reads each map's size and holder count and each path's device link; absent devices are skipped", async () => {
    const facts = await readSysfsFacts(root, [map('dm-0', ['sda', 'sdz']), map('dm-9', []), map('../etc', ['../x'])]);
    expect(facts.sizeSectors).toEqual(new Map([['dm-0', 2097152]]));
    expect(facts.holders).toEqual(new Map([['dm-0', 1]]));
    expect([...facts.pathLinks.keys()]).toEqual(['sda']);
    expect(facts.pathLinks.get('sda')).toMatch(/\/session1\/.*\/block\/sda$/);
  });

  it('no sysfs at all: no facts, no error', async () => {
    const facts = await readSysfsFacts(join(root, 'nope'), [map('dm-0', ['sda'])]);
    expect([facts.sizeSectors.size, facts.holders.size, facts.pathLinks.size]).toEqual([0, 0, 0]);
  });
});

describe('readBlockDevices (apply)', () => {
  it('lists every block device with dev, holders and dm uuid/name', () => {
    expect(readBlockDevices(root)).toEqual([
      { name: 'dm-0', dev: '253:0', holders: ['dm-1'], dmUuid: `mpath-${A}`, dmName: 'san-a' },
      { name: 'dm-1', dev: '253:1', holders: [], dmUuid: 'LVM-abc', dmName: 'vg-lv' },
      { name: 'sda', dev: '8:0', holders: ['dm-0'], dmUuid: undefined, dmName: undefined },
    ]);
  });

  it('no block/ directory means no devices; a holders list it cannot read is an error, not "none"', () => {
    expect(readBlockDevices(join(root, 'nope'))).toEqual([]);
    rmSync(join(root, 'devices/virtual/block/dm-0/holders'), { recursive: true });
    writeFileSync(join(root, 'devices/virtual/block/dm-0/holders'), '');
    expect(() => readBlockDevices(root)).toThrow(/ENOTDIR/);
  });
});
