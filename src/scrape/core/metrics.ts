// Snapshot -> a fresh prom-client Registry. Pure: no collect() callbacks, no shared state, so two
// overlapping scrapes can never mix label sets (docs/metrics.md is the contract).
import { Registry } from 'prom-client';
import { byWwid, Config, isExpectedOn, type Lun } from '../../common/core/config.js';
import { ConstMetric, type LabelValues } from './const-metric.js';
import { metricHeader, renderExposition, renderExpositionBytes, seriesText } from './exposition.js';
import type { MapModel } from './parse-multipathd.js';
import type { Snapshot } from './snapshot.js';
import {
  CHECKER_STATES,
  COLLECTION_OUTCOMES,
  type CollectionFailure,
  DAEMON_STATES,
  MAP_DM_STATES,
  MAP_HEALTH_STATES,
  PATH_DEVICE_STATES,
  PATH_GROUP_STATES,
} from './states.js';
import type { ConfigStatus } from '../../common/core/status.js';

export interface ScrapeInput {
  snapshot: Snapshot;
  /** Cumulative failed collections per reason. */
  failures: Readonly<Record<CollectionFailure, number>>;
  config: Config;
  /** This exporter's node name (config `node`, default the host name). */
  nodename: string;
  version: string;
  configStatus?: ConfigStatus;
}

/** Collects metrics in exposition order. */
class MetricSet {
  private readonly metrics: ConstMetric[] = [];
  gauge(name: string, help: string): ConstMetric {
    return this.push(new ConstMetric(name, help, 'gauge'));
  }
  counter(name: string, help: string): ConstMetric {
    return this.push(new ConstMetric(name, help, 'counter'));
  }
  private push(metric: ConstMetric): ConstMetric {
    this.metrics.push(metric);
    return metric;
  }
  /** The metrics that have values, in exposition order. */
  list(): ConstMetric[] {
    return this.metrics.filter((metric) => metric.size > 0);
  }
  /** Every metric declared, empty ones included, in exposition order. */
  all(): readonly ConstMetric[] {
    return this.metrics;
  }
}

/** The alias in use: multipathd's name when it is not the WWID, else the configured alias. */
export function aliasOf(map: Pick<MapModel, 'wwid' | 'name'>, configuredAlias: string | undefined): string {
  if (map.name !== map.wwid) return map.name;
  return configuredAlias ?? '';
}

/** One scrape's metrics from one snapshot, as a fresh prom-client Registry. */
export function buildRegistry(input: ScrapeInput): Registry {
  const registry = new Registry();
  for (const metric of buildMetrics(input)) metric.registerIn(registry);
  return registry;
}

/** One scrape's metrics in the Prometheus text format (what buildRegistry(input).metrics() gives, faster). */
export function renderMetrics(input: ScrapeInput): string {
  return renderExposition(buildMetrics(input));
}

/**
 * renderMetrics as UTF-8 bytes, for the HTTP response. The per-map section (nearly all of a big
 * scrape) is a pure function of the maps and the config, so a caller may pass a memoized
 * `mapSection`; the bytes are identical either way (the map series come last in the exposition).
 */
export function renderMetricsBytes(input: ScrapeInput, mapSection: typeof renderMapSectionBytes = renderMapSectionBytes): Buffer {
  const head = renderExpositionBytes(buildHeadMetrics(input));
  const maps = input.snapshot.ok ? mapSection(input.snapshot.maps, input.config) : undefined;
  return maps && maps.length > 0 ? Buffer.concat([head, NEWLINE, maps]) : head;
}

const NEWLINE = Buffer.from('\n');

/** The per-map and per-path series of one snapshot, as exposition bytes (empty when there are no maps). */
export function renderMapSectionBytes(maps: readonly MapModel[], config: Config): Buffer {
  const metrics = buildMapMetrics(maps, config);
  return metrics.length > 0 ? renderExpositionBytes(metrics) : Buffer.alloc(0);
}

/** One scrape's metrics from one snapshot, in exposition order. */
export function buildMetrics(input: ScrapeInput): ConstMetric[] {
  const head = buildHeadMetrics(input);
  return input.snapshot.ok ? [...head, ...buildMapMetrics(input.snapshot.maps, input.config)] : head;
}

/** The headers of the per-map metrics, in exposition order (fixed: renderMaps declares them all). */
export const MAP_METRIC_HEADERS: readonly string[] = (() => {
  const set = new MetricSet();
  renderMaps(set, [], Config.parse({}), new Map());
  return set.all().map(metricHeader);
})();

/**
 * One map's series lines per per-map metric (MAP_METRIC_HEADERS order, '' where it has none). A
 * scrape's map section is these fragments concatenated over the maps in WWID order, so a map whose
 * content did not change can reuse its fragments (src/scrape/core/map-section.ts).
 */
export function mapFragments(map: MapModel, config: Config, luns: ReadonlyMap<string, Lun>): string[] {
  const set = new MetricSet();
  renderMaps(set, [map], config, luns);
  return set.all().map(seriesText);
}

