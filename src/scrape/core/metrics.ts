// Snapshot -> the metrics of one scrape as exposition text: the head as const metrics of the
// declared families (metric-families.ts), the map section written straight from the model.
// Pure: no collect() callbacks, and no state outlives a call (the one scratch buffer is rewritten
// within each synchronous call), so two overlapping scrapes can never mix label sets
// (docs/metrics.md is the contract).
import { byWwid, type Config, isExpectedOn, type Lun } from '../../common/core/config.js';
import { type ConstMetric, metricsOf, type MetricsOf } from './const-metric.js';
import { assembleMetricChunk, type ByteSlice, escapeLabelValue, escapeText, formatValue, METRIC_SEPARATOR, metricHeader, renderExpositionBytes } from './exposition.js';
import { HEAD, MAP_SECTION } from './metric-families.js';
import type { MapModel } from './parse-multipathd.js';
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

/** The metrics that have series, in declaration order (an empty one would print a bare header). */
export function withSeries(metrics: Readonly<Record<string, ConstMetric>>): ConstMetric[] {
  return Object.values(metrics).filter((metric) => metric.size > 0);
}

/** The alias in use: multipathd's name when it is not the WWID, else the configured alias. */
export function aliasOf(map: Pick<MapModel, 'wwid' | 'name'>, configuredAlias: string | undefined): string {
  if (map.name !== map.wwid) return map.name;
  return configuredAlias ?? '';
}

/** One scrape's metrics in the Prometheus text format. */
export function renderMetrics(input: ScrapeInput): string {
  return renderMetricsBytes(input).toString('utf8');
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
  const luns = lunsByWwid(config);
  const fragments = [...maps].sort(byWwid).map((map) => mapFragments(map, config, luns));
  const chunks = MAP_METRIC_HEADERS.flatMap((header, i) => assembleMetricChunk({ header, fragments: fragments.map((f) => familySlice(f, i)) }) ?? []);
  return Buffer.concat(chunks.flatMap((chunk, i) => (i > 0 ? [METRIC_SEPARATOR, chunk] : [chunk])));
}

