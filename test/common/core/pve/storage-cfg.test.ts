import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectedNodes, parseStorageCfg, type StorageExpectations } from '../../../../src/common/core/pve/storage-cfg.js';
import { FIXTURES } from '../../../support/fixtures.js';

const FILE = '/etc/pve/storage.cfg';

function expectations(text: string): StorageExpectations {
  const result = parseStorageCfg(text, FILE);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

const lun = (n: number) => `3600a098038314c6f6b5d4f2d41434b3${n}`;

describe('/etc/pve/storage.cfg: expected nodes and used-by per LUN', () => {
  const zoned = expectations(readFileSync(`${FIXTURES}pve/zoned-fc-four-nodes/storage.cfg`, 'utf8'));

  it("the consuming chain's nodes: lvm unrestricted on a multipath storage zoned to pve1,pve2", () => {
    expect(expectedNodes(zoned, lun(1))).toEqual(['pve1', 'pve2']);
    expect(zoned.consumers.get(lun(1))).toEqual(['vg-db']);
  });

  it('the chain is where both the lvm and its multipath base are available (their intersection)', () => {
    // vg-web: nodes pve3,pve4 on san-b (pve2,pve3)
    expect(expectedNodes(zoned, lun(2))).toEqual(['pve3']);
    expect(zoned.consumers.get(lun(2))).toEqual(['vg-web']);
  });

  it('no consuming chain: wherever a multipath storage is enabled (the disabled one on pve4 does not count)', () => {
    expect(expectedNodes(zoned, lun(5))).toEqual(['pve1', 'pve2', 'pve3']);
    expect(zoned.consumers.has(lun(5))).toBe(false);
  });

  it('a disabled lvm storage, or one on a disabled multipath storage, is no chain and no consumer', () => {
    for (const wwid of [lun(3), lun(4)]) {
      expect(expectedNodes(zoned, wwid)).toEqual(['pve1', 'pve2', 'pve3']);
      expect(zoned.consumers.has(wwid)).toBe(false);
    }
  });

  it('a chain whose nodes do not overlap is no information (never "expected nowhere"), but still names its consumer', () => {
    // vg-misplaced: nodes pve1 on san-b (pve2,pve3)
    expect(expectedNodes(zoned, lun(6))).toEqual(['pve1', 'pve2', 'pve3']);
    expect(zoned.consumers.get(lun(6))).toEqual(['vg-misplaced']);
  });

  it('lvm on an iscsi base, other storage types and their keys are ignored', () => {
    expect([...zoned.consumers.keys()].sort()).toEqual([lun(1), lun(2), lun(6)]);
  });

  it('unrestricted storages mean every cluster node (undefined); no multipath storage at all too', () => {
    const open = expectations('multipath: san\n\tcontent images\n\nlvm: vg\n\tvgname vg\n\tbase san:3600abc\n');
    expect(expectedNodes(open, '3600abc')).toBeUndefined();
    expect(expectedNodes(open, '3600def')).toBeUndefined();
    expect(expectedNodes(expectations('dir: local\n\tpath /var/lib/vz\n'), '3600abc')).toBeUndefined();
  });

  it('two lvm storages on one LUN: the union of their chains, both consumers; "disable 0" is enabled', () => {
    const two = expectations(
      'multipath: san\n\tnodes pve1,pve2,pve3\n\nlvm: b\n\tbase san:3600abc\n\tnodes pve2\n\nlvm: a\n\tbase san:3600abc\n\tnodes pve1\n\tdisable 0\n\nmultipath: other\n\tnodes pve9\n',
    );
    expect(expectedNodes(two, '3600abc')).toEqual(['pve1', 'pve2']);
    expect(two.consumers.get('3600abc')).toEqual(['a', 'b']);
  });

  it('a malformed storage.cfg is an error with file and line', () => {
    expect(parseStorageCfg('multipath: san\n\tcontent images\nlvm: vg\n', FILE)).toEqual({
      ok: false,
      errors: [{ file: FILE, line: 3, path: '', message: 'a section header needs a blank line before it (section "multipath: san"), got "lvm: vg"' }],
    });
  });
});
