// Reads and validates the config file. A missing file means the built-in defaults (monitor only);
// an invalid one gives errors with file, line and YAML path, formatted for humans.
import { readFile } from 'node:fs/promises';
import { formatConfigError, parseConfigText } from '../core/config-text.js';
import { hostname } from 'node:os';
import { type Config, defaultConfig, nodeNameOf } from '../core/config.js';

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
  const result = parseConfigText(text, path);
  return result.ok ? { ok: true, config: result.config, text } : { ok: false, errors: result.errors.map(formatConfigError) };
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
