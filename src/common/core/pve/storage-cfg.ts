// /etc/pve/storage.cfg, read only for what it says about multipath LUNs: the `multipath` storages
// (where multipath is in use) and the `lvm` storages whose `base` is a volume of one of them (which
// LUN a storage consumes, and on which nodes). Every other storage type and key is ignored. Pure.
import type { ConfigError } from '../yaml-schema.js';
import { parseSectionConfig, type Section } from './section-config.js';

/** A set of node names, or every node of the cluster (a storage without a `nodes` restriction). */
export type NodeSet = 'all' | ReadonlySet<string>;

export interface StorageExpectations {
  /** Where a multipath storage is enabled; empty when there is none. */
  multipathNodes: NodeSet;
  /** Per WWID: where an enabled storage chain (lvm on an enabled multipath storage) consumes it. */
  wwidNodes: ReadonlyMap<string, NodeSet>;
  /** Per WWID: the IDs of the LVM storages consuming it, sorted. */
  consumers: ReadonlyMap<string, string[]>;
}

export type StorageCfgResult = { ok: true; value: StorageExpectations } | { ok: false; errors: ConfigError[] };

export function union(a: NodeSet, b: NodeSet): NodeSet {
  return a === 'all' || b === 'all' ? 'all' : new Set([...a, ...b]);
}

export function intersect(a: NodeSet, b: NodeSet): NodeSet {
  if (a === 'all') return b;
  if (b === 'all') return a;
  return new Set([...a].filter((n) => b.has(n)));
}

const property = (section: Section, key: string) => section.properties.find((p) => p.key === key);

/** A bare `disable` or `disable 1` turns a storage off (PVE's boolean). */
const isEnabled = (section: Section) => {
  const disable = property(section, 'disable');
  return !disable || disable.value === '0';
};

/** `nodes pve1,pve2` (PVE splits node lists on commas, semicolons and spaces); unset means every node. */
const nodesOf = (section: Section): NodeSet => {
  const value = property(section, 'nodes')?.value;
  return value === undefined ? 'all' : new Set(value.split(/[\s,;]+/).filter(Boolean));
};

/** `<storage id>:<volume>`, as PVE::Storage::parse_volume_id splits it. */
const VOLUME_ID = /^([a-z][a-z0-9._-]*[a-z0-9]):(.+)$/i;

export function parseStorageCfg(text: string, file: string): StorageCfgResult {
  const parsed = parseSectionConfig(text);
  if (parsed.problems.length > 0) return { ok: false, errors: parsed.problems.map((p) => ({ file, line: p.line, path: '', message: p.message })) };
  const byId = new Map(parsed.sections.map((s) => [s.id, s]));
  let multipathNodes: NodeSet = new Set<string>();
  for (const s of parsed.sections) if (s.type === 'multipath' && isEnabled(s)) multipathNodes = union(multipathNodes, nodesOf(s));

  const wwidNodes = new Map<string, NodeSet>();
  const consumers = new Map<string, string[]>();
  for (const lvm of parsed.sections) {
    if (lvm.type !== 'lvm' || !isEnabled(lvm)) continue;
    const base = VOLUME_ID.exec(property(lvm, 'base')?.value ?? '');
    const multipath = base ? byId.get(base[1]!) : undefined;
    if (!multipath || multipath.type !== 'multipath' || !isEnabled(multipath)) continue;
    const wwid = base![2]!;
    const chain = intersect(nodesOf(lvm), nodesOf(multipath));
    wwidNodes.set(wwid, union(wwidNodes.get(wwid) ?? new Set(), chain));
    consumers.set(wwid, [...(consumers.get(wwid) ?? []), lvm.id].sort());
  }
  return { ok: true, value: { multipathNodes, wwidNodes, consumers } };
}

/**
 * The nodes expected to carry a LUN, as Proxmox VE derives them: the consuming storage chain's
 * nodes, else wherever a multipath storage is enabled. Undefined means every cluster node: an
 * unrestricted storage, or no information (an empty set never means "expected nowhere").
 */
export function expectedNodes(expectations: StorageExpectations, wwid: string): string[] | undefined {
  for (const set of [expectations.wwidNodes.get(wwid), expectations.multipathNodes]) {
    if (set === 'all') return undefined;
    if (set && set.size > 0) return [...set].sort();
  }
  return undefined;
}
