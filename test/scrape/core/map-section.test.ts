import { describe, expect, it } from 'vitest';
import { Config } from '../../../src/common/core/config.js';
import { MapSectionCache } from '../../../src/scrape/core/map-section.js';
import { renderMapSectionBytes, renderMetricsBytes } from '../../../src/scrape/core/metrics.js';
import { type MapModel, parseMapsReply } from '../../../src/scrape/core/parse-multipathd.js';
import { generatedMaps, mapsReply } from '../../../src/sim/maps-reply.js';
import { buildRegistry, NO_FAILURES, snapshotFromFixture } from '../../support/scrape.js';

function generated(count: number): MapModel[] {
  const parsed = parseMapsReply(mapsReply(generatedMaps(count, 4)));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value.maps;
}

describe('MapSectionCache', () => {
  const config = Config.parse({ cluster: { luns: [{ wwid: '36001405000000000000000000000003', alias: 'three', usedBy: 'vmstore' }] } });

  it('renders exactly the one-piece map section, re-rendering only the maps that changed', () => {
    const cache = new MapSectionCache();
    const check = (maps: MapModel[], cfg: Config, rendered: number) => {
      expect(cache.render(maps, cfg).toString('utf8')).toBe(renderMapSectionBytes(maps, cfg).toString('utf8'));
      expect(cache.rendered).toBe(rendered);
    };
    let maps = generated(20);
    check(maps, config, 20);
    check(maps, config, 0); // same array: nothing at all
    check([...maps], config, 0); // equal content, new array: every map reused
    maps = maps.map((m, i) => (i === 7 ? { ...m, counters: { ...m.counters, pathFaults: 5 } } : m));
    check(maps, config, 1);
    maps = maps.map((m, i) => (i === 2 ? { ...m, health: 'degraded' as const, pathsActive: 3 } : m));
    check(maps, config, 1);
    check(maps.filter((_, i) => i !== 5), config, 0); // a map vanished
    check([...maps.slice(0, 5), ...generated(25).slice(20)], config, 5); // new maps appear (WWID order)
    const renamed = Config.parse({ cluster: { luns: [{ wwid: '36001405000000000000000000000003', alias: 'renamed', usedBy: 'vmstore' }] } });
    check(maps, config, 15); // maps 5..19 come back: dropped entries are not kept
    check(maps, renamed, 1); // only the LUN whose config entry changed
    check(maps, Config.parse({ ...renamed, listen: ':1', perPathMetrics: false }), 20);
    check([], config, 0);
  });

  it('keeps the chunk (the same Buffer) of every family none of whose maps changed', () => {
    const cache = new MapSectionCache();
    let maps = generated(20);
    const before = cache.renderChunks(maps, config);
    expect(Buffer.concat(before).toString('utf8')).toBe(renderMapSectionBytes(maps, config).toString('utf8'));
    expect(cache.renderChunks([...maps], config)).toEqual(before);
    expect(cache.assembled).toBe(0);
    maps = maps.map((m, i) => (i === 7 ? { ...m, counters: { ...m.counters, pathFaults: 5 } } : m));
    const after = cache.renderChunks(maps, config);
    expect(Buffer.concat(after).toString('utf8')).toBe(renderMapSectionBytes(maps, config).toString('utf8'));
    const families = after.filter((_, i) => i % 2 === 0); // family chunks, separators between
    const kept = families.filter((chunk, i) => chunk === before[2 * i]).length;
    expect(cache.assembled).toBe(families.length - kept);
    expect(cache.assembled).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(families.length / 2); // a fault counter is one family, not most of them
    expect(cache.renderChunks([], config)).toEqual([]);
  });

  it('places every family\'s lines right when a label is not ASCII (UTF-8 bytes outnumber characters)', () => {
    const maps = generated(3).map((m, i) => (i === 1 ? { ...m, vendor: 'Fürst-€-東京' } : m));
    const cache = new MapSectionCache();
    expect(cache.render(maps, config).toString('utf8')).toBe(renderMapSectionBytes(maps, config).toString('utf8'));
    const changed = maps.map((m) => ({ ...m, counters: { ...m.counters, pathFaults: 9 } }));
    expect(cache.render(changed, config).toString('utf8')).toBe(renderMapSectionBytes(changed, config).toString('utf8'));
  });

  it('is a drop-in for the full exposition: byte-identical to prom-client', async () => {
    const cache = new MapSectionCache();
    const snapshot = snapshotFromFixture('all-six-maps.json');
    const input = { snapshot, failures: NO_FAILURES, config, nodename: 'pve1', version: '1' };
    cache.render(snapshot.maps, config);
    const changed = { ...snapshot, maps: snapshot.maps.map((m, i) => (i === 1 ? { ...m, pathsUsable: 9 } : m)) };
    const text = renderMetricsBytes({ ...input, snapshot: changed }, (maps, cfg) => cache.render(maps, cfg)).toString('utf8');
    expect(cache.rendered).toBe(1);
    expect(text).toBe(await buildRegistry({ ...input, snapshot: changed }).metrics());
  });
});
