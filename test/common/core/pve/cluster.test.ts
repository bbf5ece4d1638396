import { describe, expect, it } from 'vitest';
import { clusterDigest, isExpectedOn } from '../../../../src/common/core/config.js';
import { formatConfigError } from '../../../../src/common/core/yaml-schema.js';
import { pveCluster, type PveFiles } from '../../../../src/common/core/pve/cluster.js';
import { readPveFiles } from '../../../../src/common/io/config-file.js';
import { FIXTURES } from '../../../support/fixtures.js';

async function scenario(name: string): Promise<PveFiles> {
  const read = await readPveFiles(`${FIXTURES}pve/${name}`);
  if (!read.ok) throw new Error(read.errors.join('\n'));
  return read.files;
}

const NONE: PveFiles = { 'multipath.cfg': null, 'multipath-overrides.conf': null, 'storage.cfg': null, '.members': null, 'corosync.conf': null };
const DIR = '/etc/pve';
const lun = (n: number) => `3600a098038314c6f6b5d4f2d41434b3${n}`;

function ok(files: PveFiles) {
  const result = pveCluster(DIR, files);
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
  return result.cluster;
}
function errors(files: PveFiles): string[] {
  const result = pveCluster(DIR, files);
  return result.ok ? [] : result.errors.map(formatConfigError);
}

describe('cluster config from the Proxmox VE cluster files', () => {
  it('zoned FC cluster: nodes from .members, knobs normalised like the YAML, expected nodes and used-by from storage.cfg, overrides verbatim', async () => {
    const files = await scenario('zoned-fc-four-nodes');
    const cluster = ok(files);
    expect(cluster).toEqual({
      source: 'pve',
      dir: DIR,
      nodes: ['pve1', 'pve2', 'pve3', 'pve4'],
      defaults: { find_multipaths: 'strict', no_path_retry: '18', polling_interval: '10' },
      luns: [
        { wwid: lun(1), alias: 'db-data', path_grouping_policy: 'group_by_prio', nodes: ['pve1', 'pve2'], usedBy: 'vg-db' },
        { wwid: lun(2), alias: 'web-data', failback: 'immediate', path_selector: 'service-time 0', nodes: ['pve3'], usedBy: 'vg-web' },
        { wwid: lun(3), alias: 'archive', nodes: ['pve1', 'pve2', 'pve3'] },
        { wwid: lun(4), alias: 'legacy', nodes: ['pve1', 'pve2', 'pve3'] },
        { wwid: lun(5), alias: 'scratch', no_path_retry: 'fail', nodes: ['pve1', 'pve2', 'pve3'] },
        { wwid: lun(6), alias: 'misplaced', rr_min_io_rq: '1', rr_weight: 'uniform', nodes: ['pve1', 'pve2', 'pve3'], usedBy: 'vg-misplaced' },
      ],
      overrides: files['multipath-overrides.conf'],
    });
  });

  it('zoned LUNs: a node outside the chain is not expected (never "missing"), an expected node is, the disabled storage node pve4 carries nothing', async () => {
    const cluster = ok(await scenario('zoned-fc-four-nodes'));
    const matrix = Object.fromEntries(cluster.luns.map((l) => [l.alias, ['pve1', 'pve2', 'pve3', 'pve4'].filter((n) => isExpectedOn(l, cluster, n)).join(',')]));
    expect(matrix).toEqual({
      'db-data': 'pve1,pve2',
      'web-data': 'pve3',
      archive: 'pve1,pve2,pve3',
      legacy: 'pve1,pve2,pve3',
      scratch: 'pve1,pve2,pve3',
      misplaced: 'pve1,pve2,pve3',
    });
  });

  it('standalone node, unrestricted storage: the LUN is expected on every node (the one)', async () => {
    const cluster = ok(await scenario('standalone-node'));
    expect(cluster.nodes).toEqual(['pve-solo']);
    expect(cluster.luns).toEqual([{ wwid: '36001405aabbccddeeff00112233445566', alias: 'san-lun0', nodes: undefined, usedBy: 'vg-san' }]);
    expect(isExpectedOn(cluster.luns[0]!, cluster, 'pve-solo')).toBe(true);
  });

  it('without .members the node list comes from corosync.conf', async () => {
    const files = await scenario('zoned-fc-four-nodes');
    expect(ok({ ...files, '.members': null }).nodes).toEqual(['pve1', 'pve2', 'pve3', 'pve4']);
  });

  it('the order of the sections is not part of the config: reordered files, same digest', async () => {
    const files = await scenario('section-config-round-trip');
    const reordered = { ...files, 'multipath.cfg': files['multipath.cfg']!.split('\n\n').reverse().join('\n\n') };
    expect(reordered['multipath.cfg']).not.toEqual(files['multipath.cfg']);
    expect(clusterDigest(ok(reordered))).toEqual(clusterDigest(ok(files)));
  });

  it('an unmounted pmxcfs (no .members, no corosync.conf) is an error, not an empty config', () => {
    expect(errors({ ...NONE, 'multipath.cfg': null })).toEqual(['/etc/pve: neither .members nor corosync.conf found: is pmxcfs mounted (pve-cluster running)?']);
  });

  it('the overrides go through the override guard, with their own file and line', () => {
    expect(errors({ ...NONE, '.members': '{"nodename":"pve1"}', 'multipath-overrides.conf': 'devices {\n}\nmultipaths {\n}\n' })).toEqual([
      "/etc/pve/multipath-overrides.conf: line 3: 'multipaths' is generated from cluster.luns (alias and per-LUN knobs); set it there",
    ]);
  });

  it('one alias on two LUNs is an error on the line of the alias', () => {
    const multipath = 'wwid: 3600abc\n\talias shared\n\nwwid: 3600def\n\talias shared\n';
    expect(errors({ ...NONE, '.members': '{"nodename":"pve1"}', 'multipath.cfg': multipath })).toEqual([
      '/etc/pve/multipath.cfg: line 5: wwid: 3600def: alias "shared" is also used by luns[0] (3600abc); multipathd would keep only the lowest WWID\'s map',
    ]);
  });

  it('errors of every file are reported together', () => {
    const all = errors({ ...NONE, '.members': '{', 'multipath.cfg': 'lun: x\n', 'storage.cfg': 'garbage\n' });
    expect(all.map((e) => e.split(':')[0])).toEqual(['/etc/pve/.members', '/etc/pve/multipath.cfg', '/etc/pve/storage.cfg']);
  });
});
