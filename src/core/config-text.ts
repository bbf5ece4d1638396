// Config file text -> validated Config, or errors that name the file, the YAML path, the line and
// what is allowed. Pure: reading the file is the caller's business.
import { LineCounter, isNode, parseDocument } from 'yaml';
import { Config } from './config.js';

export interface ConfigError {
  file: string;
  /** YAML path such as `cluster.luns[1].alias`; empty for the document itself. */
  path: string;
  line?: number;
  message: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

export function formatConfigError(e: ConfigError): string {
  const where = [e.file, e.line !== undefined ? `line ${e.line}` : undefined, e.path || undefined].filter(Boolean).join(': ');
  return `${where}: ${e.message}`;
}

export function parseConfigText(text: string, file: string): ConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((err) => ({
        file,
        path: '',
        line: err.linePos?.[0]?.line,
        message: `YAML syntax: ${err.message.split('\n')[0]}`,
      })),
    };
  }
  const data: unknown = doc.toJS() ?? {};
  const result = Config.safeParse(data);
  if (result.success) return { ok: true, config: result.data };

  const errors = result.error.issues.map((issue): ConfigError => {
    // Point at the deepest YAML node that exists on the issue's path.
    let line: number | undefined;
    for (let depth = issue.path.length; depth >= 0 && line === undefined; depth--) {
      const node = doc.getIn(issue.path.slice(0, depth) as unknown[], true);
      if (isNode(node) && node.range) line = lineCounter.linePos(node.range[0]).line;
    }
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
      const allowed = allowedKeysAt(issue.path);
      if (allowed) message += `; allowed: ${allowed.join(', ')}`;
    } else if (issue.code === 'invalid_value' && 'values' in issue) {
      message = `must be one of ${(issue.values as unknown[]).map(String).join(', ')}`;
    }
    return { file, path: formatPath(issue.path), line, message };
  });
  return { ok: false, errors };
}

/** The keys the schema allows at a path, for "unknown key" messages. */
function allowedKeysAt(path: readonly PropertyKey[]): string[] | undefined {
  // Walk the zod object shapes along the path; arrays are transparent.
  let schema: unknown = Config;
  for (const key of path) {
    schema = unwrap(schema);
    if (typeof key === 'number') {
      schema = (schema as { element?: unknown }).element;
      continue;
    }
    const shape = (schema as { shape?: Record<string, unknown> }).shape;
    schema = shape?.[String(key)];
    if (!schema) return undefined;
  }
  schema = unwrap(schema);
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape).sort() : undefined;
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { innerType?: unknown; in?: unknown; type?: string } } | undefined;
  for (let i = 0; i < 10 && s?.def; i++) {
    const inner = s.def.innerType ?? (s.def.type === 'pipe' ? s.def.in : undefined);
    if (!inner) break;
    s = inner as typeof s;
  }
  return s;
}
