// A scenario of exporter series (docs/metrics.md) for the dashboard query tests, in promtool
// input_series syntax, 1m apart, 0m..60m:
// - n1: exporter and multipathd up; w1 and w2 optimal (2/2 paths), w3 (not allow-listed, map alias
//   "scratch") optimal with 1 path.
// - n2: up; w1 degraded (1 of 2 paths active, sdc faulty, path faults rising); w2 expected but no
//   map (missing); w3 optimal with 1 path, as on n1 (two nodes in one state: a per-state count of
//   2, which a roll-up that keeps `node` would not give); its config digest differs (drift) and its
//   last apply pass failed (2 errors); its multipathd is busy (show status).
// - n3: w1 and w2 optimal until 30m, then its exporter is down (up 0, every other series stale).
// Allow-listed LUNs w1 (alias san-a-lun0, used by vm-store) and w2 (san-a-lun1, backup) are expected
// on all three nodes with 2 paths each.
import type { InputSeries } from '../support/dashboard-queries.js';

export const W1 = '3600a098038314c6f6b5d4f2d41434b31';
export const W2 = '3600a098038314c6f6b5d4f2d41434b32';
export const W3 = '36001405aabbccddeeff00112233445566';
export const NODES = ['n1', 'n2', 'n3'] as const;
export const EVAL_TIME = '60m';

/** The checker states of `show status` (multipath_daemon_paths), all emitted. */
const STATUS_CHECKER_STATES = ['wild', 'unchecked', 'faulty', 'ready', 'shaky', 'ghost', 'pending', 'timeout', 'removed', 'delayed', 'disconnected'];

interface PathSpec {
  dev: string;
  active: boolean;
  checker: string;
  group: string;
  priority: number;
}
interface MapSpec {
  wwid: string;
  alias: string;
  usedBy: string;
  state: 'optimal' | 'degraded' | 'failed';
  paths: PathSpec[];
  faultsPerMinute: number;
}
interface NodeSpec {
  node: string;
  /** Minutes the exporter answers (then up 0 and every other series stale); undefined: always. */
  upUntil?: number;
  digest: string;
  applyErrors: number;
  maps: MapSpec[];
}

const path = (dev: string, active: boolean, group = '1', priority = 50): PathSpec => ({
  dev,
  active,
  checker: active ? 'ready' : 'faulty',
  group,
  priority,
});

export const LUNS = [
  { wwid: W1, alias: 'san-a-lun0', usedBy: 'vm-store', paths: 2 },
  { wwid: W2, alias: 'san-a-lun1', usedBy: 'backup', paths: 2 },
];

const optimal = (wwid: string, alias: string, usedBy: string, devs: string[]): MapSpec => ({
  wwid,
  alias,
  usedBy,
  state: 'optimal',
  paths: devs.map((d, i) => path(d, true, String(i + 1), i === 0 ? 50 : 10)),
  faultsPerMinute: 0,
});

export const NODE_SPECS: NodeSpec[] = [
  {
    node: 'n1',
    digest: 'sha256:aaaa',
    applyErrors: 0,
    maps: [
      optimal(W1, 'san-a-lun0', 'vm-store', ['sdb', 'sdc']),
      optimal(W2, 'san-a-lun1', 'backup', ['sdd', 'sde']),
      optimal(W3, 'scratch', '', ['sdf']),
    ],
  },
  {
    node: 'n2',
    digest: 'sha256:bbbb',
    applyErrors: 2,
    maps: [
      { wwid: W1, alias: 'san-a-lun0', usedBy: 'vm-store', state: 'degraded', paths: [path('sdb', true), path('sdc', false, '2', 10)], faultsPerMinute: 1 },
      optimal(W3, 'scratch', '', ['sdd']),
    ],
  },
  {
    node: 'n3',
    upUntil: 30,
    digest: 'sha256:aaaa',
    applyErrors: 0,
    maps: [optimal(W1, 'san-a-lun0', 'vm-store', ['sdb', 'sdc']), optimal(W2, 'san-a-lun1', 'backup', ['sdd', 'sde'])],
  },
];

function labelString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
}

