// One scrape's metrics as const metrics, the per-map families included: the structured form the
// tests hand to prom-client (test/support/scrape.ts), the reference that the exporter's rendered
// text must equal byte for byte. The exporter itself renders the map section straight from the
// model (mapLines in src/scrape/core/metrics.ts) and never builds these.
import { byWwid, type Config, type Lun } from '../../src/common/core/config.js';
import { type ConstMetric, type LabelValues, metricsOf, type MetricsOf } from '../../src/scrape/core/const-metric.js';
import { MAP_SECTION } from '../../src/scrape/core/metric-families.js';
import { aliasOf, buildHeadMetrics, lunsByWwid, type ScrapeInput, withSeries } from '../../src/scrape/core/metrics.js';
import type { MapModel, PathModel } from '../../src/scrape/core/parse-multipathd.js';
import { stateLabel } from '../../src/scrape/core/states.js';

type MapMetrics = MetricsOf<typeof MAP_SECTION>;

/** One scrape's metrics from one snapshot, in exposition order (only those with series). */
export function buildMetrics(input: ScrapeInput): ConstMetric[] {
  const head = buildHeadMetrics(input);
  return input.snapshot.ok ? [...head, ...buildMapMetrics(input.snapshot.maps, input.config)] : head;
}

function buildMapMetrics(maps: readonly MapModel[], config: Config): ConstMetric[] {
  const metrics = metricsOf(MAP_SECTION);
  const luns = lunsByWwid(config);
  for (const map of [...maps].sort(byWwid)) addMapSeries(metrics, map, config, luns);
  return withSeries(metrics);
}

/**
 * Adds one map's series (and its path groups' and paths') to the map-section metrics: the
 * structured form of mapLines, which the exposition tests compare through prom-client.
 */
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
