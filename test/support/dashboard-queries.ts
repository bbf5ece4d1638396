// Reusable machinery for dashboard query tests: extract every panel query from a Grafana dashboard
// JSON with its variables substituted, find the metric selectors and labels each panel needs, and
// evaluate queries either with `promtool test rules` (promql_expr_test over a scenario of input
// series plus rule files) or against a live Prometheus HTTP API (the end-to-end tests).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parser } from '@prometheus-io/lezer-promql';
import { stringify } from 'yaml';
import { parseDurationMs } from '../../src/common/core/duration.js';

// ------------------------------------------------------------------------------------------ model

export interface GrafanaTarget {
  refId: string;
  expr?: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  format?: string;
  datasource?: { type?: string; uid?: string };
  [key: string]: unknown;
}

export interface GrafanaPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
  transformations?: { id: string; options?: Record<string, unknown> }[];
  fieldConfig?: {
    defaults?: { unit?: string; mappings?: unknown[]; [key: string]: unknown };
    overrides?: { matcher: { id: string; options?: unknown }; properties: { id: string; value?: unknown }[] }[];
  };
  [key: string]: unknown;
}

export interface GrafanaDashboard {
  uid?: string;
  title?: string;
  id?: number | null;
  panels?: GrafanaPanel[];
  templating?: { list?: { name: string; type: string; query?: unknown; [key: string]: unknown }[] };
  [key: string]: unknown;
}

export interface DashboardQuery {
  panelId: number | undefined;
  panelTitle: string;
  panelType: string;
  refId: string;
  /** The expression as stored in the dashboard. */
  rawExpr: string;
  /** The expression with every variable substituted. */
  expr: string;
  legendFormat: string;
  instant: boolean;
  format: string;
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Evaluates instant queries; `time` is a promtool duration ("60m") or a Unix time in seconds. */
export type Evaluator = (requests: { expr: string; time?: string | number }[]) => Promise<EvalResult[]>;
export type EvalResult = { samples: Sample[]; error?: undefined } | { samples: []; error: string };

// ---------------------------------------------------------------------------------- extraction

/** Every non-row panel, including the ones nested in collapsed rows, in dashboard order. */
export function dashboardPanels(dashboard: GrafanaDashboard): GrafanaPanel[] {
  const out: GrafanaPanel[] = [];
  for (const p of dashboard.panels ?? []) {
    if (p.type === 'row') out.push(...(p.panels ?? []));
    else out.push(p);
  }
  return out;
}

/** Grafana's built-in interval variables, with values fit for a 1m scrape interval. */
export const BUILTIN_VARIABLES: Record<string, string> = {
  __rate_interval: '4m',
  __interval: '1m',
  __range: '1h',
};

/**
 * Substitutes `$name`, `${name}`, `${name:format}` and `[[name]]` with `vars[name]` (already a
 * regex-ready string, e.g. ".*" for All). An unknown variable throws: a typo must not pass.
 */
export function substituteVariables(expr: string, vars: Record<string, string>): string {
  const all = { ...BUILTIN_VARIABLES, ...vars };
  const lookup = (name: string): string => {
    const v = all[name];
    if (v === undefined) throw new Error(`unknown dashboard variable $${name} in: ${expr}`);
    return v;
  };
  return expr
    .replace(/\$\{(\w+)(?::[\w]+)?\}/g, (_m, name: string) => lookup(name))
    .replace(/\[\[(\w+)\]\]/g, (_m, name: string) => lookup(name))
    .replace(/\$(\w+)/g, (m, name: string, offset: number, whole: string) => {
      // `$1` in label_replace replacement strings is a regex group, not a variable.
      if (/^\d+$/.test(name)) return m;
      void offset;
      void whole;
      return lookup(name);
    });
}

/** Every PromQL panel query of the dashboard, variables substituted. */
export function dashboardQueries(dashboard: GrafanaDashboard, vars: Record<string, string>): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const panel of dashboardPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr !== 'string') continue;
      out.push({
        panelId: panel.id,
        panelTitle: panel.title ?? '',
        panelType: panel.type,
        refId: target.refId,
        rawExpr: target.expr,
        expr: substituteVariables(target.expr, vars),
        legendFormat: target.legendFormat ?? '',
        instant: target.instant === true,
        format: target.format ?? 'time_series',
      });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------ PromQL

