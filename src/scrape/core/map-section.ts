// Memoized rendering of the per-map section of the exposition. At 1000 maps x 4 paths the section
// is ~100k series and nearly all of a scrape's cost; between two scrapes usually only a few maps
// change (a path fails, a failback countdown ticks). Each map is rendered (straight from the model,
// cheap) and its new bytes replace the kept ones only when they differ, so an unchanged map keeps
// its fragments (the same object) and every family it sits in can be recognised as unchanged by
// identity. The bytes are the key: nothing that reaches the output can be missed. Deterministic: the output
// is exactly renderMapSectionBytes(maps, config) (test/scrape/core/map-section.test.ts). The section
// comes as one chunk per metric family, and a family none of whose maps changed keeps its chunk (the
// same Buffer), so the HTTP edge can keep that chunk's gzip member too.
import { assembleMetricChunk, METRIC_SEPARATOR } from './exposition.js';
import { byWwid, type Config } from '../../common/core/config.js';
import { familySlice, lunsByWwid, MAP_METRIC_HEADERS, mapFragments, type MapFragments } from './metrics.js';
import type { MapModel } from './parse-multipathd.js';

interface FamilyChunk {
  /** The maps' fragments the chunk was assembled from, in WWID order. */
  maps: readonly MapFragments[];
  chunk: Buffer | undefined;
}

export class MapSectionCache {
  private entries = new Map<string, MapFragments>();
  private families: FamilyChunk[] = [];
  private last: { maps: readonly MapModel[]; config: Config; chunks: readonly Buffer[] } | undefined;
  /** Maps whose lines changed (or are new) in the last call, so not kept (for tests and the benchmark). */
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
    const next = new Map<string, MapFragments>();
    const luns = lunsByWwid(config);
    this.rendered = 0;
    const fragmentsPerMap = sorted.map((map) => {
      const kept = this.entries.get(map.wwid);
      const fragments = mapFragments(map, config, luns, kept);
      if (fragments !== kept) this.rendered++;
      next.set(map.wwid, fragments);
      return fragments;
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
