// Adds the sysfs facts (read by src/scrape/io/sysfs.ts) to parsed maps. Pure.
import { mapTransport, type MapModel, transportFromSysfsLink } from './parse-multipathd.js';

export interface SysfsFacts {
  /** `dm-N` -> size in 512-byte sectors (Linux reports sectors whatever the block size). */
  sizeSectors: Map<string, number>;
  /** `dm-N` -> number of holders (LVM, partitions, ...). */
  holders: Map<string, number>;
  /** `sdX` -> target of the `/sys/block/sdX` link. */
  pathLinks: Map<string, string>;
}

/**
 * The maps with their sysfs facts. A path group or path no fact changes is kept as it is (the same
 * object): they are most of a big reply's model, and copying them all on every changed reply was
 * garbage the next scrape had to collect.
 */
export function enrichMaps(maps: readonly MapModel[], facts: SysfsFacts): MapModel[] {
  return maps.map((map) => {
    let pathsChanged = false;
    const pathGroups = map.pathGroups.map((group) => {
      let changed = false;
      const paths = group.paths.map((path) => {
        const transport = path.transport || !path.dev ? undefined : transportFromSysfsLink(facts.pathLinks.get(path.dev));
        if (!transport) return path;
        changed = true;
        return { ...path, transport };
      });
      pathsChanged ||= changed;
      return changed ? { ...group, paths } : group;
    });
    const sectors = map.sysfs ? facts.sizeSectors.get(map.sysfs) : undefined;
    return {
      ...map,
      pathGroups,
      transport: pathsChanged ? mapTransport(pathGroups.flatMap((g) => g.paths)) : map.transport,
      sizeBytes: sectors === undefined ? undefined : sectors * 512,
      holders: map.sysfs ? facts.holders.get(map.sysfs) : undefined,
    };
  });
}

function sameMap<K, V>(a: Map<K, V>, b: Map<K, V>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

/** Whether two sysfs readings are identical (then the enriched maps of the last scrape still hold). */
export function sameFacts(a: SysfsFacts, b: SysfsFacts): boolean {
  return sameMap(a.sizeSectors, b.sizeSectors) && sameMap(a.holders, b.holders) && sameMap(a.pathLinks, b.pathLinks);
}
