// Snapshot -> the metrics of one scrape, as const metrics of the declared families
// (metric-families.ts) and as exposition text. Pure: no collect() callbacks, no shared state, so two
// overlapping scrapes can never mix label sets (docs/metrics.md is the contract).
import { byWwid, type Config, isExpectedOn, type Lun } from '../../common/core/config.js';
import { type ConstMetric, type LabelValues, metricsOf, type MetricsOf } from './const-metric.js';
import { metricHeader, renderExposition, renderExpositionBytes, seriesTexts } from './exposition.js';
import { HEAD, MAP_SECTION } from './metric-families.js';
import type { MapModel, PathModel } from './parse-multipathd.js';
import type { Snapshot } from './snapshot.js';
import { COLLECTION_OUTCOMES, type CollectionFailure, DROPPED_ENTRIES, SKIP_REASONS, stateLabel, STATUS_CHECKER_STATES } from './states.js';
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

type HeadMetrics = MetricsOf<typeof HEAD>;
type MapMetrics = MetricsOf<typeof MAP_SECTION>;

/** The metrics that have series, in declaration order (an empty one would print a bare header). */
function withSeries(metrics: HeadMetrics | MapMetrics): ConstMetric[] {
  return Object.values(metrics).filter((metric) => metric.size > 0);
}

/** The alias in use: multipathd's name when it is not the WWID, else the configured alias. */
export function aliasOf(map: Pick<MapModel, 'wwid' | 'name'>, configuredAlias: string | undefined): string {
  if (map.name !== map.wwid) return map.name;
  return configuredAlias ?? '';
}

/** One scrape's metrics in the Prometheus text format. */
export function renderMetrics(input: ScrapeInput): string {
  return renderExposition(buildMetrics(input));
}

/**
 * renderMetrics as UTF-8 bytes, for the HTTP response. The per-map section (nearly all of a big
 * scrape) is a pure function of the maps and the config, so a caller may pass a memoized
 * `mapSection`; the bytes are identical either way (the map series come last in the exposition).
 */
export function renderMetricsBytes(input: ScrapeInput, mapSection: typeof renderMapSectionBytes = renderMapSectionBytes): Buffer {
  return Buffer.concat(renderMetricsChunks(input, (maps, config) => [mapSection(maps, config)]));
}

/**
 * renderMetricsBytes as chunks to write in order, so the HTTP edge streams them without joining a
 * ~10 MB buffer: the head, then the map section's chunks (a memoized section keeps its unchanged ones).
 */
export function renderMetricsChunks(input: ScrapeInput, mapSection: (maps: readonly MapModel[], config: Config) => readonly Buffer[]): Buffer[] {
  const head = renderExpositionBytes(buildHeadMetrics(input));
  const maps = input.snapshot.ok ? mapSection(input.snapshot.maps, input.config).filter((chunk) => chunk.length > 0) : [];
  return maps.length > 0 ? [head, NEWLINE, ...maps] : [head];
}

const NEWLINE = Buffer.from('\n');

/** The per-map and per-path series of one snapshot, as exposition bytes (empty when there are no maps). */
export function renderMapSectionBytes(maps: readonly MapModel[], config: Config): Buffer {
  const metrics = buildMapMetrics(maps, config);
  return metrics.length > 0 ? renderExpositionBytes(metrics) : Buffer.alloc(0);
}

/** One scrape's metrics from one snapshot, in exposition order (only those with series). */
export function buildMetrics(input: ScrapeInput): ConstMetric[] {
  const head = buildHeadMetrics(input);
  return input.snapshot.ok ? [...head, ...buildMapMetrics(input.snapshot.maps, input.config)] : head;
}

/** The headers of the per-map families, in exposition order. */
export const MAP_METRIC_HEADERS: readonly string[] = Object.values(MAP_SECTION).map(metricHeader);

/**
 * One map's series lines of every per-map family, as one UTF-8 buffer: family i's lines (MAP_METRIC_HEADERS
 * order, empty where it has none) are `bytes[ends[i - 1] ?? 0, ends[i])`. A scrape's map section is
 * these slices concatenated over the maps in WWID order, so a map whose content did not change can
 * reuse them (src/scrape/core/map-section.ts). Bytes, not strings: a kept map costs its bytes outside
 * the V8 heap (no GC copying them), and a changed map's slices compare with memcmp.
 */
