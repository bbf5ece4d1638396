import { describe, expect, it } from 'vitest';
import { mountedMultipathWwids, mpathWwid, parseMountinfo, type BlockDevice } from '../../../src/apply/core/mountinfo.js';

const MOUNTINFO = `22 1 253:4 / / rw,relatime shared:1 - ext4 /dev/mapper/pve-root rw,errors=remount-ro
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
24 22 253:5 / /boot/efi rw,relatime shared:29 - vfat /dev/mapper/36001405aaaaaaaaaaaaaaaaaaaaaaaa1-part1 rw
25 22 253:7 / /mnt/with\\040space rw,relatime shared:30 - xfs /dev/mapper/36001405cccccccccccccccccccccccc3 rw
26 22 0:45 / /srv/btrfs rw,relatime shared:31 - btrfs /dev/mapper/36001405dddddddddddddddddddddddd4 rw
27 22 8:1 / /mnt/sdb1 rw - ext4 /dev/sdb1 rw
garbage line
`;

const dev = (name: string, devno: string, holders: string[], dmUuid?: string, dmName?: string): BlockDevice => ({ name, dev: devno, holders, dmUuid, dmName });

// root on LVM on a partition (kpartx) of map A; map B carries an LVM volume that is not mounted;
// map C is mounted directly; map D is btrfs (anonymous st_dev, found by source); map E is unused.
const DEVICES: BlockDevice[] = [
  dev('sda', '8:0', ['dm-0']),
  dev('sdb', '8:16', ['dm-0']),
  dev('dm-0', '253:0', ['dm-1', 'dm-5'], 'mpath-36001405aaaaaaaaaaaaaaaaaaaaaaaa1', '36001405aaaaaaaaaaaaaaaaaaaaaaaa1'),
  dev('dm-1', '253:1', ['dm-4'], 'part2-mpath-36001405aaaaaaaaaaaaaaaaaaaaaaaa1', '36001405aaaaaaaaaaaaaaaaaaaaaaaa1-part2'),
  dev('dm-4', '253:4', [], 'LVM-abcdefgh', 'pve-root'),
  dev('dm-5', '253:5', [], 'part1-mpath-36001405aaaaaaaaaaaaaaaaaaaaaaaa1', '36001405aaaaaaaaaaaaaaaaaaaaaaaa1-part1'),
  dev('dm-2', '253:2', ['dm-3'], 'mpath-36001405bbbbbbbbbbbbbbbbbbbbbbbb2', 'san-b'),
  dev('dm-3', '253:3', [], 'LVM-unmounted', 'vg-data'),
  dev('dm-7', '253:7', [], 'mpath-36001405cccccccccccccccccccccccc3', '36001405cccccccccccccccccccccccc3'),
  dev('dm-8', '253:8', [], 'mpath-36001405dddddddddddddddddddddddd4', '36001405dddddddddddddddddddddddd4'),
  dev('dm-9', '253:9', ['dm-9'], 'mpath-36001405eeeeeeeeeeeeeeeeeeeeeeee5', 'e'), // a cycle must not hang
];

describe('parseMountinfo', () => {
  it('parses device numbers, unescapes mount points, skips junk', () => {
    const mounts = parseMountinfo(MOUNTINFO);
    expect(mounts).toHaveLength(6);
    expect(mounts[0]).toEqual({ dev: '253:4', mountPoint: '/', fsType: 'ext4', source: '/dev/mapper/pve-root' });
    expect(mounts[3]!.mountPoint).toBe('/mnt/with space');
  });

  it('handles optional fields of any count', () => {
    const [m] = parseMountinfo('30 22 253:9 / /x rw shared:1 master:2 propagate_from:3 - ext4 /dev/dm-9 rw\n');
    expect(m).toEqual({ dev: '253:9', mountPoint: '/x', fsType: 'ext4', source: '/dev/dm-9' });
  });
});

describe('mountedMultipathWwids', () => {
  const result = mountedMultipathWwids(parseMountinfo(MOUNTINFO), DEVICES);

  it('finds the root filesystem through LVM on a partition holder', () => {
    expect(result.get('36001405aaaaaaaaaaaaaaaaaaaaaaaa1')).toMatch(/^\/ \(ext4\) on pve-root \(LVM\)|^\/boot\/efi \(vfat\)/);
  });

  it('finds a filesystem mounted directly on the map, and btrfs by its source', () => {
    expect(result.get('36001405cccccccccccccccccccccccc3')).toMatch(/^\/mnt\/with space \(xfs\)/);
    expect(result.get('36001405dddddddddddddddddddddddd4')).toMatch(/^\/srv\/btrfs \(btrfs\)/);
  });

  it('leaves maps without a mounted filesystem (even with an LVM holder) unprotected', () => {
    expect(result.has('36001405bbbbbbbbbbbbbbbbbbbbbbbb2')).toBe(false);
    expect(result.has('36001405eeeeeeeeeeeeeeeeeeeeeeee5')).toBe(false);
    expect([...result.keys()].sort()).toEqual(['36001405aaaaaaaaaaaaaaaaaaaaaaaa1', '36001405cccccccccccccccccccccccc3', '36001405dddddddddddddddddddddddd4']);
  });

  it('the root mount alone is enough (no /boot/efi)', () => {
    const mounts = parseMountinfo(MOUNTINFO).filter((m) => m.mountPoint === '/');
    expect(mountedMultipathWwids(mounts, DEVICES).get('36001405aaaaaaaaaaaaaaaaaaaaaaaa1')).toBe(
      '/ (ext4) on pve-root (LVM) via 36001405aaaaaaaaaaaaaaaaaaaaaaaa1 (map) -> 36001405aaaaaaaaaaaaaaaaaaaaaaaa1-part2 (partition)',
    );
  });

  it('mpathWwid reads only multipath map uuids', () => {
    expect(mpathWwid('mpath-3600a0b8')).toBe('3600a0b8');
    expect(mpathWwid('part1-mpath-3600a0b8')).toBeUndefined();
    expect(mpathWwid('LVM-x')).toBeUndefined();
    expect(mpathWwid(undefined)).toBeUndefined();
  });
});

describe('swap on a multipath map', () => {
  it('an active swap partition on a map (or its holder) protects the WWID; swap files do not', async () => {
    const { parseSwaps } = await import('../../../src/apply/core/mountinfo.js');
    const swaps = parseSwaps('Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/dm-3                               partition\t8388604\t\t0\t\t-2\n/swapfile file 1024 0 -3\n');
    expect(swaps).toEqual([{ dev: '', mountPoint: '[SWAP]', fsType: 'swap', source: '/dev/dm-3' }]);
    const result = mountedMultipathWwids(swaps, DEVICES);
    expect([...result.keys()]).toEqual(['36001405bbbbbbbbbbbbbbbbbbbbbbbb2']);
    expect(result.get('36001405bbbbbbbbbbbbbbbbbbbbbbbb2')).toBe('[SWAP] (swap) on vg-data (LVM) via san-b (map)');
  });
});
