// Reads the config file. A missing file means built-in defaults (monitor only); an invalid one is
// reported with file, line and YAML path.
import { readFile } from 'node:fs/promises';
import { type ConfigError, parseConfigText } from '../core/config-text.js';
import { type Config, defaultConfig } from '../core/config.js';

export type LoadedConfig = { ok: true; config: Config; missing: boolean } | { ok: false; errors: ConfigError[] };

export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, config: defaultConfig(), missing: true };
    return { ok: false, errors: [{ file: path, path: '', message: `cannot read: ${(err as Error).message}` }] };
  }
  const result = parseConfigText(text, path);
  return result.ok ? { ok: true, config: result.config, missing: false } : result;
}
