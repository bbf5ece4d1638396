// Reads each node's copied multipath files from a directory (one sub-directory per node), or this
// node's live files. Read-only: nothing here writes, and the live files are only opened for reading.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { confDirOrder } from '../core/node-config.js';
import type { NodeFiles, TextFile } from '../core/load-node.js';

/** Where a node's files are, relative to its directory (or to / for the live node). */
export interface NodeLayout {
  conf: string;
  confDir: string;
  wwids: string;
  bindings: string;
  maps?: string;
}

/** The copies an admin collects per node: multipath.conf, conf.d/, wwids, bindings, maps.json. */
export const COPY_LAYOUT: NodeLayout = { conf: 'multipath.conf', confDir: 'conf.d', wwids: 'wwids', bindings: 'bindings', maps: 'maps.json' };
/** The live files of multipath-tools 0.9.4. */
export const LIVE_LAYOUT: NodeLayout = { conf: 'etc/multipath.conf', confDir: 'etc/multipath/conf.d', wwids: 'etc/multipath/wwids', bindings: 'etc/multipath/bindings' };

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

async function readOptional(path: string, shown: string): Promise<TextFile | undefined> {
  try {
    return { path: shown, text: await readFile(path, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${shown}: cannot read: ${(err as Error).message}`);
  }
}

/** One node's files under `root` laid out as `layout`; messages name them as `shownRoot/<file>`. */
export async function readNodeFiles(name: string, root: string, layout: NodeLayout, shownRoot: string): Promise<NodeFiles> {
  const shown = (p: string) => (shownRoot === '' ? `/${p}` : `${shownRoot}/${p}`);
  const confFiles: TextFile[] = [];
  const main = await readOptional(join(root, layout.conf), shown(layout.conf));
  if (main) confFiles.push(main);
  let names: string[] = [];
  try {
    names = await readdir(join(root, layout.confDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${shown(layout.confDir)}: cannot read: ${(err as Error).message}`);
  }
  for (const file of confDirOrder(names)) {
    const f = await readOptional(join(root, layout.confDir, file), shown(`${layout.confDir}/${file}`));
    if (f) confFiles.push(f);
  }
  return {
    name,
    confFiles,
    wwids: await readOptional(join(root, layout.wwids), shown(layout.wwids)),
    bindings: await readOptional(join(root, layout.bindings), shown(layout.bindings)),
    maps: layout.maps ? await readOptional(join(root, layout.maps), shown(layout.maps)) : undefined,
  };
}

/** Every sub-directory of `dir` is a node named after it. Throws with the path on any read error. */
export async function readNodeDirectories(dir: string): Promise<NodeFiles[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new Error(`${dir}: cannot read: ${(err as Error).message}`);
  }
  const nodeDirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (nodeDirs.length === 0) throw new Error(`${dir}: no node directories (expected one per node, e.g. ${dir}/pve1/multipath.conf)`);
  const out: NodeFiles[] = [];
  for (const name of nodeDirs) {
    if (!NODE_NAME.test(name)) throw new Error(`${join(dir, name)}: "${name}" is not a node name (letters, digits, ".", "_", "-")`);
    const files = await readNodeFiles(name, join(dir, name), COPY_LAYOUT, join(dir, name));
    if (files.confFiles.length === 0 && !files.wwids && !files.bindings && !files.maps) {
      throw new Error(`${join(dir, name)}: none of multipath.conf, conf.d/*.conf, wwids, bindings, maps.json`);
    }
    out.push(files);
  }
  return out;
}
