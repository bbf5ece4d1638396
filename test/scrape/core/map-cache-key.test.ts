// The map-section cache must never serve a map's old lines when anything that reaches its output
// changed: every leaf field of the model (reply, sysfs enrichment) and the map's config entry.
import { describe, expect, it } from 'vitest';
import { Config } from '../../../src/common/core/config.js';
import { enrichMaps } from '../../../src/scrape/core/enrich.js';
import { MapSectionCache } from '../../../src/scrape/core/map-section.js';
import { renderMapSectionBytes, renderMetrics } from '../../../src/scrape/core/metrics.js';
import type { MapModel } from '../../../src/scrape/core/parse-multipathd.js';
import { buildRegistry, NO_FAILURES, snapshotFromFixture } from '../../support/scrape.js';

/** The fixture's maps with sysfs facts, so size, holders and a path's sysfs transport are set too. */
function enrichedMaps(): MapModel[] {
  const maps = snapshotFromFixture('all-six-maps.json').maps;
  const sysfs = maps.flatMap((m) => (m.sysfs ? [m.sysfs] : []));
  const devs = maps.flatMap((m) => m.pathGroups.flatMap((g) => g.paths.flatMap((p) => (p.dev ? [p.dev] : []))));
  return enrichMaps(maps, {
    sizeSectors: new Map(sysfs.map((s, i) => [s, 2048 * (i + 1)])),
    holders: new Map(sysfs.map((s, i) => [s, i])),
    pathLinks: new Map(devs.map((d) => [d, '../devices/platform/host3/session2/target3:0:0/3:0:0:1/block/' + d])),
  });
}

/** Every leaf of a JSON-like value, as a path of keys and indices. */
function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [path];
}

/** A deep copy of `value` with the leaf at `path` replaced by another value of its kind. */
function mutated<T>(value: T, path: (string | number)[]): T {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const old = at[last];
  // Of the same printed length where it can be: a cache comparing less than every byte must fail.
  at[last] = typeof old === 'number' ? old + 7 : typeof old === 'boolean' ? !old : typeof old === 'string' && old ? `${old.slice(0, -1)}${old.endsWith('q') ? 'r' : 'q'}` : 'set';
  return copy as T;
}

describe('MapSectionCache key', () => {
  const base = enrichedMaps();
  const config = Config.parse({ cluster: { luns: base.map((m) => ({ wwid: m.wwid, alias: `lun-${m.name}`, usedBy: 'vm' })) } });

  it('re-renders a map whenever any field that reaches the output changes', () => {
    const fields = leaves(base[0]);
    expect(fields.length).toBeGreaterThan(40);
    let reaching = 0;
    for (const field of fields) {
      const changed = base.map((m, i) => (i === 0 ? mutated(m, field) : m));
      const fresh = renderMapSectionBytes(changed, config).toString('utf8');
      const cache = new MapSectionCache();
      cache.render(base, config);
      // A new array of equal maps first: the cache compares content, not only the array.
      cache.render(structuredClone(base), config);
      expect(cache.render(changed, config).toString('utf8'), `field ${field.join('.')}`).toBe(fresh);
      if (fresh !== renderMapSectionBytes(base, config).toString('utf8')) reaching++;
    }
    expect(reaching).toBeGreaterThan(30); // most leaves reach the output: the check is not vacuous
  });

  it('re-renders a map whose config entry changed (alias, used_by)', () => {
    const cache = new MapSectionCache();
    cache.render(base, config);
    for (const lun of [{ alias: 'other' }, { usedBy: 'other' }]) {
      const changed = Config.parse({ ...config, listen: ':1', cluster: { luns: config.cluster.luns.map((l, i) => (i === 0 ? { ...l, ...lun } : l)) } });
      expect(cache.render(base, changed).toString('utf8')).toBe(renderMapSectionBytes(base, changed).toString('utf8'));
      expect(cache.rendered).toBe(1);
    }
  });

  it.each([true, false])('the direct render equals prom-client with perPathMetrics %s', async (perPathMetrics) => {
    const cfg = Config.parse({ ...config, listen: ':1', perPathMetrics });
    const input = { snapshot: { ...snapshotFromFixture('all-six-maps.json'), maps: base }, failures: NO_FAILURES, config: cfg, nodename: 'pve1', version: '1' };
    expect(renderMetrics(input)).toBe(await buildRegistry(input).metrics());
  });
});