/** The scenario's input series; `cluster` adds a cluster target label (undefined: none). */
export function multipathScenario(opts: { cluster?: string; job?: string } = {}): InputSeries[] {
  const out: InputSeries[] = [];
  for (const spec of NODE_SPECS) {
    const target: Record<string, string> = {
      job: opts.job ?? 'multipath',
      instance: `${spec.node}.example:9684`,
      node: spec.node,
      ...(opts.cluster !== undefined ? { cluster: opts.cluster } : {}),
    };
    const until = spec.upUntil;
    // A gauge that holds `v` while the exporter answers, then goes stale.
    const gauge = (v: number): string => (until === undefined ? `${v}x60` : `${v}x${until} stale`);
    // A counter rising by `step` per minute while the exporter answers.
    const counter = (step: number): string => (until === undefined ? `0+${step}x60` : `0+${step}x${until} stale`);
    const add = (name: string, labels: Record<string, string>, values: string): void => {
      out.push({ series: `${name}{${labelString({ ...target, ...labels })}}`, values });
    };

    add('up', {}, until === undefined ? '1x60' : `1x${until} 0x${60 - until - 1}`);
    add('multipath_up', {}, gauge(1));
    add('multipath_scrape_duration_seconds', {}, gauge(0.012));
    for (const r of ['none', 'daemon_down', 'timeout', 'fail', 'bad_output', 'too_large', 'permission']) {
      add('multipath_collection_error', { reason: r }, gauge(r === 'none' ? 1 : 0));
    }
    for (const s of ['init', 'startup', 'configure', 'idle', 'running', 'shutdown', 'unknown']) {
      add('multipath_daemon_state', { state: s }, gauge(s === 'running' ? 1 : 0));
    }
    add('multipath_daemon_reconfigure_pending', {}, gauge(0));
    add('multipath_daemon_busy', {}, gauge(spec.node === 'n2' ? 1 : 0));
    for (const s of STATUS_CHECKER_STATES) {
      const paths = spec.maps.flatMap((m) => m.paths).filter((p) => p.checker === s).length;
      add('multipath_daemon_paths', { state: s }, gauge(paths));
    }
    add('multipath_daemon_paths_monitored', {}, gauge(spec.maps.flatMap((m) => m.paths).length));
    add('multipath_exporter_info', { version: '0.1.0', nodename: spec.node }, gauge(1));
    add('multipath_maps_skipped', {}, gauge(0));
    // config
    add('multipath_config_valid', {}, gauge(1));
    add('multipath_config_info', { digest: spec.digest }, gauge(1));
    add('multipath_config_node_in_cluster', {}, gauge(1));
    add('multipath_config_apply_enabled', {}, gauge(1));
    add('multipath_config_apply_success', {}, gauge(spec.applyErrors === 0 ? 1 : 0));
    add('multipath_config_apply_errors', {}, gauge(spec.applyErrors));
    add('multipath_config_last_apply_timestamp_seconds', {}, gauge(1_790_000_000));
    add('multipath_config_last_change_timestamp_seconds', {}, gauge(1_790_000_000));
    add('multipath_config_reload_success', {}, gauge(1));
    // config-derived, per allow-listed LUN
    for (const lun of LUNS) {
      add('multipath_map_expected', { wwid: lun.wwid }, gauge(1));
      add('multipath_map_paths_expected', { wwid: lun.wwid }, gauge(lun.paths));
      add('multipath_lun_info', { wwid: lun.wwid, alias: lun.alias, used_by: lun.usedBy }, gauge(1));
    }
    // maps
    for (const m of spec.maps) {
      const w = { wwid: m.wwid };
      const active = m.paths.filter((p) => p.active).length;
      add('multipath_map_info', { ...w, name: m.alias || m.wwid, alias: m.alias, sysfs: 'dm-0', vendor: 'NETAPP', product: 'LUN C-Mode', transport: 'fc', used_by: m.usedBy }, gauge(1));
      for (const s of ['optimal', 'degraded', 'failed']) add('multipath_map_state', { ...w, state: s }, gauge(s === m.state ? 1 : 0));
      add('multipath_map_paths', w, gauge(m.paths.length));
      add('multipath_map_paths_active', w, gauge(active));
      add('multipath_map_paths_usable', w, gauge(active));
      add('multipath_map_size_bytes', w, gauge(107_374_182_400));
      add('multipath_map_holders', w, gauge(1));
      add('multipath_map_suspended', w, gauge(0));
      add('multipath_map_read_only', w, gauge(0));
      add('multipath_map_queueing', { ...w, mode: 'queue' }, gauge(1));
      add('multipath_map_path_faults_total', w, counter(m.faultsPerMinute));
      add('multipath_map_path_group_switches_total', w, counter(m.faultsPerMinute));
      add('multipath_map_queueing_seconds_total', w, counter(m.faultsPerMinute * 2));
      for (const g of [...new Set(m.paths.map((p) => p.group))]) {
        const inGroup = m.paths.filter((p) => p.group === g);
        const gs = inGroup.some((p) => p.active) ? (g === '1' ? 'active' : 'enabled') : 'disabled';
        add('multipath_path_group_state', { ...w, group: g, state: gs }, gauge(1));
        add('multipath_path_group_priority', { ...w, group: g }, gauge(inGroup[0]!.priority));
      }
      for (const p of m.paths) {
        const d = { ...w, dev: p.dev };
        add('multipath_path_active', d, gauge(p.active ? 1 : 0));
        add('multipath_path_state', { ...d, dm_state: p.active ? 'active' : 'failed', checker_state: p.checker, device_state: 'running' }, gauge(1));
        add('multipath_path_priority', d, gauge(p.priority));
        add('multipath_path_marginal', d, gauge(0));
        add('multipath_path_info', { ...d, dev_t: '8:16', group: p.group, checker: 'tur', transport: 'fc', host_adapter: '0000:41:00.0', target_wwpn: '0x500a098188fcd6b1', lun_hex: '0x0001' }, gauge(1));
      }
    }
  }
  return out;
}
