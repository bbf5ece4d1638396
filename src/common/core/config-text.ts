// Config file text -> validated Config, or errors that name the file, the YAML path, the line and
// what is allowed. Pure: reading the file is the caller's business.
import { Config } from './config.js';
import { type ConfigError, parseYamlWithSchema } from './yaml-schema.js';

export { type ConfigError, formatConfigError } from './yaml-schema.js';

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

export function parseConfigText(text: string, file: string): ConfigResult {
  const result = parseYamlWithSchema(text, file, Config);
  return result.ok ? { ok: true, config: result.data } : result;
}
