// The one sysfs reader (`<root>/block/<name>`), for both jobs: the scrape reads the few facts the
// JSON lacks (map size, holders, each path's device link for its transport); apply reads every
// block device's dev, holders and dm uuid/name to tell which maps are in use. Best effort: a
// missing file just leaves the fact absent.
//
// Synchronous on purpose: sysfs lives in memory, a read takes microseconds, and a big host needs
// ~6 reads per map (1000 maps x 4 paths: ~6000). Through the libuv thread pool with promises (and
// an Error object per missing file) that cost more than rendering the whole scrape.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { BlockDevice } from '../../apply/core/mountinfo.js';
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

function readTrimmed(path: string): string | undefined {
  return attempt(() => readFileSync(path, 'utf8').trim()) || undefined;
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

/** `read()`, or `absent` when the file does not exist; any other error is thrown. */
function unlessMissing<T>(read: () => T, absent: T): T {
  try {
    return read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return absent;
    throw err;
  }
}

/**
 * Every block device with its `dev`, `holders/` and, for device-mapper devices, `dm/uuid` and
 * `dm/name`. Strict where a guess would be unsafe: no `block/` directory (a container without
 * sysfs) means no devices, but an unreadable directory or holders list throws, so the caller
 * cannot mistake "could not look" for "nothing holds it".
 */
export function readBlockDevices(root: string): BlockDevice[] {
  const out: BlockDevice[] = [];
  for (const name of unlessMissing(() => readdirSync(join(root, 'block')), [] as string[]).sort()) {
    const dir = join(root, 'block', name);
    const dev = readTrimmed(join(dir, 'dev'));
    if (!dev) continue;
    const holders = unlessMissing(() => readdirSync(join(dir, 'holders')), [] as string[]);
    out.push({ name, dev, holders, dmUuid: readTrimmed(join(dir, 'dm', 'uuid')), dmName: readTrimmed(join(dir, 'dm', 'name')) });
  }
  return out;
}