export interface SyntaxError {
  from: number;
  to: number;
  near: string;
}

/** Syntax errors lezer-promql finds in an expression (error nodes); empty when it parses. */
export function promqlSyntaxErrors(expr: string): SyntaxError[] {
  const errors: SyntaxError[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        errors.push({ from: node.from, to: node.to, near: expr.slice(Math.max(0, node.from - 15), node.to + 15) });
      }
    },
  });
  return errors;
}

export interface Selector {
  /** The selector's text, e.g. `up{job=~"x"}` (without a range). */
  text: string;
  metric: string;
  matchers: { label: string; op: string; value: string }[];
  /** The functions the selector is an argument of, innermost first (`rate`, `sum`...). */
  functions: string[];
}

/** The vector selectors of an expression (also the ones inside range selectors). */
export function vectorSelectors(expr: string): Selector[] {
  const out: Selector[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.name !== 'VectorSelector') return;
      const text = expr.slice(node.from, node.to);
      let metric = '';
      const matchers: Selector['matchers'] = [];
      const cursor = node.node.cursor();
      // Walk the selector's subtree for the metric identifier and label matchers.
      const walk = (): void => {
        do {
          if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') {
            metric = expr.slice(cursor.from, cursor.to);
          } else if (cursor.name === 'UnquotedLabelMatcher' || cursor.name === 'LabelMatcher') {
            const m = /^\s*([\w.]+)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*$/s.exec(
              expr.slice(cursor.from, cursor.to),
            );
            if (m) matchers.push({ label: m[1]!, op: m[2]!, value: unquotePromQL(m[3]!) });
          }
          if (cursor.firstChild()) {
            walk();
            cursor.parent();
          }
        } while (cursor.nextSibling());
      };
      if (cursor.firstChild()) walk();
      const nameMatcher = matchers.find((m) => m.label === '__name__' && m.op === '=');
      const functions: string[] = [];
      for (let up = node.node.parent; up; up = up.parent) {
        const fn = up.name === 'FunctionCall' ? up.getChild('FunctionIdentifier') : null;
        if (fn) functions.push(expr.slice(fn.from, fn.to));
      }
      out.push({ text, metric: metric || nameMatcher?.value || '', matchers, functions });
      return false;
    },
  });
  return out;
}

function unquotePromQL(s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1);
  return s.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** Labels `{{label}}` in a legend format. */
export function legendLabels(legendFormat: string): string[] {
  return [...legendFormat.matchAll(/\{\{\s*([\w]+)\s*\}\}/g)].map((m) => m[1]!);
}

/**
 * Labels a panel displays, so at least one of its queries must return them: legend `{{label}}`s,
 * the grouping-to-matrix row and column fields, and table columns named by overrides (every
 * `byName` matcher that is not a `Value #X`, `Time` or a matrix header).
 */
export function panelLabels(panel: GrafanaPanel): string[] {
  const labels = new Set<string>();
  for (const t of panel.targets ?? []) for (const l of legendLabels(t.legendFormat ?? '')) labels.add(l);
  for (const tr of panel.transformations ?? []) {
    if (tr.id === 'groupingToMatrix') {
      for (const k of ['rowField', 'columnField'] as const) {
        const v = tr.options?.[k];
        if (typeof v === 'string') labels.add(v);
      }
    }
  }
  // After groupingToMatrix a table's columns are values of its column field (nodes), not labels.
  const matrix = (panel.transformations ?? []).some((tr) => tr.id === 'groupingToMatrix');
  if (panel.type === 'table' && !matrix) {
    for (const o of panel.fieldConfig?.overrides ?? []) {
      if (o.matcher.id !== 'byName' || typeof o.matcher.options !== 'string') continue;
      const name = o.matcher.options;
      if (name === 'Time' || name === 'Value' || name.startsWith('Value #') || name.includes('\\')) continue;
      labels.add(name);
    }
  }
  return [...labels];
}