/** The allow-listed LUNs by WWID (alias and used-by labels of a map). */
export function lunsByWwid(config: Config): ReadonlyMap<string, Lun> {
  return new Map(config.cluster.luns.map((lun) => [lun.wwid, lun]));
}

function buildMapMetrics(maps: readonly MapModel[], config: Config): ConstMetric[] {
  const set = new MetricSet();
  renderMaps(set, [...maps].sort(byWwid), config, lunsByWwid(config));
  return set.list();
}

/** Everything but the per-map series: exporter, collection, config and daemon metrics. */
function buildHeadMetrics(input: ScrapeInput): ConstMetric[] {
  const set = new MetricSet();
  const { snapshot } = input;

  set.gauge('multipath_up', 'Whether the last collection from multipathd succeeded (1) or not (0).').add(snapshot.ok ? 1 : 0);
  set.gauge('multipath_scrape_duration_seconds', 'Time the multipathd collection behind this scrape took.').add(snapshot.durationSeconds);
  set
    .gauge('multipath_collection_error', 'Outcome of the last collection: none, or why it failed.')
    .addStateSet({}, 'reason', COLLECTION_OUTCOMES, snapshot.ok ? 'none' : snapshot.reason);
  const failures = set.counter('multipath_collection_failures_total', 'Failed collections from multipathd since the exporter started, by reason.');
  for (const reason of COLLECTION_OUTCOMES) if (reason !== 'none') failures.add(input.failures[reason], { reason });
  set
    .gauge('multipath_exporter_info', 'Exporter version and the node name it believes it has.')
    .add(1, { version: input.version, nodename: input.nodename });

  renderConfigDerived(set, input);
  renderConfigStatus(set, input);

  if (snapshot.ok) {
    if (snapshot.daemon) {
      set.gauge('multipath_daemon_state', 'multipathd state from "show daemon".').addStateSet({}, 'state', DAEMON_STATES, snapshot.daemon.state);
    }
    set.gauge('multipath_maps_skipped', 'Maps in the last multipathd reply that had no WWID and were skipped.').add(snapshot.skipped);
  }
  return set.list();
}

function renderConfigDerived(set: MetricSet, input: ScrapeInput): void {
  const { cluster } = input.config;
  const expected = set.gauge('multipath_map_expected', 'Per allow-listed LUN: 1 if this node is expected to carry it (config), else 0.');
  const pathsExpected = set.gauge('multipath_map_paths_expected', 'Configured number of paths this node should have to the LUN.');
  const lunInfo = set.gauge('multipath_lun_info', 'Allow-listed LUN metadata from the cluster config.');
  for (const lun of [...cluster.luns].sort(byWwid)) {
    const isExpected = isExpectedOn(lun, cluster, input.nodename);
    expected.add(isExpected ? 1 : 0, { wwid: lun.wwid });
    if (isExpected && lun.paths !== undefined) pathsExpected.add(lun.paths, { wwid: lun.wwid });
    lunInfo.add(1, { wwid: lun.wwid, alias: lun.alias ?? '', used_by: lun.usedBy ?? '' });
  }
}

function renderConfigStatus(set: MetricSet, input: ScrapeInput): void {
  const status = input.configStatus;
  if (!status) return;
  set.gauge('multipath_config_valid', 'Whether the config file last read was valid (the last good one stays in force).').add(status.valid ? 1 : 0);
  set.gauge('multipath_config_info', 'Digest of the cluster section in force (equal config, equal digest).').add(1, { digest: status.digest });
  const clusterNodes = input.config.cluster.nodes;
  if (clusterNodes) {
    set.gauge('multipath_config_node_in_cluster', "Whether this exporter's node name is listed in cluster.nodes.").add(clusterNodes.includes(input.nodename) ? 1 : 0);
  }
  set.gauge('multipath_config_apply_enabled', 'Whether this exporter applies the cluster config (0: monitor only).').add(status.applyEnabled ? 1 : 0);
  const last = status.lastApply;
  if (!status.applyEnabled || !last) return;
  set.gauge('multipath_config_apply_success', 'Whether the last apply pass had no failed operation.').add(last.success ? 1 : 0);
  set.gauge('multipath_config_apply_errors', 'Failed operations in the last apply pass.').add(last.errors.length);
  set
    .gauge('multipath_config_apply_refused', 'WWID removals the last apply pass refused for safety (not owned, or under a mounted filesystem).')
    .add(last.refused.length);
  set.gauge('multipath_config_last_apply_timestamp_seconds', 'When the last apply pass finished.').add(last.finishedAt / 1000);
  if (status.lastChangeAt !== undefined) {
    set.gauge('multipath_config_last_change_timestamp_seconds', 'When an apply pass last changed something.').add(status.lastChangeAt / 1000);
  }
  set.gauge('multipath_config_reload_success', 'Whether the last needed "multipathd reconfigure" succeeded.').add(last.reloadSuccess ? 1 : 0);
}

