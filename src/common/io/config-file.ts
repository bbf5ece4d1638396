// Reads and validates the config file. A missing file means the built-in defaults (monitor only);
// an empty one is invalid (it may be a write in progress, or a truncated copy: read as defaults it
// would take every LUN off the allow-list); an invalid one gives errors with file, line and YAML
// path, formatted for humans.
import { readFile } from 'node:fs/promises';
import { formatConfigError, parseConfigText } from '../core/config-text.js';
import { hostname } from 'node:os';
import { type Config, DEFAULT_PVE_DIR, defaultConfig, nodeNameOf } from '../core/config.js';
import { PVE_FILES, pveCluster, type PveFiles } from '../core/pve/cluster.js';

/** `text` is the file's content (null when it does not exist), so callers can tell a change. */
export type ReadConfigResult = { ok: true; config: Config; text: string | null } | { ok: false; errors: string[] };

export async function readConfigFile(path: string): Promise<ReadConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, config: defaultConfig(), text: null };
    return { ok: false, errors: [`${path}: cannot read: ${(err as Error).message}`] };
  }
  if (text.trim() === '') {
    return { ok: false, errors: [`${path}: empty config file (a missing file means the built-in defaults; an empty one is refused, it may be a write in progress)`] };
  }
  const result = parseConfigText(text, path);
  if (result.ok && result.config.cluster.source === 'pve') return withPveCluster(result.config, text);
  return result.ok ? { ok: true, config: result.config, text } : { ok: false, errors: result.errors.map(formatConfigError) };
}

/** `cluster.source: pve`: the cluster part read from the Proxmox VE cluster files. */
async function withPveCluster(config: Config, text: string): Promise<ReadConfigResult> {
  const dir = config.cluster.dir ?? DEFAULT_PVE_DIR;
  const read = await readPveFiles(dir);
  if (!read.ok) return read;
  const result = pveCluster(dir, read.files);
  return result.ok ? { ok: true, config: { ...config, cluster: result.cluster }, text } : { ok: false, errors: result.errors.map(formatConfigError) };
}

/** The Proxmox VE cluster files in `dir`, each null when missing. */
export async function readPveFiles(dir: string): Promise<{ ok: true; files: PveFiles } | { ok: false; errors: string[] }> {
  const errors: string[] = [];
  const read = async (name: string) => {
    try {
      return await readFile(`${dir}/${name}`, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') errors.push(`${dir}/${name}: cannot read: ${(err as Error).message}`);
      return null;
    }
  };
  const files = Object.fromEntries(await Promise.all(PVE_FILES.map(async (name) => [name, await read(name)]))) as PveFiles;
  return errors.length > 0 ? { ok: false, errors } : { ok: true, files };
}

/** This node's name (config `node`, else the short host name). */
export function nodeName(config: Config): string {
  return nodeNameOf(config, hostname());
}

/** Reads the config for a one-shot command, or prints its errors (one per line) and returns undefined. */
export async function readConfigOrReport(
  path: string,
  err: (text: string) => void = (text) => void process.stderr.write(text),
): Promise<{ config: Config; text: string | null } | undefined> {
  const read = await readConfigFile(path);
  if (read.ok) return read;
  err(`${read.errors.join('\n')}\n`);
  return undefined;
}
