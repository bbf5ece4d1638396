// Memoized rendering of the per-map section of the exposition. At 1000 maps x 4 paths the section
// is ~100k series and nearly all of a scrape's cost; between two scrapes usually only a few maps
// change (a path fails, a failback countdown ticks), so each map's lines are kept per metric and
// re-rendered only when that map's content or its config entry changed. Deterministic: the output
// is exactly renderMapSectionBytes(maps, config) (test/scrape/core/map-section.test.ts).
import { assembleExposition } from './exposition.js';
import { byWwid, type Config } from '../../common/core/config.js';
import { lunsByWwid, MAP_METRIC_HEADERS, mapFragments } from './metrics.js';
import type { MapModel } from './parse-multipathd.js';

interface Entry {
  key: string;
  fragments: string[];
}

export class MapSectionCache {
  private entries = new Map<string, Entry>();
  private last: { maps: readonly MapModel[]; config: Config; bytes: Buffer } | undefined;
  /** Maps rendered afresh in the last call (for tests and the benchmark). */
  rendered = 0;

  render(maps: readonly MapModel[], config: Config): Buffer {
    // The collector hands out the same array while the reply is unchanged: nothing to do at all.
    if (this.last && this.last.maps === maps && this.last.config === config) {
      this.rendered = 0;
      return this.last.bytes;
    }
    const sorted = [...maps].sort(byWwid);
    const next = new Map<string, Entry>();
    const luns = lunsByWwid(config);
    const perPath = config.perPathMetrics ? 'p' : '-';
    this.rendered = 0;
    const fragmentsPerMap = sorted.map((map) => {
      const key = `${perPath}${JSON.stringify(luns.get(map.wwid)) ?? ''}\0${JSON.stringify(map)}`;
      let entry = this.entries.get(map.wwid);
      if (!entry || entry.key !== key) {
        entry = { key, fragments: mapFragments(map, config, luns) };
        this.rendered++;
      }
      next.set(map.wwid, entry);
      return entry.fragments;
    });
    this.entries = next; // maps that vanished are dropped
    const bytes = assembleExposition(MAP_METRIC_HEADERS.map((header, i) => ({ header, fragments: fragmentsPerMap.map((f) => f[i]!) })));
    this.last = { maps, config, bytes };
    return bytes;
  }
}
