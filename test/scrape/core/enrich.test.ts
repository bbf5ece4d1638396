import { describe, expect, it } from 'vitest';
import { enrichMaps, sameFacts, type SysfsFacts } from '../../../src/scrape/core/enrich.js';
import { snapshotFromFixture } from '../../support/scrape.js';

const ISCSI = '../devices/platform/host3/session1/target3:0:0/3:0:0:0/block/';
const FC = '../devices/pci0000:00/0000:00:03.0/host5/rport-5:0-2/target5:0:1/5:0:1:0/block/';

function facts(partial: Partial<SysfsFacts> = {}): SysfsFacts {
  return { sizeSectors: new Map(), holders: new Map(), pathLinks: new Map(), ...partial };
}

describe('enrichMaps', () => {
  const [iscsi] = snapshotFromFixture('iscsi-2paths-one-faulty.json').maps; // dm-4, paths sdj and sdk

  it('adds size in bytes (sectors x 512, whatever the block size) and holders of the map', () => {
    const [map] = enrichMaps([iscsi!], facts({ sizeSectors: new Map([['dm-4', 2048]]), holders: new Map([['dm-4', 2]]) }));
    expect(map).toMatchObject({ sizeBytes: 2048 * 512, holders: 2 });
  });

  it('keeps the path groups and paths no fact changes (the same objects, no copy)', () => {
    const [none] = enrichMaps([iscsi!], facts());
    expect(none!.pathGroups[0]).toBe(iscsi!.pathGroups[0]);
    const [one] = enrichMaps([iscsi!], facts({ pathLinks: new Map([['sdj', `${ISCSI}sdj`]]) }));
    const [sdj, sdk] = one!.pathGroups[0]!.paths;
    expect(sdj).toMatchObject({ dev: 'sdj', transport: 'iscsi' });
    expect(iscsi!.pathGroups[0]!.paths[0]!.transport).toBeUndefined(); // the parsed model is not touched
    expect(sdk).toBe(iscsi!.pathGroups[0]!.paths[1]);
  });

  it('leaves size and holders absent when sysfs has none, or the map has no dm device', () => {
    const [unknown] = enrichMaps([iscsi!], facts({ sizeSectors: new Map([['dm-9', 1]]) }));
    expect(unknown!.sizeBytes).toBeUndefined();
    expect(unknown!.holders).toBeUndefined();
    const [noSysfs] = enrichMaps([{ ...iscsi!, sysfs: undefined }], facts({ sizeSectors: new Map([['dm-4', 1]]), holders: new Map([['dm-4', 1]]) }));
    expect(noSysfs).toMatchObject({ sizeBytes: undefined, holders: undefined });
  });

  it('takes each path transport from its sysfs link and the map transport only when all paths agree', () => {
    const both = enrichMaps([iscsi!], facts({ pathLinks: new Map([['sdj', `${ISCSI}sdj`], ['sdk', `${ISCSI}sdk`]]) }))[0]!;
    expect(both.pathGroups[0]!.paths.map((p) => p.transport)).toEqual(['iscsi', 'iscsi']);
    expect(both.transport).toBe('iscsi');
    const mixed = enrichMaps([iscsi!], facts({ pathLinks: new Map([['sdj', `${ISCSI}sdj`], ['sdk', `${FC}sdk`]]) }))[0]!;
    expect(mixed.transport).toBeUndefined();
    const oneMissing = enrichMaps([iscsi!], facts({ pathLinks: new Map([['sdj', `${ISCSI}sdj`]]) }))[0]!;
    expect(oneMissing.pathGroups[0]!.paths.map((p) => p.transport)).toEqual(['iscsi', undefined]);
    expect(oneMissing.transport).toBeUndefined();
  });

  it('keeps a transport multipathd already gave (FC from the target WWPN) over the sysfs link', () => {
    const [fc] = snapshotFromFixture('fc-alua-4paths-2groups.json').maps;
    const devs = fc!.pathGroups.flatMap((g) => g.paths.map((p) => p.dev!));
    const [map] = enrichMaps([fc!], facts({ pathLinks: new Map(devs.map((d) => [d, `${ISCSI}${d}`])) }));
    expect(map!.pathGroups.flatMap((g) => g.paths.map((p) => p.transport))).toEqual(devs.map(() => 'fc'));
    expect(map!.transport).toBe('fc');
  });

  it('does not change the maps it is given', () => {
    const before = JSON.stringify(iscsi);
    enrichMaps([iscsi!], facts({ sizeSectors: new Map([['dm-4', 8]]), pathLinks: new Map([['sdj', `${ISCSI}sdj`]]) }));
    expect(JSON.stringify(iscsi)).toBe(before);
  });
});

describe('sameFacts', () => {
  it('is true only for equal readings', () => {
    const a = facts({ sizeSectors: new Map([['dm-4', 8]]), holders: new Map([['dm-4', 0]]), pathLinks: new Map([['sdj', 'x']]) });
    const equal = facts({ sizeSectors: new Map([['dm-4', 8]]), holders: new Map([['dm-4', 0]]), pathLinks: new Map([['sdj', 'x']]) });
    expect(sameFacts(a, equal)).toBe(true);
    expect(sameFacts(a, { ...equal, sizeSectors: new Map([['dm-4', 9]]) })).toBe(false);
    expect(sameFacts(a, { ...equal, holders: new Map() })).toBe(false);
    expect(sameFacts(a, { ...equal, pathLinks: new Map([['sdj', 'x'], ['sdk', 'y']]) })).toBe(false);
  });
});
