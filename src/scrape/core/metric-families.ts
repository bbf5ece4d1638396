// Every metric family the exporter emits, declared once: name, type, help and label names (and the
// members of a state set). Rendering (metrics.ts) only fills values into these families; the
// exposition lists them in this order, the head section first, then the per-map section (which is
// cached per map, src/scrape/core/map-section.ts). docs/metrics.md describes the same list.
import {
  CHECKER_STATES,
  COLLECTION_OUTCOMES,
  DAEMON_STATES,
  MAP_DM_STATES,
  MAP_HEALTH_STATES,
  PATH_DEVICE_STATES,
  PATH_GROUP_STATES,
} from './states.js';

export type MetricType = 'gauge' | 'counter';

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** The label names every series of the family carries (exposition order may differ). */
  readonly labels: readonly string[];
  /** For a state set (every member emitted, exactly one at 1): its label and members. */
  readonly states?: { readonly label: string; readonly values: readonly string[] };
}

function family(type: MetricType, name: string, help: string, labels: readonly string[] = [], states?: MetricFamily['states']): MetricFamily {
  return states ? { name, type, help, labels: [...labels, states.label], states } : { name, type, help, labels };
}
const gauge = (name: string, help: string, labels?: readonly string[], states?: MetricFamily['states']) => family('gauge', name, help, labels, states);
const counter = (name: string, help: string, labels?: readonly string[]) => family('counter', name, help, labels);
const stateSet = (label: string, values: readonly string[]) => ({ label, values });

const MAP = ['wwid'];
const GROUP = ['wwid', 'group'];
const PATH = ['wwid', 'dev'];

// Kept out of the object below: test/layout.test.ts reads `export ... from "..."` as an import.
const DAEMON_STATE_HELP = 'multipathd state from "show daemon".';

/** Exporter, collection, config and daemon families: one small section per scrape. */
export const HEAD = {
  up: gauge('multipath_up', 'Whether the last collection from multipathd succeeded (1) or not (0).'),
  scrapeDuration: gauge('multipath_scrape_duration_seconds', 'Time the multipathd collection behind this scrape took.'),
  collectionError: gauge('multipath_collection_error', 'Outcome of the last collection: none, or why it failed.', [], stateSet('reason', COLLECTION_OUTCOMES)),
  collectionFailures: counter('multipath_collection_failures_total', 'Failed collections from multipathd since the exporter started, by reason.', ['reason']),
  exporterInfo: gauge('multipath_exporter_info', 'Exporter version and the node name it believes it has.', ['version', 'nodename']),
  mapExpected: gauge('multipath_map_expected', 'Per allow-listed LUN: 1 if this node is expected to carry it (config), else 0.', MAP),
  mapPathsExpected: gauge('multipath_map_paths_expected', 'Configured number of paths this node should have to the LUN.', MAP),
  lunInfo: gauge('multipath_lun_info', 'Allow-listed LUN metadata from the cluster config.', ['wwid', 'alias', 'used_by']),
  configValid: gauge('multipath_config_valid', 'Whether the config file last read was valid (the last good one stays in force).'),
  configInfo: gauge('multipath_config_info', 'Digest of the cluster section in force (equal config, equal digest).', ['digest']),
  configNodeInCluster: gauge('multipath_config_node_in_cluster', "Whether this exporter's node name is listed in cluster.nodes."),
  configApplyEnabled: gauge('multipath_config_apply_enabled', 'Whether this exporter applies the cluster config (0: monitor only).'),
  configApplySuccess: gauge('multipath_config_apply_success', 'Whether the last apply pass had no failed operation.'),
  configApplyErrors: gauge('multipath_config_apply_errors', 'Failed operations in the last apply pass.'),
  configApplyRefused: gauge('multipath_config_apply_refused', 'WWID removals the last apply pass refused for safety (not owned, or under a mounted filesystem).'),
  configLastApply: gauge('multipath_config_last_apply_timestamp_seconds', 'When the last apply pass finished.'),
  configLastChange: gauge('multipath_config_last_change_timestamp_seconds', 'When an apply pass last changed something.'),
  configReloadSuccess: gauge('multipath_config_reload_success', 'Whether the last needed "multipathd reconfigure" succeeded.'),
  daemonState: gauge('multipath_daemon_state', DAEMON_STATE_HELP, [], stateSet('state', DAEMON_STATES)),
  mapsSkipped: gauge('multipath_maps_skipped', 'Maps in the last multipathd reply that were not exported, by reason.', ['reason']),
  duplicatesDropped: gauge(
    'multipath_duplicates_dropped',
    'Path groups and paths in the last multipathd reply dropped as repeats within their map (the first one is kept).',
    ['entry'],
  ),
} as const satisfies Record<string, MetricFamily>;

