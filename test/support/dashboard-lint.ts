// A dashboard linter in the spirit of grafana/dashboard-linter and mixtool (neither ships for npm
// or Debian): returns one problem per finding, named by its rule (LINT_RULES), so a test can assert
// "no problems" on the shipped dashboard and "this rule, this problem" on a mutated copy.
import { documentedMetrics, documentedRules } from './metrics-doc.js';
import { grafanaData } from './grafana-frames.js';
import { parser } from '@prometheus-io/lezer-promql';
import {
  dashboardPanels,
  promqlSyntaxErrors,
  substituteVariables,
  vectorSelectors,
  type GrafanaDashboard,
  type GrafanaPanel,
} from './dashboard-queries.js';

/** Every rule of the lint; test/dashboards/lint.test.ts runs each on a mutated copy it must reject. */
export const LINT_RULES = {
  uid: 'the dashboard has a uid',
  title: 'the dashboard has a title',
  'id-null': 'the dashboard id is null (provisioning assigns it)',
  'no-inputs': 'no __inputs or ${DS_...} (file provisioning cannot resolve them)',
  'one-datasource-variable': 'exactly one datasource variable',
  'datasource-variable': 'the datasource variable is named datasource and queries prometheus',
  'filter-variables': 'a variable for each of job, cluster, node, wwid',
  'variable-datasource': 'every variable uses ${datasource}',
  'variable-label-values': 'every filter variable is label_values(<selector>, <its own label>)',
  'variable-all': 'filter variables but job have All with allValue ".*"',
  'unique-panel-id': 'panel ids are unique',
  'unique-panel-title': 'panel titles are unique',
  'core-panel-type': 'core panel types only',
  'panel-title': 'every panel has a title',
  'panel-description': 'every panel has a description',
  'panel-datasource': 'every panel uses ${datasource}',
  'panel-unit': 'numeric panels have a unit or value mappings',
  'panel-queries': 'every panel but text ones has queries',
  'unique-ref-id': 'refIds are unique within a panel',
  'query-datasource': 'every query uses ${datasource}',
  'query-expression': 'every query has a PromQL expression',
  'known-variables': 'queries use only known variables',
  'promql-syntax': 'every expression (queries and variables) parses',
  'rate-interval': 'rate-family calls have a range of $__rate_interval',
  'metric-in-contract': 'every selected metric is in docs/metrics.md',
  'selector-filters': 'every selector filters job, cluster, node, wwid where its metric has the label',
  'selector-labels': 'selectors match only labels their metric has',
  // grafana/dashboard-linter's rules that fit and were not covered yet
  'variable-refresh-time': 'query variables reload on time range change (refresh 2; dashboard-linter template-on-time-change-reload-rule)',
  'panel-unit-known': 'every unit is one Grafana knows (dashboard-linter panel-units-rule)',
  'counter-rate': 'counters are read through a rate-family function (dashboard-linter target-counter-agg-rule)',
  uneditable: 'the dashboard is not editable: provisioned, its changes go in the JSON (dashboard-linter uneditable-dashboard)',
} as const;
export type LintRule = keyof typeof LINT_RULES;
export interface LintProblem {
  rule: LintRule;
  message: string;
}

/** Core Grafana panel types (10.4 and 11.x) the dashboard may use: no plugins. */
export const CORE_PANEL_TYPES = new Set([
  'row', 'table', 'timeseries', 'stat', 'gauge', 'bargauge', 'state-timeline', 'status-history', 'text', 'heatmap', 'piechart',
]);
const NUMERIC_PANEL_TYPES = new Set(['table', 'timeseries', 'stat', 'gauge', 'bargauge', 'state-timeline', 'status-history', 'heatmap']);
const RATE_FUNCTIONS = new Set(['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv']);
/** The variables every query filters by (cluster is optional in the data, never in the query). */
export const FILTER_VARIABLES = ['job', 'cluster', 'node', 'wwid'] as const;
const TARGET_LABELS = ['job', 'instance', 'node', 'cluster'];

/** The counters of docs/metrics.md. */
export function counterMetrics(metricsMd: string): Set<string> {
  return new Set(documentedMetrics(metricsMd).filter((m) => m.type === 'counter').map((m) => m.name));
}

/** The unit ids Grafana knows (its value formats, @grafana/data). */
const GRAFANA_UNITS = new Set(grafanaData.getValueFormats().flatMap((c) => (c.submenu ?? []).map((u) => u.value)));
/** Every unit a panel sets: its default and its overrides'. */
function panelUnits(panel: GrafanaPanel): string[] {
  const units = [panel.fieldConfig?.defaults?.unit, ...(panel.fieldConfig?.overrides ?? []).flatMap((o) => o.properties.filter((p) => p.id === 'unit').map((p) => p.value))];
  return units.filter((u): u is string => typeof u === 'string');
}

