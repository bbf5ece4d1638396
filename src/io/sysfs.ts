// Reads the few sysfs facts the JSON lacks: map size, holders, and each path's device link (for
// its transport). Best effort: a missing file just leaves the fact absent.
import { readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SysfsFacts } from '../core/enrich.js';
import type { MapModel } from '../core/parse-multipathd.js';

const SAFE_NAME = /^[A-Za-z0-9._:-]+$/;

export async function readSysfsFacts(root: string, maps: readonly MapModel[]): Promise<SysfsFacts> {
  const facts: SysfsFacts = { sizeSectors: new Map(), holders: new Map(), pathLinks: new Map() };
  const jobs: Promise<void>[] = [];
  for (const map of maps) {
    const dm = map.sysfs;
    if (dm && SAFE_NAME.test(dm)) {
      jobs.push(
        readFile(join(root, 'block', dm, 'size'), 'utf8').then(
          (text) => {
            if (/^\d+\s*$/.test(text)) facts.sizeSectors.set(dm, Number(text.trim()));
          },
          () => undefined,
        ),
        readdir(join(root, 'block', dm, 'holders')).then(
          (entries) => void facts.holders.set(dm, entries.length),
          () => undefined,
        ),
      );
    }
    for (const group of map.pathGroups) {
      for (const path of group.paths) {
        const dev = path.dev;
        if (!dev || path.transport || !SAFE_NAME.test(dev)) continue;
        jobs.push(
          readlink(join(root, 'block', dev)).then(
            (link) => void facts.pathLinks.set(dev, link),
            () => undefined,
          ),
        );
      }
    }
  }
  await Promise.all(jobs);
  return facts;
}