export interface MapFragments {
  bytes: Buffer;
  ends: readonly number[];
}

export function mapFragments(map: MapModel, config: Config, luns: ReadonlyMap<string, Lun>): MapFragments {
  const metrics = metricsOf(MAP_SECTION);
  addMapSeries(metrics, map, config, luns);
  let text = '';
  const ends: number[] = [];
  for (const lines of seriesTexts(Object.values(metrics))) {
    text += lines;
    ends.push(text.length);
  }
  const bytes = Buffer.from(text, 'utf8');
  // String offsets are byte offsets while the text is ASCII (nearly always); otherwise count bytes.
  if (bytes.length !== text.length) {
    let start = 0;
    for (let i = 0, at = 0; i < ends.length; i++) {
      at += Buffer.byteLength(text.slice(start, ends[i]));
      start = ends[i]!;
      ends[i] = at;
    }
  }
  return { bytes, ends };
}

/** The allow-listed LUNs by WWID (alias and used-by labels of a map). */
export function lunsByWwid(config: Config): ReadonlyMap<string, Lun> {
  return new Map(config.cluster.luns.map((lun) => [lun.wwid, lun]));
}

function buildMapMetrics(maps: readonly MapModel[], config: Config): ConstMetric[] {
  const metrics = metricsOf(MAP_SECTION);
  const luns = lunsByWwid(config);
  for (const map of [...maps].sort(byWwid)) addMapSeries(metrics, map, config, luns);
  return withSeries(metrics);
}

/** Everything but the per-map series: exporter, collection, config and daemon metrics. */
function buildHeadMetrics(input: ScrapeInput): ConstMetric[] {
  const metrics = metricsOf(HEAD);
  addCollectionSeries(metrics, input);
  addConfigLunSeries(metrics, input);
  addConfigStatusSeries(metrics, input);
  return withSeries(metrics);
}

function addCollectionSeries(m: HeadMetrics, input: ScrapeInput): void {
  const { snapshot } = input;
  m.up.add(snapshot.ok ? 1 : 0);
  m.scrapeDuration.add(snapshot.durationSeconds);
  m.collectionError.addStateSet({}, snapshot.ok ? 'none' : snapshot.reason);
  for (const reason of COLLECTION_OUTCOMES) if (reason !== 'none') m.collectionFailures.add(input.failures[reason], { reason });
  m.exporterInfo.add(1, { version: input.version, nodename: input.nodename });
  if (!snapshot.ok) return;
  if (snapshot.daemon) {
    m.daemonState.addStateSet({}, snapshot.daemon.state);
    m.daemonReconfigurePending.add(snapshot.daemon.reconfigurePending ? 1 : 0);
  }
  if (snapshot.status) {
    const { paths, busy, monitored } = snapshot.status;
    m.daemonBusy.add(busy ? 1 : 0);
    // Every state libmultipath knows (0 included), then any other one `show status` counted.
    const states = [...STATUS_CHECKER_STATES, ...Object.keys(paths).filter((s) => !(STATUS_CHECKER_STATES as readonly string[]).includes(s)).sort()];
    for (const state of states) m.daemonPaths.add(paths[state] ?? 0, { state });
    m.daemonPathsMonitored.add(monitored);
  }
  for (const reason of SKIP_REASONS) m.mapsSkipped.add(snapshot.skipped[reason], { reason });
  for (const entry of DROPPED_ENTRIES) m.duplicatesDropped.add(snapshot.dropped[entry], { entry });
}

function addConfigLunSeries(m: HeadMetrics, input: ScrapeInput): void {
  const { cluster } = input.config;
  for (const lun of [...cluster.luns].sort(byWwid)) {
    const isExpected = isExpectedOn(lun, cluster, input.nodename);
    m.mapExpected.add(isExpected ? 1 : 0, { wwid: lun.wwid });
    if (isExpected && lun.paths !== undefined) m.mapPathsExpected.add(lun.paths, { wwid: lun.wwid });
    m.lunInfo.add(1, { wwid: lun.wwid, alias: lun.alias ?? '', used_by: lun.usedBy ?? '' });
  }
}

