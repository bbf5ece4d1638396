// Reads the `--web.config.file` (exporter-toolkit format) and validates it (src/web/core/web-config.ts).
import { readFile } from 'node:fs/promises';
import { formatConfigError } from '../../common/core/config-text.js';
import { parseWebConfigText, type WebConfig } from '../core/web-config.js';

export class WebConfigError extends Error {}

/** Read and validate a web config file; errors name the file, line and YAML path. */
export async function loadWebConfig(file: string): Promise<WebConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new WebConfigError(`${file}: cannot read web config: ${(e as Error).message}`);
  }
  const result = parseWebConfigText(text, file);
  if (!result.ok) throw new WebConfigError(result.errors.map(formatConfigError).join('\n'));
  return result.config;
}
