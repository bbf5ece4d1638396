// The layout is a contract: every job (scrape, apply, web) and `common` keep pure code in `core/`
// and I/O in `io/`. A pure module imports only pure modules, a few side-effect-free packages and
// node builtins that do no I/O; `common` imports no job; nothing outside `sim/` imports the simulator;
// there are no import cycles.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO } from './support/repo.js';

const PURE_PACKAGES = new Set(['zod', 'yaml', 'diff', 'node:crypto', 'node:path']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(REPO, path.join(e.parentPath, e.name)));
}

/** Every module specifier a file imports or re-exports, type-only and dynamic ones included (read by TypeScript's own scanner, so strings and comments never count). */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

interface Edge {
  from: string;
  /** A repository-relative .ts path for a relative import, else the package name. */
  to: string;
}

function edgesOf(files: string[]): Edge[] {
  return files.flatMap((from) =>
    importsOf(readFileSync(path.join(REPO, from), 'utf8')).map((spec) => ({
      from,
      to: spec.startsWith('.') ? path.normalize(path.join(path.dirname(from), spec)).replace(/\.js$/, '.ts') : spec,
    })),
  );
}

const kind = (file: string): 'core' | 'io' | 'sim' | 'entry' => (file.startsWith('src/sim/') ? 'sim' : /^src\/\w+\/core\//.test(file) ? 'core' : /^src\/\w+\/io\//.test(file) ? 'io' : 'entry');

/** Layout violations of a set of import edges (pure, so the test can show each rule failing). */
export function layoutViolations(edges: Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const local = to.startsWith('src/');
    if (kind(from) === 'core' && (local ? kind(to) !== 'core' : !PURE_PACKAGES.has(to))) out.push(`${from} is pure but imports ${to}`);
    if (from.startsWith('src/common/') && local && !to.startsWith('src/common/')) out.push(`${from} is common but imports the job module ${to}`);
    if (kind(from) !== 'sim' && local && kind(to) === 'sim') out.push(`${from} imports the simulator ${to}`);
  }
  return out;
}

/** Import cycles among local modules, each as the list of files around it. */
export function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) if (to.startsWith('src/')) next.set(from, [...(next.get(from) ?? []), to]);
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      found.push(stack.slice(stack.indexOf(file)));
      return;
    }
    state.set(file, 'open');
    stack.push(file);
    for (const to of next.get(file) ?? []) visit(to);
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of next.keys()) visit(file);
  return found;
}

describe('layout', () => {
  const files = sourceFiles(path.join(REPO, 'src'));
  const edges = edgesOf(files);

  it('has the three jobs and common, each with core/ and io/', () => {
    for (const job of ['scrape', 'apply', 'web', 'common']) {
      expect(files.some((f) => f.startsWith(`src/${job}/core/`)), `${job}/core`).toBe(true);
      expect(files.some((f) => f.startsWith(`src/${job}/io/`)), `${job}/io`).toBe(true);
    }
  });

  it('keeps pure modules pure, common free of jobs and the simulator out of the product', () => {
    expect(edges.length).toBeGreaterThan(50);
    expect(layoutViolations(edges)).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('resolves every relative import to a file that exists', () => {
    const missing = edges.filter((e) => e.to.startsWith('src/') && !files.includes(e.to)).map((e) => `${e.from} -> ${e.to}`);
    expect(missing).toEqual([]);
  });

  it('catches each kind of violation (the rules are live)', () => {
    expect(layoutViolations([{ from: 'src/scrape/core/metrics.ts', to: 'src/scrape/io/collector.ts' }])).toHaveLength(1);
    expect(layoutViolations([{ from: 'src/apply/core/apply-plan.ts', to: 'node:fs' }])).toHaveLength(1);
    expect(layoutViolations([{ from: 'src/web/core/landing-page.ts', to: 'express' }])).toHaveLength(1);
    expect(layoutViolations([{ from: 'src/common/core/config.ts', to: 'src/scrape/core/states.ts' }])).toHaveLength(1);
    expect(layoutViolations([{ from: 'src/web/io/http.ts', to: 'src/sim/processes.ts' }])).toHaveLength(1);
    expect(layoutViolations([{ from: 'src/web/io/http.ts', to: 'src/scrape/core/metrics.ts' }])).toEqual([]);
    expect(cycles([{ from: 'src/a.ts', to: 'src/b.ts' }, { from: 'src/b.ts', to: 'src/a.ts' }])).toEqual([['src/a.ts', 'src/b.ts']]);
    expect(importsOf("import type { A } from './a.js';\nexport { b } from \"./b.js\";\nconst c = await import('./c.js');")).toEqual(['./a.js', './b.js', './c.js']);
    expect(importsOf("const help = 'read it from \"show daemon\"';\n// import x from './d.js'")).toEqual([]);
  });
});