function addConfigStatusSeries(m: HeadMetrics, input: ScrapeInput): void {
  const status = input.configStatus;
  if (!status) return;
  m.configValid.add(status.valid ? 1 : 0);
  m.configInfo.add(1, { digest: status.digest });
  const clusterNodes = input.config.cluster.nodes;
  if (clusterNodes) m.configNodeInCluster.add(clusterNodes.includes(input.nodename) ? 1 : 0);
  m.configApplyEnabled.add(status.applyEnabled ? 1 : 0);
  const last = status.lastApply;
  if (!status.applyEnabled || !last) return;
  m.configApplySuccess.add(last.success ? 1 : 0);
  m.configApplyErrors.add(last.errors.length);
  m.configApplyRefused.add(last.refused.length);
  m.configLastApply.add(last.finishedAt / 1000);
  if (status.lastChangeAt !== undefined) m.configLastChange.add(status.lastChangeAt / 1000);
  m.configReloadSuccess.add(last.reloadSuccess ? 1 : 0);
}

/** Adds one map's series (and its path groups' and paths') to the map-section metrics. */
function addMapSeries(m: MapMetrics, map: MapModel, config: Config, luns: ReadonlyMap<string, Lun>): void {
  const wwid = map.wwid;
  const lun = luns.get(wwid);
  // One label object per map, shared by its series: the writer formats a shared object once.
  const mapLabels: LabelValues = { wwid };
  m.mapInfo.add(1, {
    wwid,
    name: map.name,
    alias: aliasOf(map, lun?.alias),
    sysfs: map.sysfs ?? '',
    vendor: map.vendor ?? '',
    product: map.product ?? '',
    transport: map.transport ?? '',
    used_by: lun?.usedBy ?? '',
  });
  m.mapState.addStateSet(mapLabels, map.health);
  m.mapPaths.add(map.pathsTotal, mapLabels);
  m.mapPathsActive.add(map.pathsActive, mapLabels);
  m.mapPathsUsable.add(map.pathsUsable, mapLabels);
  if (map.sizeBytes !== undefined) m.mapSize.add(map.sizeBytes, mapLabels);
  if (map.holders !== undefined) m.mapHolders.add(map.holders, mapLabels);
  m.mapSuspended.add(map.dmState === 'suspend' ? 1 : 0, mapLabels);
  m.mapReadOnly.add(map.readOnly ? 1 : 0, mapLabels);
  m.mapQueueing.add(1, { wwid, mode: map.queueing.mode });
  if (map.queueing.secondsLeft !== undefined) m.mapQueueingSecondsLeft.add(map.queueing.secondsLeft, mapLabels);
  m.mapPathFaults.add(map.counters.pathFaults, mapLabels);
  m.mapGroupSwitches.add(map.counters.pathGroupSwitches, mapLabels);
  m.mapQueueingSeconds.add(map.counters.queueingSeconds, mapLabels);

  for (const group of map.pathGroups) {
    const groupLabels: LabelValues = { wwid, group: String(group.group) };
    m.groupState.add(1, { ...groupLabels, state: stateLabel(group.dmState, group.dmStateRaw) });
    m.groupPriority.add(group.priority, groupLabels);
    if (!config.perPathMetrics) continue;
    for (const path of group.paths) {
      const pathLabels: LabelValues = { wwid, dev: path.devLabel };
      m.pathActive.add(path.dmState === 'active' ? 1 : 0, pathLabels);
      m.pathState.add(1, { ...pathLabels, ...pathStateLabels(path) });
      if (path.priority !== undefined) m.pathPriority.add(path.priority, pathLabels);
      m.pathMarginal.add(path.marginal ? 1 : 0, pathLabels);
      m.pathInfo.add(1, {
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

/** The states of a path as the labels of its one state series (a new string kept when safe). */
function pathStateLabels(path: PathModel): { dm_state: string; checker_state: string; device_state: string } {
  return {
    dm_state: stateLabel(path.dmState, path.dmStateRaw),
    checker_state: stateLabel(path.checkerState, path.checkerStateRaw),
    device_state: stateLabel(path.deviceState, path.deviceStateRaw),
  };
}
