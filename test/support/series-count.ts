// Counts the series of an exposition per level of the contract (src/scrape/core/metric-families.ts):
// per map, per path group, per path (the worst object of each level), and the rest. The series
// budget (docs/metrics.md, "Cardinality") is held on these counts.
import { HEAD } from '../../src/scrape/core/metric-families.js';
import { parseExposition } from './exposition-samples.js';

export type Level = 'head' | 'map' | 'group' | 'path';

/** Exporter, config and daemon families (the per-LUN config ones carry `wwid` but are no map's). */
const HEAD_FAMILIES = new Set<string>(Object.values(HEAD).map((f) => f.name));

/**
 * The level of a series by its labels: a path's carries `dev`, a path group's `group`, a map's
 * `wwid`. By labels, not by the declared families, so that an older version's exposition (other
 * families) counts the same way.
 */
export function levelOf(name: string, labels: readonly string[]): Level {
  if (HEAD_FAMILIES.has(name) || !labels.includes('wwid')) return 'head';
  if (labels.includes('dev')) return 'path';
  return labels.includes('group') ? 'group' : 'map';
}

export interface SeriesCount {
  total: number;
  byLevel: Record<Level, number>;
  /** The most series one map, path group or path has. */
  worst: Record<Exclude<Level, 'head'>, number>;
  /** How many maps, path groups and paths have series. */
  objects: Record<Exclude<Level, 'head'>, number>;
}

export function countSeries(text: string): SeriesCount {
  const byLevel: Record<Level, number> = { head: 0, map: 0, group: 0, path: 0 };
  const perObject = { map: new Map<string, number>(), group: new Map<string, number>(), path: new Map<string, number>() };
  const samples = parseExposition(text);
  for (const s of samples) {
    const level = levelOf(s.name, Object.keys(s.labels));
    byLevel[level]++;
    if (level === 'head') continue;
    const key = level === 'map' ? s.labels.wwid! : level === 'group' ? `${s.labels.wwid}\0${s.labels.group}` : `${s.labels.wwid}\0${s.labels.dev}`;
    perObject[level].set(key, (perObject[level].get(key) ?? 0) + 1);
  }
  const max = (m: Map<string, number>) => Math.max(0, ...m.values());
  return {
    total: samples.length,
    byLevel,
    worst: { map: max(perObject.map), group: max(perObject.group), path: max(perObject.path) },
    objects: { map: perObject.map.size, group: perObject.group.size, path: perObject.path.size },
  };
}