/** Metric name -> the labels its series carry, from docs/metrics.md (plus `up`). */
export function metricContract(metricsMd: string): Map<string, Set<string>> {
  const contract = new Map<string, Set<string>>();
  contract.set('up', new Set(TARGET_LABELS));
  // Exporter series carry the target labels; recording rules keep job and cluster (and node when listed).
  for (const m of documentedMetrics(metricsMd)) contract.set(m.name, new Set([...m.labels, ...TARGET_LABELS]));
  for (const r of documentedRules(metricsMd)) contract.set(r.name, new Set([...r.labels, 'job', 'cluster']));
  return contract;
}

const DS_UID = '${datasource}';
const uidOf = (ds: unknown): string | undefined =>
  typeof ds === 'object' && ds !== null ? ((ds as { uid?: string }).uid ?? undefined) : typeof ds === 'string' ? ds : undefined;

/** Values used to substitute variables before parsing (`$__rate_interval` gets a marker duration). */
export const LINT_VARIABLES: Record<string, string> = {
  job: 'multipath',
  cluster: '.*',
  node: '.*',
  wwid: '.*',
  datasource: 'prometheus',
  __rate_interval: '7777s',
};

/** Range durations of rate-family calls that do not use `$__rate_interval`. */
function rateWindowProblems(expr: string): string[] {
  const out: string[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.name !== 'FunctionCall') return;
      const fn = node.node.getChild('FunctionIdentifier');
      const name = fn ? expr.slice(fn.from, fn.to) : '';
      if (!RATE_FUNCTIONS.has(name)) return;
      const text = expr.slice(node.from, node.to);
      const windows = [...text.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!);
      for (const w of windows) if (w !== LINT_VARIABLES.__rate_interval) out.push(`${name}(...[${w}]) does not use $__rate_interval`);
      if (windows.length === 0) out.push(`${name}(...) without a range`);
    },
  });
  return out;
}

function panelProblems(panel: GrafanaPanel, contract: Map<string, Set<string>>, counters: Set<string>): LintProblem[] {
  const problems: LintProblem[] = [];
  const p = { push: (rule: LintRule, message: string) => problems.push({ rule, message }) };
  const where = `panel "${panel.title ?? panel.id}"`;
  if (!CORE_PANEL_TYPES.has(panel.type)) p.push('core-panel-type', `${where}: panel type ${panel.type} is not a core panel`);
  if (!panel.title) p.push('panel-title', `${where}: no title`);
  if (!panel.description) p.push('panel-description', `${where}: no description`);
  if (uidOf(panel.datasource) !== DS_UID) p.push('panel-datasource', `${where}: datasource is not \${datasource}`);
  if (NUMERIC_PANEL_TYPES.has(panel.type)) {
    const d = panel.fieldConfig?.defaults ?? {};
    if (!d.unit && !(Array.isArray(d.mappings) && d.mappings.length > 0)) p.push('panel-unit', `${where}: no unit and no value mappings`);
  }
  for (const u of panelUnits(panel)) if (!GRAFANA_UNITS.has(u)) p.push('panel-unit-known', `${where}: unit ${u} is not a Grafana unit`);
  const targets = panel.targets ?? [];
  if (panel.type !== 'text' && targets.length === 0) p.push('panel-queries', `${where}: no queries`);
  const refIds = new Set<string>();
  for (const t of targets) {
    const tw = `${where} query ${t.refId}`;
    if (refIds.has(t.refId)) p.push('unique-ref-id', `${tw}: duplicate refId`);
    refIds.add(t.refId);
    if (uidOf(t.datasource) !== DS_UID) p.push('query-datasource', `${tw}: datasource is not \${datasource}`);
    if (typeof t.expr !== 'string' || t.expr.trim() === '') {
      p.push('query-expression', `${tw}: no PromQL expression`);
      continue;
    }
    let expr: string;
    try {
      expr = substituteVariables(t.expr, LINT_VARIABLES);
    } catch (e) {
      p.push('known-variables', `${tw}: ${(e as Error).message}`);
      continue;
    }
    const errors = promqlSyntaxErrors(expr);
    if (errors.length) {
      p.push('promql-syntax', `${tw}: PromQL syntax error near "${errors[0]!.near}"`);
      continue;
    }
    for (const r of rateWindowProblems(expr)) p.push('rate-interval', `${tw}: ${r}`);
    const raw = vectorSelectors(t.expr.replace(/\$__rate_interval/g, '5m'));
    for (const s of raw) {
      const labels = contract.get(s.metric);
      if (!labels) {
        p.push('metric-in-contract', `${tw}: metric ${s.metric || s.text} is not in docs/metrics.md`);
        continue;
      }
      for (const v of FILTER_VARIABLES) {
        if (!labels.has(v)) continue;
        const ok = s.matchers.some((m) => m.label === v && m.op === '=~' && m.value === `$${v}`);
        if (!ok) p.push('selector-filters', `${tw}: selector ${s.metric} does not filter ${v}=~"$${v}"`);
      }
      for (const m of s.matchers) {
        if (m.label !== '__name__' && !labels.has(m.label)) p.push('selector-labels', `${tw}: selector ${s.metric} matches label ${m.label} it does not have`);
      }
      if (counters.has(s.metric) && !s.functions.some((f) => RATE_FUNCTIONS.has(f))) p.push('counter-rate', `${tw}: counter ${s.metric} is not read through rate(), increase() or the like`);
    }
  }
  return problems;
}

