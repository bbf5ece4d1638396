// Memoized rendering of the per-map section of the exposition. At 1000 maps x 4 paths the section
// is ~100k series and nearly all of a scrape's cost; between two scrapes usually only a few maps
// change (a path fails, a failback countdown ticks), so each map's lines are kept per metric and
// re-rendered only when that map's content or its config entry changed. Deterministic: the output
// is exactly renderMapSectionBytes(maps, config) (test/scrape/core/map-section.test.ts). The section
// comes as one chunk per metric family, and a family none of whose maps changed keeps its chunk (the
// same Buffer), so the HTTP edge can keep that chunk's gzip member too.
import { assembleMetricChunk, type ByteSlice, METRIC_SEPARATOR } from './exposition.js';
import { byWwid, type Config } from '../../common/core/config.js';
import { lunsByWwid, MAP_METRIC_HEADERS, mapFragments, type MapFragments } from './metrics.js';
import type { MapModel } from './parse-multipathd.js';

interface Entry {
  key: string;
  fragments: MapFragments;
}

interface FamilyChunk {
  /** The maps' fragments the chunk was assembled from, in WWID order. */
  maps: readonly MapFragments[];
  chunk: Buffer | undefined;
}

export class MapSectionCache {
  private entries = new Map<string, Entry>();
  private families: FamilyChunk[] = [];
  private last: { maps: readonly MapModel[]; config: Config; chunks: readonly Buffer[] } | undefined;
  /** Maps rendered afresh in the last call (for tests and the benchmark). */
  rendered = 0;
  /** Family chunks assembled afresh in the last call (for tests and the benchmark). */
  assembled = 0;

  render(maps: readonly MapModel[], config: Config): Buffer {
    return Buffer.concat(this.renderChunks(maps, config));
  }

  /**
   * The section as one chunk per family with series and the separators between them, in exposition
   * order (concatenated: render).
   */
  renderChunks(maps: readonly MapModel[], config: Config): readonly Buffer[] {
    // The collector hands out the same array while the reply is unchanged: nothing to do at all.
    if (this.last && this.last.maps === maps && this.last.config === config) {
      this.rendered = 0;
      this.assembled = 0;
      return this.last.chunks;
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
    this.assembled = 0;
    const chunks: Buffer[] = [];
    this.families = MAP_METRIC_HEADERS.map((header, i) => {
      let family = this.families[i];
      if (!family || !sameFamilyBytes(family.maps, fragmentsPerMap, i)) {
        family = { maps: fragmentsPerMap, chunk: assembleMetricChunk({ header, fragments: fragmentsPerMap.map((f) => familySlice(f, i)) }) };
        this.assembled++;
      }
      if (family.chunk) chunks.push(...(chunks.length > 0 ? [METRIC_SEPARATOR, family.chunk] : [family.chunk]));
      return family;
    });
    this.last = { maps, config, chunks };
    return chunks;
  }
}

function familySlice(fragments: MapFragments, family: number): ByteSlice {
  return { bytes: fragments.bytes, start: family > 0 ? fragments.ends[family - 1]! : 0, end: fragments.ends[family]! };
}

/** Whether family `family`'s lines are the same bytes in both lists of maps (a reused map: the same object). */
function sameFamilyBytes(before: readonly MapFragments[], now: readonly MapFragments[], family: number): boolean {
  if (before.length !== now.length) return false;
  for (let k = 0; k < now.length; k++) {
    if (before[k] === now[k]) continue;
    const a = familySlice(before[k]!, family);
    const b = familySlice(now[k]!, family);
    if (a.end - a.start !== b.end - b.start || b.bytes.compare(a.bytes, a.start, a.end, b.start, b.end) !== 0) return false;
  }
  return true;
}