function renderMaps(set: MetricSet, maps: readonly MapModel[], config: Config, luns: ReadonlyMap<string, Lun>): void {
  const info = set.gauge('multipath_map_info', 'Map metadata; always 1.');
  const state = set.gauge('multipath_map_state', 'Map health: optimal (all paths active), degraded (some), failed (none).');
  const paths = set.gauge('multipath_map_paths', 'Total paths of the map (sum over its path groups).');
  const pathsActive = set.gauge('multipath_map_paths_active', 'Paths whose device-mapper state is active.');
  const pathsUsable = set.gauge('multipath_map_paths_usable', "multipathd's own count: paths whose checker says ready or ghost.");
  const size = set.gauge('multipath_map_size_bytes', 'Map size from sysfs.');
  const holders = set.gauge('multipath_map_holders', 'Holders of the dm device in sysfs (LVM, partitions).');
  const dmState = set.gauge('multipath_map_dm_state', 'Device-mapper state of the map.');
  const queueing = set.gauge('multipath_map_queueing', 'Whether the map queues I/O when no path is left (queue_if_no_path).');
  const readOnly = set.gauge('multipath_map_read_only', 'Whether the map is read-only.');
  const pathFaults = set.counter('multipath_map_path_faults_total', 'Path failures counted by multipathd (path_faults).');
  const switches = set.counter('multipath_map_path_group_switches_total', 'Path group switches counted by multipathd (switch_grp).');
  const loads = set.counter('multipath_map_loads_total', 'Map table loads counted by multipathd (map_loads).');
  const queueingSeconds = set.counter('multipath_map_queueing_seconds_total', 'Seconds spent in timed recovery queueing (total_q_time).');
  const recoveries = set.counter('multipath_map_recovery_entries_total', 'Entries into recovery mode (q_timeouts).');
  const groupState = set.gauge('multipath_path_group_state', 'Path group state.');
  const groupPriority = set.gauge('multipath_path_group_priority', 'Path group priority.');
  const pathActive = set.gauge('multipath_path_active', 'Whether the path is active in device-mapper.');
  const checker = set.gauge('multipath_path_checker_state', 'Path checker state.');
  const device = set.gauge('multipath_path_device_state', 'SCSI device state of the path.');
  const priority = set.gauge('multipath_path_priority', 'Path priority; -1 means undefined.');
  const marginal = set.gauge('multipath_path_marginal', 'Whether the path is marginal.');
  const pathInfo = set.gauge('multipath_path_info', 'Path metadata; always 1.');

  for (const map of maps) {
    const wwid = map.wwid;
    const lun = luns.get(wwid);
    // One label object per map, shared by its series: prom-client formats a shared object once.
    const mapLabels: LabelValues = { wwid };
    info.add(1, {
      wwid,
      name: map.name,
      alias: aliasOf(map, lun?.alias),
      sysfs: map.sysfs ?? '',
      vendor: map.vendor ?? '',
      product: map.product ?? '',
      transport: map.transport ?? '',
      used_by: lun?.usedBy ?? '',
    });
    state.addStateSet(mapLabels, 'state', MAP_HEALTH_STATES, map.health);
    paths.add(map.pathsTotal, mapLabels);
    pathsActive.add(map.pathsActive, mapLabels);
    pathsUsable.add(map.pathsUsable, mapLabels);
    if (map.sizeBytes !== undefined) size.add(map.sizeBytes, mapLabels);
    if (map.holders !== undefined) holders.add(map.holders, mapLabels);
    dmState.addStateSet(mapLabels, 'state', MAP_DM_STATES, map.dmState);
    queueing.add(map.queueing ? 1 : 0, mapLabels);
    readOnly.add(map.readOnly ? 1 : 0, mapLabels);
    pathFaults.add(map.counters.pathFaults, mapLabels);
    switches.add(map.counters.pathGroupSwitches, mapLabels);
    loads.add(map.counters.mapLoads, mapLabels);
    queueingSeconds.add(map.counters.queueingSeconds, mapLabels);
    recoveries.add(map.counters.recoveryEntries, mapLabels);

    for (const group of map.pathGroups) {
      const groupLabels: LabelValues = { wwid, group: String(group.group) };
      groupState.addStateSet(groupLabels, 'state', PATH_GROUP_STATES, group.dmState);
      groupPriority.add(group.priority, groupLabels);
      if (!config.perPathMetrics) continue;
      for (const path of group.paths) {
        const pathLabels: LabelValues = { wwid, dev: path.dev ?? path.devT ?? `group${group.group}-unnamed` };
        pathActive.add(path.dmState === 'active' ? 1 : 0, pathLabels);
        checker.addStateSet(pathLabels, 'state', CHECKER_STATES, path.checkerState);
        device.addStateSet(pathLabels, 'state', PATH_DEVICE_STATES, path.deviceState);
        if (path.priority !== undefined) priority.add(path.priority, pathLabels);
        marginal.add(path.marginal ? 1 : 0, pathLabels);
        pathInfo.add(1, {
          ...pathLabels,
          dev_t: path.devT ?? '',
          group: String(group.group),
          checker: path.checker ?? '',
          transport: path.transport ?? '',
          host_adapter: path.hostAdapter ?? '',
          target_wwpn: path.targetWwpn ?? '',
          lun_hex: path.lunHex ?? '',
        });
      }
    }
  }
}
