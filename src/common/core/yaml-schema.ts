// YAML text + a zod schema -> the validated value, or errors that name the file, the line, the
// YAML path and what is allowed. Shared by the config file and the web config file. Pure.
import { isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';

export interface ConfigError {
  file: string;
  /** YAML path such as `cluster.luns[1].alias`; empty for the document itself. */
  path: string;
  line?: number;
  message: string;
}

export type YamlResult<T> =
  | { ok: true; data: T; /** Line of the node at a path (for errors found after validation). */ lineOf: (path: readonly PropertyKey[]) => number | undefined }
  | { ok: false; errors: ConfigError[] };

export function formatYamlPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

export function formatConfigError(e: ConfigError): string {
  const where = [e.file, e.line !== undefined ? `line ${e.line}` : undefined, e.path || undefined].filter(Boolean).join(': ');
  return `${where}: ${e.message}`;
}

export function parseYamlWithSchema<S extends z.ZodType>(text: string, file: string, schema: S): YamlResult<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      // `linePos` is only filled in with prettyErrors; `pos` always is.
      errors: doc.errors.map((err) => ({ file, path: '', line: lineCounter.linePos(err.pos[0]).line, message: `YAML syntax: ${err.message.split('\n')[0]}` })),
    };
  }
  // The deepest YAML node that exists on the path.
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  // The line of an unknown key itself, not of the map that holds it.
  const lineOfKey = (path: readonly PropertyKey[], key: string): number | undefined => {
    const map = path.length ? doc.getIn(path as unknown[], true) : doc.contents;
    if (isMap(map)) {
      const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (pair && isNode(pair.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]).line;
    }
    return lineOf(path);
  };

  const result = schema.safeParse(doc.toJS() ?? {});
  if (result.success) return { ok: true, data: result.data, lineOf };
  return {
    ok: false,
    errors: result.error.issues.map((issue): ConfigError => {
      let message = issue.message;
      let line = lineOf(issue.path);
      if (issue.code === 'unrecognized_keys') {
        message = `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
        const allowed = allowedKeysAt(schema, issue.path);
        if (allowed) message += `; allowed: ${allowed.join(', ')}`;
        if (issue.keys[0]) line = lineOfKey(issue.path, issue.keys[0]);
      } else if (issue.code === 'invalid_value' && 'values' in issue) {
        message = `must be one of ${(issue.values as unknown[]).map(String).join(', ')}`;
      }
      return { file, path: formatYamlPath(issue.path), line, message };
    }),
  };
}

/** The keys a schema allows at a path, for "unknown key" messages. */
function allowedKeysAt(root: unknown, path: readonly PropertyKey[]): string[] | undefined {
  let schema: unknown = root;
  for (const key of path) {
    schema = unwrap(schema);
    if (typeof key === 'number') {
      schema = (schema as { element?: unknown }).element;
      continue;
    }
    schema = (schema as { shape?: Record<string, unknown> }).shape?.[String(key)];
    if (!schema) return undefined;
  }
  const shape = (unwrap(schema) as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape).sort() : undefined;
}

/** Looks through defaults, optionals and pipes to the schema that has a shape or element. */
function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { innerType?: unknown; in?: unknown; type?: string } } | undefined;
  for (let i = 0; i < 10 && s?.def; i++) {
    const inner = s.def.innerType ?? (s.def.type === 'pipe' ? s.def.in : undefined);
    if (!inner) break;
    s = inner as typeof s;
  }
  return s;
}