/** Family `family`'s lines within one map's fragments. */
export function familySlice(fragments: MapFragments, family: number): ByteSlice {
  return { bytes: fragments.bytes, start: family > 0 ? fragments.ends[family - 1]! : 0, end: fragments.ends[family]! };
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

/**
 * One map's fragments; `kept` (the map's fragments of the last scrape) is returned itself when the
 * lines came out byte for byte the same. The rendered bytes are their own cache key: rendering a map
 * straight from the model costs about what JSON.stringify of the model did, and no field that reaches
 * the output (the reply's, the sysfs enrichment's, the config entry's) can be left out of it.
 */
export function mapFragments(map: MapModel, config: Config, luns: ReadonlyMap<string, Lun>, kept?: MapFragments): MapFragments {
  const lines = mapLines(map, config, luns.get(map.wwid));
  let text = '';
  const ends: number[] = [];
  for (const key of MAP_KEYS) {
    text += lines[key];
    ends.push(text.length);
  }
  // UTF-8 never needs more than 3 bytes per UTF-16 code unit.
  if (scratch.length < text.length * 3) scratch = Buffer.allocUnsafe(text.length * 3);
  const length = scratch.write(text, 0, 'utf8');
  // String offsets are byte offsets while the text is ASCII (nearly always); otherwise count bytes.
  if (length !== text.length) {
    let start = 0;
    for (let i = 0, at = 0; i < ends.length; i++) {
      at += Buffer.byteLength(text.slice(start, ends[i]));
      start = ends[i]!;
      ends[i] = at;
    }
  }
  if (kept && kept.bytes.length === length && scratch.compare(kept.bytes, 0, length, 0, length) === 0 && kept.ends.every((end, i) => end === ends[i])) {
    return kept;
  }
  return { bytes: Buffer.from(scratch.subarray(0, length)), ends };
}

/**
 * Where a map's lines are encoded before they are compared with its kept ones: an unchanged map
 * (the common case) then allocates no buffer. Reused across calls; never escapes mapFragments.
 */
let scratch = Buffer.allocUnsafe(64 * 1024);

type MapFamily = keyof typeof MAP_SECTION;
const MAP_KEYS = Object.keys(MAP_SECTION) as MapFamily[];
/** Each per-map family's line start up to its labels: newline, name, brace (every one has labels). */
const OPEN = Object.fromEntries(MAP_KEYS.map((key) => [key, `\n${escapeText(MAP_SECTION[key].name)}{`])) as Record<MapFamily, string>;
/** The map state set's lines up to the shared labels, one per member in declaration order. */
const MAP_STATE_OPEN = stateSetOpen('mapState');

function stateSetOpen(key: MapFamily): (readonly [string, string])[] {
  const states = MAP_SECTION[key].states;
  if (!states) throw new Error(`${MAP_SECTION[key].name} is not a state set`);
  return states.values.map((state) => [state, `${OPEN[key]}${states.label}="${escapeLabelValue(state)}",`] as const);
}
const q = (value: string | undefined) => escapeLabelValue(value ?? '');

/**
 * One map's lines of every per-map family, written straight from the model: the same series, labels
 * and order as the tests' const-metric form (test/support/map-metrics.ts, their prom-client reference),
 * without the per-family metric and per-series label objects that made a big scrape's GC work. The
 * map's label text (`wwid="..."`, and a path's `wwid="...",dev="..."`) is formatted once and reused.
 */
function mapLines(map: MapModel, config: Config, lun: Lun | undefined): Record<MapFamily, string> {
  const wwid = `wwid="${escapeLabelValue(map.wwid)}"`;
  const own = `${wwid}} `;
  let mapState = '';
  for (const [state, open] of MAP_STATE_OPEN) mapState += `${open}${own}${state === map.health ? 1 : 0}`;
  let groupState = '';
  let groupPriority = '';
  let pathActive = '';
  let pathState = '';
  let pathPriority = '';
  let pathMarginal = '';
  let pathInfo = '';
  for (const group of map.pathGroups) {
    const groupLabels = `${wwid},group="${group.group}"`;
    groupState += `${OPEN.groupState}${groupLabels},state="${q(stateLabel(group.dmState, group.dmStateRaw))}"} 1`;
    groupPriority += `${OPEN.groupPriority}${groupLabels}} ${formatValue(group.priority)}`;
    if (!config.perPathMetrics) continue;
    for (const path of group.paths) {
      const pathLabels = `${wwid},dev="${escapeLabelValue(path.devLabel)}"`;
      pathActive += `${OPEN.pathActive}${pathLabels}} ${path.dmState === 'active' ? 1 : 0}`;
      pathState +=
        `${OPEN.pathState}${pathLabels},dm_state="${q(stateLabel(path.dmState, path.dmStateRaw))}"` +
        `,checker_state="${q(stateLabel(path.checkerState, path.checkerStateRaw))}"` +
        `,device_state="${q(stateLabel(path.deviceState, path.deviceStateRaw))}"} 1`;
      if (path.priority !== undefined) pathPriority += `${OPEN.pathPriority}${pathLabels}} ${formatValue(path.priority)}`;
      pathMarginal += `${OPEN.pathMarginal}${pathLabels}} ${path.marginal ? 1 : 0}`;
      pathInfo +=
        `${OPEN.pathInfo}${pathLabels},dev_t="${q(path.devT)}",group="${group.group}",checker="${q(path.checker)}"` +
        `,transport="${q(path.transport)}",host_adapter="${q(path.hostAdapter)}",target_wwpn="${q(path.targetWwpn)}",lun_hex="${q(path.lunHex)}"} 1`;
    }
  }
  const value = (key: MapFamily, v: number | undefined) => (v === undefined ? '' : `${OPEN[key]}${own}${formatValue(v)}`);
  return {
    mapInfo:
      `${OPEN.mapInfo}${wwid},name="${q(map.name)}",alias="${q(aliasOf(map, lun?.alias))}",sysfs="${q(map.sysfs)}"` +
      `,vendor="${q(map.vendor)}",product="${q(map.product)}",transport="${q(map.transport)}",used_by="${q(lun?.usedBy)}"} 1`,
    mapState,
    mapPaths: value('mapPaths', map.pathsTotal),
    mapPathsActive: value('mapPathsActive', map.pathsActive),
    mapPathsUsable: value('mapPathsUsable', map.pathsUsable),
    mapSize: value('mapSize', map.sizeBytes),
    mapHolders: value('mapHolders', map.holders),
    mapSuspended: value('mapSuspended', map.dmState === 'suspend' ? 1 : 0),
    mapReadOnly: value('mapReadOnly', map.readOnly ? 1 : 0),
    mapQueueing: `${OPEN.mapQueueing}${wwid},mode="${q(map.queueing.mode)}"} 1`,
    mapQueueingSecondsLeft: value('mapQueueingSecondsLeft', map.queueing.secondsLeft),
    mapPathFaults: value('mapPathFaults', map.counters.pathFaults),
    mapGroupSwitches: value('mapGroupSwitches', map.counters.pathGroupSwitches),
    mapQueueingSeconds: value('mapQueueingSeconds', map.counters.queueingSeconds),
    groupState,
    groupPriority,
    pathActive,
    pathState,
    pathPriority,
    pathMarginal,
    pathInfo,
  };
}

/** The allow-listed LUNs by WWID (alias and used-by labels of a map). */
export function lunsByWwid(config: Config): ReadonlyMap<string, Lun> {
  return new Map(config.cluster.luns.map((lun) => [lun.wwid, lun]));
}

/** Everything but the per-map series: exporter, collection, config and daemon metrics. */
export function buildHeadMetrics(input: ScrapeInput): ConstMetric[] {
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