// ---------------------------------------------------------------------------- promtool evaluator

export interface InputSeries {
  series: string;
  values: string;
}

export interface PromtoolScenario {
  /** Input series in promtool syntax (`up{job="multipath"}` / `1x60`). */
  inputSeries: InputSeries[];
  /** Absolute paths of rule files to load (recording rules the dashboard reads). */
  ruleFiles?: string[];
  /** Sample interval of the input series. */
  interval?: string;
  /** Default evaluation time, e.g. "60m". */
  evalTime?: string;
  promtool?: string;
}

/** Parses a Go strconv.Quote'd string starting at `s[i]` (a `"`); returns the value and the end. */
export function parseGoQuoted(s: string, i: number): { value: string; end: number } {
  if (s[i] !== '"') throw new Error(`expected a quoted string at ${i}: ${s.slice(i, i + 40)}`);
  let out = '';
  let j = i + 1;
  while (j < s.length) {
    const c = s[j]!;
    if (c === '"') return { value: out, end: j + 1 };
    if (c !== '\\') {
      out += c;
      j++;
      continue;
    }
    const e = s[j + 1];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', v: '\v', "'": "'" };
    if (e !== undefined && simple[e] !== undefined) {
      out += simple[e];
      j += 2;
    } else if (e === 'x') {
      out += String.fromCharCode(parseInt(s.slice(j + 2, j + 4), 16));
      j += 4;
    } else if (e === 'u') {
      out += String.fromCodePoint(parseInt(s.slice(j + 2, j + 6), 16));
      j += 6;
    } else if (e === 'U') {
      out += String.fromCodePoint(parseInt(s.slice(j + 2, j + 10), 16));
      j += 10;
    } else {
      throw new Error(`unsupported escape \\${e} in ${s.slice(i, i + 60)}`);
    }
  }
  throw new Error(`unterminated quoted string: ${s.slice(i, i + 60)}`);
}

function parseValue(v: string): number {
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  const n = Number(v);
  if (Number.isNaN(n)) throw new Error(`not a sample value: ${v}`);
  return n;
}

/** Parses promtool's `got: {a="b", c="d"} 1E+00, {} 3E+00` list. */
export function parseGotSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (text[i] === ' ') i++;
  };
  while (i < text.length) {
    skipSpace();
    if (text[i] !== '{') throw new Error(`expected { at ${i} in: ${text}`);
    i++;
    const labels: Record<string, string> = {};
    skipSpace();
    while (text[i] !== '}') {
      const m = /^[A-Za-z_][\w]*/.exec(text.slice(i));
      if (!m) throw new Error(`expected a label name at ${i} in: ${text}`);
      const name = m[0];
      i += name.length;
      if (text[i] !== '=') throw new Error(`expected = at ${i} in: ${text}`);
      const q = parseGoQuoted(text, i + 1);
      labels[name] = q.value;
      i = q.end;
      if (text[i] === ',') i++;
      skipSpace();
    }
    i++;
    skipSpace();
    const m = /^[^,\s]+/.exec(text.slice(i));
    if (!m) throw new Error(`expected a value at ${i} in: ${text}`);
    samples.push({ labels, value: parseValue(m[0]) });
    i += m[0].length;
    skipSpace();
    if (text[i] === ',') i++;
  }
  return samples;
}

const SENTINEL = 'vector(20260101)';

/**
 * Seconds of an evaluation time: a duration ("60m", or promtool's own "1h0m0s") or a plain number
 * of seconds (a Unix time); throws on anything else.
 */
export function durationSeconds(d: string): number {
  const text = d.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new Error(`not a duration: ${d}`);
  return ms / 1000;
}
const evalKey = (expr: string, time: string): string => `${expr}\u0000${durationSeconds(time)}`;
const clip = (s: string): string => (s.length > 4000 ? `${s.slice(0, 4000)}\n... (${s.length - 4000} more characters)` : s);

/**
 * Parses the output of `promtool test rules` for a file whose promql_expr_tests all expect
 * nothing: every expression with a result is reported with its `got:` samples, an expression
 * that fails with `err:`; expressions not reported returned nothing.
 */
