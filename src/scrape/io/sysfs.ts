// Reads the few sysfs facts the JSON lacks: map size, holders, and each path's device link (for
// its transport). Best effort: a missing file just leaves the fact absent.
//
// Synchronous on purpose: sysfs lives in memory, a read takes microseconds, and a big host needs
// ~6 reads per map (1000 maps x 4 paths: ~6000). Through the libuv thread pool with promises (and
// an Error object per missing file) that cost more than rendering the whole scrape.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { SysfsFacts } from '../core/enrich.js';
import type { MapModel } from '../core/parse-multipathd.js';

const SAFE_NAME = /^[A-Za-z0-9._:-]+$/;

function listBlockDevices(root: string): Set<string> {
  try {
    return new Set(readdirSync(join(root, 'block')));
  } catch {
    return new Set();
  }
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

export async function readSysfsFacts(root: string, maps: readonly MapModel[]): Promise<SysfsFacts> {
  const facts: SysfsFacts = { sizeSectors: new Map(), holders: new Map(), pathLinks: new Map() };
  // One listing tells which devices exist, so absent ones cost nothing.
  const devices = listBlockDevices(root);
  for (const map of maps) {
    const dm = map.sysfs;
    if (dm && SAFE_NAME.test(dm) && devices.has(dm)) {
      const size = attempt(() => readFileSync(join(root, 'block', dm, 'size'), 'utf8'));
      if (size !== undefined && /^\d+\s*$/.test(size)) facts.sizeSectors.set(dm, Number(size.trim()));
      const holders = attempt(() => readdirSync(join(root, 'block', dm, 'holders')));
      if (holders) facts.holders.set(dm, holders.length);
    }
    for (const group of map.pathGroups) {
      for (const path of group.paths) {
        const dev = path.dev;
        if (!dev || path.transport || !SAFE_NAME.test(dev) || !devices.has(dev)) continue;
        const link = attempt(() => readlinkSync(join(root, 'block', dev)));
        if (link !== undefined) facts.pathLinks.set(dev, link);
      }
    }
  }
  return facts;
}
