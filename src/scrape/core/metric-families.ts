// Every metric family the exporter emits, declared once: name, type, help and label names (and the
// members of a state set). Rendering (metrics.ts) only fills values into these families; the
// exposition lists them in this order, the head section first, then the per-map section (which is
// cached per map, src/scrape/core/map-section.ts). docs/metrics.md describes the same list.
import { COLLECTION_OUTCOMES, DAEMON_STATES, MAP_HEALTH_STATES, QUEUEING_MODES } from './states.js';

export type MetricType = 'gauge' | 'counter';

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** The label names every series of the family carries (exposition order may differ). */
  readonly labels: readonly string[];
  /** For a state set (every member emitted, exactly one at 1): its label and members. */
  readonly states?: { readonly label: string; readonly values: readonly string[] };
  /** For a series carrying one value of a closed set in a label (not a state set): that label and set. */
  readonly closed?: { readonly label: string; readonly values: readonly string[] };
}

function family(type: MetricType, name: string, help: string, labels: readonly string[] = [], states?: MetricFamily['states']): MetricFamily {
  return states ? { name, type, help, labels: [...labels, states.label], states } : { name, type, help, labels };
}
const gauge = (name: string, help: string, labels?: readonly string[], states?: MetricFamily['states']) => family('gauge', name, help, labels, states);
const counter = (name: string, help: string, labels?: readonly string[]) => family('counter', name, help, labels);
const stateSet = (label: string, values: readonly string[]) => ({ label, values });
/** A gauge whose one series per object carries the current value of `label`, one of `values`. */
const oneOf = (name: string, help: string, labels: readonly string[], label: string, values: readonly string[]): MetricFamily => ({
  ...family('gauge', name, help, [...labels, label]),
  closed: { label, values },
});

const MAP = ['wwid'];
const GROUP = ['wwid', 'group'];
const PATH = ['wwid', 'dev'];
/** The states a path's one state series carries (values: docs/metrics.md, "Per path"). */
export const PATH_STATE_LABELS = ['dm_state', 'checker_state', 'device_state'] as const;

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
  daemonReconfigurePending: gauge('multipath_daemon_reconfigure_pending', 'Whether "show daemon" says a reconfigure is pending (multipath-tools 0.10+; 0 before).'),
  daemonBusy: gauge('multipath_daemon_busy', 'Whether "show status" says multipathd is busy processing uevents.'),
  daemonPaths: gauge('multipath_daemon_paths', 'Paths multipathd knows, by checker state, from "show status" (every known state, 0 included).', ['state']),
  daemonPathsMonitored: gauge('multipath_daemon_paths_monitored', 'Paths multipathd monitors (holds open), from "show status".'),
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
  mapSuspended: gauge('multipath_map_suspended', 'Whether device-mapper reports the map suspended (I/O to it waits).', MAP),
  mapReadOnly: gauge('multipath_map_read_only', 'Whether the map is read-only.', MAP),
  mapQueueing: oneOf('multipath_map_queueing', 'What the map does with I/O when no usable path is left (mode); always 1.', MAP, 'mode', QUEUEING_MODES),
  mapQueueingSecondsLeft: gauge('multipath_map_queueing_seconds_left', 'Seconds of queueing left before I/O fails; only while the map is in recovery.', MAP),
  mapPathFaults: counter('multipath_map_path_faults_total', 'Path failures counted by multipathd (path_faults).', MAP),
  mapGroupSwitches: counter('multipath_map_path_group_switches_total', 'Path group switches counted by multipathd (switch_grp).', MAP),
  mapQueueingSeconds: counter('multipath_map_queueing_seconds_total', 'Seconds spent in timed recovery queueing (total_q_time).', MAP),
  groupState: gauge('multipath_path_group_state', 'Path group state (state); always 1.', [...GROUP, 'state']),
  groupPriority: gauge('multipath_path_group_priority', 'Path group priority.', GROUP),
  pathActive: gauge('multipath_path_active', 'Whether the path is active in device-mapper.', PATH),
  pathState: gauge('multipath_path_state', 'Path states: device-mapper, checker, SCSI device; always 1.', [...PATH, ...PATH_STATE_LABELS]),
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