/** Per-map, per-path-group and per-path families: the bulk of a scrape. */
export const MAP_SECTION = {
  mapInfo: gauge('multipath_map_info', 'Map metadata; always 1.', ['wwid', 'name', 'alias', 'sysfs', 'vendor', 'product', 'transport', 'used_by']),
  mapState: gauge('multipath_map_state', 'Map health: optimal (all paths active), degraded (some), failed (none).', MAP, stateSet('state', MAP_HEALTH_STATES)),
  mapPaths: gauge('multipath_map_paths', 'Total paths of the map (sum over its path groups).', MAP),
  mapPathsActive: gauge('multipath_map_paths_active', 'Paths whose device-mapper state is active.', MAP),
  mapPathsUsable: gauge('multipath_map_paths_usable', "multipathd's own count: paths whose checker says ready or ghost.", MAP),
  mapSize: gauge('multipath_map_size_bytes', 'Map size from sysfs.', MAP),
  mapHolders: gauge('multipath_map_holders', 'Holders of the dm device in sysfs (LVM, partitions).', MAP),
  mapDmState: gauge('multipath_map_dm_state', 'Device-mapper state of the map.', MAP, stateSet('state', MAP_DM_STATES)),
  mapQueueing: gauge('multipath_map_queueing', 'Whether the map queues I/O when no path is left (queue_if_no_path).', MAP),
  mapReadOnly: gauge('multipath_map_read_only', 'Whether the map is read-only.', MAP),
  mapPathFaults: counter('multipath_map_path_faults_total', 'Path failures counted by multipathd (path_faults).', MAP),
  mapGroupSwitches: counter('multipath_map_path_group_switches_total', 'Path group switches counted by multipathd (switch_grp).', MAP),
  mapLoads: counter('multipath_map_loads_total', 'Map table loads counted by multipathd (map_loads).', MAP),
  mapQueueingSeconds: counter('multipath_map_queueing_seconds_total', 'Seconds spent in timed recovery queueing (total_q_time).', MAP),
  mapRecoveries: counter('multipath_map_recovery_entries_total', 'Entries into recovery mode (q_timeouts).', MAP),
  groupState: gauge('multipath_path_group_state', 'Path group state.', GROUP, stateSet('state', PATH_GROUP_STATES)),
  groupPriority: gauge('multipath_path_group_priority', 'Path group priority.', GROUP),
  pathActive: gauge('multipath_path_active', 'Whether the path is active in device-mapper.', PATH),
  pathChecker: gauge('multipath_path_checker_state', 'Path checker state.', PATH, stateSet('state', CHECKER_STATES)),
  pathDevice: gauge('multipath_path_device_state', 'SCSI device state of the path.', PATH, stateSet('state', PATH_DEVICE_STATES)),
  pathPriority: gauge('multipath_path_priority', 'Path priority; -1 means undefined.', PATH),
  pathMarginal: gauge('multipath_path_marginal', 'Whether the path is marginal.', PATH),
  pathInfo: gauge('multipath_path_info', 'Path metadata; always 1.', [
    'wwid',
    'dev',
    'dev_t',
    'group',
    'checker',
    'transport',
    'host_adapter',
    'target_wwpn',
    'lun_hex',
  ]),
} as const satisfies Record<string, MetricFamily>;

/** Every family, in exposition order. */
export const METRIC_FAMILIES: readonly MetricFamily[] = [...Object.values(HEAD), ...Object.values(MAP_SECTION)];

