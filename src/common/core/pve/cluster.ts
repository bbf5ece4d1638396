// `cluster: { source: pve }`: the shared part of the config (nodes, defaults, LUNs, overrides) taken
// from Proxmox VE's own cluster files in pmxcfs instead of the YAML, then validated by the same
// `Cluster` schema. Pure: the caller reads the files.
import { byWwid, Cluster, DEFAULT_PVE_DIR } from '../config.js';
import { checkOverrides } from '../overrides-guard.js';
import type { ConfigError } from '../yaml-schema.js';
import { parseCorosyncNodes, parseMembers, type NodesResult } from './members.js';
import { parseMultipathCfg, type PveLun } from './multipath-cfg.js';
import { expectedNodes, parseStorageCfg, type StorageExpectations } from './storage-cfg.js';

export { DEFAULT_PVE_DIR };

/** The files read from `cluster.dir`; a change in any of them is a config change. */
export const PVE_FILES = ['multipath.cfg', 'multipath-overrides.conf', 'storage.cfg', '.members', 'corosync.conf'] as const;
export type PveFileName = (typeof PVE_FILES)[number];
/** Each file's text, null when it does not exist. */
export type PveFiles = Readonly<Record<PveFileName, string | null>>;

export type PveClusterResult = { ok: true; cluster: Cluster } | { ok: false; errors: ConfigError[] };

const NO_STORAGE: StorageExpectations = { multipathNodes: new Set(), wwidNodes: new Map(), consumers: new Map() };

/** The node list and the file it came from: `.members`, else corosync.conf. */
function clusterNodes(dir: string, files: PveFiles): NodesResult & { file: string } {
  const members = files['.members'] === null ? undefined : { ...parseMembers(files['.members'], `${dir}/.members`), file: `${dir}/.members` };
  if (members && (!members.ok || members.nodes)) return members;
  if (files['corosync.conf'] !== null) return { ...parseCorosyncNodes(files['corosync.conf'], `${dir}/corosync.conf`), file: `${dir}/corosync.conf` };
  if (members) return members;
  // An unmounted /etc/pve is an empty directory: reading it as "no LUNs" would drop the allow-list.
  return { ok: false, file: dir, errors: [{ file: dir, path: '', message: 'neither .members nor corosync.conf found: is pmxcfs mounted (pve-cluster running)?' }] };
}

export function pveCluster(dir: string, files: PveFiles): PveClusterResult {
  const file = (name: PveFileName) => `${dir}/${name}`;
  const errors: ConfigError[] = [];
  const nodes = clusterNodes(dir, files);
  if (!nodes.ok) errors.push(...nodes.errors);
  const multipath = parseMultipathCfg(files['multipath.cfg'] ?? '', file('multipath.cfg'));
  if (!multipath.ok) errors.push(...multipath.errors);
  const storage = files['storage.cfg'] === null ? { ok: true as const, value: NO_STORAGE } : parseStorageCfg(files['storage.cfg'], file('storage.cfg'));
  if (!storage.ok) errors.push(...storage.errors);
  const overrides = files['multipath-overrides.conf'] ?? '';
  for (const problem of checkOverrides(overrides)) errors.push({ file: file('multipath-overrides.conf'), line: problem.line, path: '', message: problem.message });
  if (!nodes.ok || !multipath.ok || !storage.ok || errors.length > 0) return { ok: false, errors };

  // Sorted by WWID: the order of the sections is not part of the config (nor of its digest).
  const luns = [...multipath.value.luns].sort(byWwid);
  const content = {
    nodes: nodes.nodes,
    defaults: multipath.value.defaults,
    luns: luns.map((lun) => ({
      wwid: lun.wwid,
      ...lun.knobs,
      nodes: expectedNodes(storage.value, lun.wwid),
      usedBy: storage.value.consumers.get(lun.wwid)?.join(','),
    })),
    overrides,
  };
  const checked = Cluster.safeParse(content);
  if (!checked.success) return { ok: false, errors: checked.error.issues.map((issue) => locate(issue.path, issue.message, dir, luns, nodes.file)) };
  return { ok: true, cluster: { ...checked.data, source: 'pve', dir } };
}

/** Points a `Cluster` issue found after the per-file checks (an alias used twice, a bad node name) at its file and line. */
function locate(path: readonly PropertyKey[], message: string, dir: string, luns: readonly PveLun[], nodesFile: string): ConfigError {
  const [top, index, key] = path;
  const lun = top === 'luns' && typeof index === 'number' ? luns[index] : undefined;
  if (lun && key === 'nodes') return { file: `${dir}/storage.cfg`, path: `wwid: ${lun.wwid}`, message: `expected nodes: ${message}` };
  if (lun) return { file: `${dir}/multipath.cfg`, line: lun.knobLines[String(key)] ?? lun.line, path: `wwid: ${lun.wwid}`, message };
  if (top === 'nodes') return { file: nodesFile, path: 'nodes', message: `node list: ${message}` };
  return { file: dir, path: path.map(String).join('.'), message };
}