export function parsePromtoolFailures(output: string): Map<string, EvalResult> {
  const results = new Map<string, EvalResult>();
  const lines = output.split('\n');
  let current: string | undefined;
  for (const raw of lines) {
    const line = raw.trimEnd();
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('Unit Testing:') || trimmed === 'FAILED:' || trimmed === 'SUCCESS') continue;
    if (trimmed.startsWith('expr: "')) {
      const q = parseGoQuoted(trimmed, 'expr: '.length);
      const rest = trimmed.slice(q.end);
      const tm = /^, time: ([^,]+),(?: err: (.*))?$/.exec(rest);
      if (!tm) throw new Error(`unexpected promtool line: ${line}`);
      current = evalKey(q.value, tm[1]!);
      if (tm[2] !== undefined) {
        results.set(current, { samples: [], error: tm[2] });
        current = undefined;
      }
      continue;
    }
    if (trimmed.startsWith('exp:')) continue;
    if (trimmed.startsWith('got:') && current !== undefined) {
      results.set(current, { samples: parseGotSamples(trimmed.slice('got:'.length).trim()) });
      current = undefined;
      continue;
    }
    throw new Error(`unexpected promtool output line: ${line}\n--- output ---\n${clip(output)}`);
  }
  return results;
}

/** An Evaluator running `promtool test rules` over a scenario (and rule files). */
export function promtoolEvaluator(scenario: PromtoolScenario): Evaluator {
  return async (requests) => {
    const evalTime = scenario.evalTime ?? '60m';
    const keyed = requests.map((r) => ({ expr: r.expr, time: String(r.time ?? evalTime) }));
    const unique = [...new Map(keyed.map((k) => [evalKey(k.expr, k.time), k])).values()];
    const dir = await mkdtemp(path.join(tmpdir(), 'dashboard-queries-'));
    try {
      const file = path.join(dir, 'queries.test.yml');
      const doc = {
        ...(scenario.ruleFiles?.length ? { rule_files: scenario.ruleFiles } : {}),
        evaluation_interval: scenario.interval ?? '1m',
        tests: [
          {
            interval: scenario.interval ?? '1m',
            input_series: scenario.inputSeries,
            promql_expr_test: [
              { expr: SENTINEL, eval_time: evalTime, exp_samples: [] },
              ...unique.map((k) => ({ expr: k.expr, eval_time: k.time, exp_samples: [] })),
            ],
          },
        ],
      };
      await writeFile(file, stringify(doc, { lineWidth: 0 }));
      const res = await execa(scenario.promtool ?? 'promtool', ['test', 'rules', file], { reject: false, all: true });
      const output = res.all ?? '';
      if (res.failed && res.exitCode !== 1) throw new Error(`promtool failed (${res.exitCode ?? res.signal}):\n${clip(output)}`);
      const parsed = parsePromtoolFailures(output);
      const sentinel = parsed.get(evalKey(SENTINEL, evalTime));
      if (!sentinel || sentinel.error || sentinel.samples[0]?.value !== 20260101) {
        throw new Error(`promtool did not evaluate the queries (rule file or scenario broken?):\n${clip(output)}`);
      }
      return keyed.map((k) => parsed.get(evalKey(k.expr, k.time)) ?? { samples: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

// ------------------------------------------------------------------------ live Prometheus evaluator

/** An Evaluator against a running Prometheus (`time` in Unix seconds; default: now). */
export function prometheusEvaluator(baseUrl: string): Evaluator {
  return async (requests) => {
    const out: EvalResult[] = [];
    for (const r of requests) {
      const body = new URLSearchParams({ query: r.expr });
      if (typeof r.time === 'number') body.set('time', String(r.time));
      const resp = await fetch(new URL('/api/v1/query', baseUrl), { method: 'POST', body });
      const json = (await resp.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] | [number, string] };
      };
      if (json.status !== 'success' || !json.data) {
        out.push({ samples: [], error: json.error ?? `HTTP ${resp.status}` });
        continue;
      }
      const { resultType, result } = json.data;
      if (resultType === 'vector') {
        const vec = result as { metric: Record<string, string>; value: [number, string] }[];
        out.push({ samples: vec.map((s) => ({ labels: s.metric, value: parseValue(s.value[1]) })) });
      } else if (resultType === 'scalar') {
        const sc = result as [number, string];
        out.push({ samples: [{ labels: {}, value: parseValue(sc[1]) }] });
      } else {
        out.push({ samples: [], error: `unexpected result type ${resultType}` });
      }
    }
    return out;
  };
}

// ------------------------------------------------------------------------------------ checking

export interface PanelProblem {
  panel: string;
  refId?: string;
  problem: string;
}

/**
 * Evaluates every query of every panel and reports what would make a panel silently wrong: a
 * query error, a query that returns nothing, a metric selector that matches no series (a metric
 * or label value that does not exist), a label the panel displays that no query returns.
 * `optionalLabels` (e.g. `cluster` when the scrape config sets none) may be absent. With a
 * `contract` (metricContract of docs/metrics.md), a selector whose series carry a label the
 * contract does not list for the metric is reported too: a roll-up that keeps `node` looks right
 * through a dashboard's own `max by (...)`, never through this.
 */
export async function checkDashboardQueries(
  dashboard: GrafanaDashboard,
  vars: Record<string, string>,
  evaluate: Evaluator,
  opts: { time?: string | number; optionalLabels?: string[]; contract?: Map<string, Set<string>> } = {},
): Promise<{ problems: PanelProblem[]; results: Map<string, Sample[]> }> {
  const { time, contract } = opts;
  const optional = new Set(opts.optionalLabels ?? []);
  const queries = dashboardQueries(dashboard, vars);
  const selectorExprs = queries.flatMap((q) => vectorSelectors(q.expr).map((s) => s.text));
  const requests = [...queries.map((q) => q.expr), ...selectorExprs].map((expr) => ({ expr, time }));
  const evaluated = await evaluate(requests);
  const byExpr = new Map<string, EvalResult>();
  requests.forEach((r, i) => byExpr.set(r.expr, evaluated[i]!));
  const problems: PanelProblem[] = [];
  const results = new Map<string, Sample[]>();
  for (const q of queries) {
    const r = byExpr.get(q.expr)!;
    const key = `${q.panelTitle}/${q.refId}`;
    results.set(key, r.samples);
    if (r.error) problems.push({ panel: q.panelTitle, refId: q.refId, problem: `query error: ${r.error}` });
    else if (r.samples.length === 0) problems.push({ panel: q.panelTitle, refId: q.refId, problem: `returns nothing: ${q.expr}` });
    for (const l of legendLabels(q.legendFormat)) {
      if (optional.has(l)) continue;
      if (r.samples.length && !r.samples.every((s) => l in s.labels)) {
        problems.push({ panel: q.panelTitle, refId: q.refId, problem: `legend label ${l} missing from some series` });
      }
    }
    for (const s of vectorSelectors(q.expr)) {
      const sr = byExpr.get(s.text)!;
      if (sr.error || sr.samples.length === 0) {
        problems.push({ panel: q.panelTitle, refId: q.refId, problem: `selector matches no series: ${s.text}` });
      }
      const listed = contract?.get(s.metric);
      for (const l of new Set(sr.samples.flatMap((x) => Object.keys(x.labels)))) {
        if (listed && l !== '__name__' && !listed.has(l)) {
          problems.push({ panel: q.panelTitle, refId: q.refId, problem: `series of ${s.metric} carry label ${l}, which docs/metrics.md does not list` });
        }
      }
    }
  }
  for (const panel of dashboardPanels(dashboard)) {
    const title = panel.title ?? '';
    const samples = queries.filter((q) => q.panelTitle === title).flatMap((q) => results.get(`${title}/${q.refId}`) ?? []);
    for (const l of panelLabels(panel)) {
      if (optional.has(l)) continue;
      if (!samples.some((s) => l in s.labels)) problems.push({ panel: title, problem: `no query returns label ${l}` });
    }
  }
  return { problems, results };
}