/** Every problem of a dashboard; `contract` and `counters` from metricContract and counterMetrics of docs/metrics.md. */
export function lintDashboard(dashboard: GrafanaDashboard, contract: Map<string, Set<string>>, counters: Set<string>): LintProblem[] {
  const problems: LintProblem[] = [];
  const p = { push: (rule: LintRule, message: string) => problems.push({ rule, message }) };
  const text = JSON.stringify(dashboard);
  if (!dashboard.uid) p.push('uid', 'dashboard has no uid');
  if (!dashboard.title) p.push('title', 'dashboard has no title');
  if (dashboard.id !== null) p.push('id-null', 'dashboard id must be null (provisioning assigns it)');
  if (dashboard.editable !== false) p.push('uneditable', 'dashboard is editable: a provisioned dashboard is changed in its JSON');
  if ('__inputs' in dashboard || text.includes('__inputs') || /\$\{DS_/.test(text)) p.push('no-inputs', 'dashboard uses __inputs / ${DS_...}: file provisioning cannot resolve them');
  const vars = dashboard.templating?.list ?? [];
  const dsVars = vars.filter((v) => v.type === 'datasource');
  if (dsVars.length !== 1) p.push('one-datasource-variable', `expected exactly one datasource variable, found ${dsVars.length}`);
  else if (dsVars[0]!.name !== 'datasource' || dsVars[0]!.query !== 'prometheus') p.push('datasource-variable', 'the datasource variable must be named datasource and query prometheus');
  for (const name of FILTER_VARIABLES) {
    const v = vars.find((x) => x.name === name);
    if (!v) {
      p.push('filter-variables', `no variable ${name}`);
      continue;
    }
    if (uidOf(v.datasource) !== DS_UID) p.push('variable-datasource', `variable ${name}: datasource is not \${datasource}`);
    const q = typeof v.query === 'string' ? v.query : ((v.query as { query?: string } | undefined)?.query ?? '');
    const inner = /^label_values\((.*),\s*(\w+)\)$/s.exec(q.trim());
    if (!inner) {
      p.push('variable-label-values', `variable ${name}: query is not label_values(<selector>, label)`);
      continue;
    }
    if (inner[2] !== name) p.push('variable-label-values', `variable ${name}: lists label ${inner[2]}, not ${name}`);
    const errs = promqlSyntaxErrors(substituteVariables(inner[1]!, LINT_VARIABLES));
    if (errs.length) p.push('promql-syntax', `variable ${name}: PromQL syntax error near "${errs[0]!.near}"`);
    if (v.type === 'query' && v.refresh !== 2) p.push('variable-refresh-time', `variable ${name}: refresh is ${String(v.refresh)}, not 2 (on time range change)`);
    if (name !== 'job' && (v.includeAll !== true || v.allValue !== '.*')) p.push('variable-all', `variable ${name}: needs All with allValue ".*" (matches series without the label)`);
  }
  const panels = dashboardPanels(dashboard);
  const titles = new Set<string>();
  const ids = new Set<number>();
  for (const panel of [...panels, ...(dashboard.panels ?? []).filter((x) => x.type === 'row')]) {
    if (panel.id !== undefined) {
      if (ids.has(panel.id)) p.push('unique-panel-id', `duplicate panel id ${panel.id}`);
      ids.add(panel.id);
    }
  }
  for (const panel of panels) {
    if (titles.has(panel.title ?? '')) p.push('unique-panel-title', `duplicate panel title "${panel.title}"`);
    titles.add(panel.title ?? '');
    problems.push(...panelProblems(panel, contract, counters));
  }
  return problems;
}
