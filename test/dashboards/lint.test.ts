// Lint of dashboards/multipath-health.json and its provisioning files, in the spirit of
// grafana/dashboard-linter and mixtool (test/support/dashboard-lint.ts). Every rule of LINT_RULES
// also runs on a mutated copy that it, and no other rule, must reject: each check is seen to fail.
import { REPO } from '../support/repo.js';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { counterMetrics, LINT_RULES, lintDashboard, type LintRule, metricContract } from '../support/dashboard-lint.js';
import { dashboardPanels, promqlSyntaxErrors, type GrafanaDashboard, type GrafanaPanel } from '../support/dashboard-queries.js';

const read = (f: string): string => readFileSync(path.join(REPO, f), 'utf8');
const dashboard = (): GrafanaDashboard => JSON.parse(read('dashboards/multipath-health.json')) as GrafanaDashboard;
const contract = metricContract(read('docs/metrics.md'));
const counters = counterMetrics(read('docs/metrics.md'));
const lint = (d: GrafanaDashboard): string[] => lintDashboard(d, contract, counters).map((p) => p.message);
const panel = (d: GrafanaDashboard, title: string): GrafanaPanel => {
  const p = dashboardPanels(d).find((x) => x.title === title);
  if (!p) throw new Error(`no panel ${title}`);
  return p;
};
/** Lint a mutated copy of the dashboard. */
const mutated = (mutate: (d: GrafanaDashboard) => void): string[] => {
  const d = dashboard();
  mutate(d);
  return lint(d);
};
const variable = (d: GrafanaDashboard, name: string) => {
  const v = d.templating!.list!.find((x) => x.name === name);
  if (!v) throw new Error(`no variable ${name}`);
  return v;
};

type Mutation = { change: string; mutate: (d: GrafanaDashboard) => void; problem: string | RegExp };
/**
 * Per rule, mutated copies of the shipped dashboard it must reject. Typed by LintRule, so a new rule
 * without a negative case does not compile.
 */
const NEGATIVE: Record<LintRule, Mutation[]> = {
  uid: [{ change: 'uid removed', mutate: (x) => delete x.uid, problem: 'dashboard has no uid' }],
  title: [{ change: 'empty title', mutate: (x) => (x.title = ''), problem: 'dashboard has no title' }],
  'id-null': [{ change: 'id 7', mutate: (x) => (x.id = 7), problem: 'dashboard id must be null (provisioning assigns it)' }],
  'no-inputs': [
    { change: '__inputs added', mutate: (x) => ((x as Record<string, unknown>).__inputs = []), problem: 'dashboard uses __inputs / ${DS_...}: file provisioning cannot resolve them' },
    {
      change: 'a ${DS_...} in a description',
      mutate: (x) => (panel(x, 'Paths').description = 'from ${DS_PROMETHEUS}'),
      problem: 'dashboard uses __inputs / ${DS_...}: file provisioning cannot resolve them',
    },
  ],
  'one-datasource-variable': [
    { change: 'a second datasource variable', mutate: (x) => x.templating!.list!.push({ name: 'ds2', type: 'datasource', query: 'prometheus' }), problem: 'expected exactly one datasource variable, found 2' },
  ],
  'datasource-variable': [
    { change: 'datasource variable renamed', mutate: (x) => (x.templating!.list!.find((v) => v.type === 'datasource')!.name = 'ds'), problem: 'the datasource variable must be named datasource and query prometheus' },
    { change: 'datasource variable of loki', mutate: (x) => (x.templating!.list!.find((v) => v.type === 'datasource')!.query = 'loki'), problem: 'the datasource variable must be named datasource and query prometheus' },
  ],
  'filter-variables': [{ change: 'cluster variable removed', mutate: (x) => (x.templating!.list = x.templating!.list!.filter((v) => v.name !== 'cluster')), problem: 'no variable cluster' }],
  'variable-datasource': [{ change: 'node variable on another datasource', mutate: (x) => (variable(x, 'node').datasource = { uid: 'x' }), problem: 'variable node: datasource is not ${datasource}' }],
  'variable-label-values': [
    { change: 'node variable a plain query', mutate: (x) => (variable(x, 'node').query = { query: 'up', refId: 'A' }), problem: 'variable node: query is not label_values(<selector>, label)' },
    {
      change: 'node variable listing wwid',
      mutate: (x) => {
        const v = variable(x, 'node');
        v.query = { query: 'label_values(multipath_up{job=~"$job", cluster=~"$cluster"}, wwid)', refId: 'A' };
      },
      problem: 'variable node: lists label wwid, not node',
    },
  ],
  'variable-all': [{ change: 'node variable without allValue', mutate: (x) => (variable(x, 'node').allValue = null), problem: 'variable node: needs All with allValue ".*" (matches series without the label)' }],
  'unique-panel-id': [{ change: 'two panels with one id', mutate: (x) => (panel(x, 'Paths').id = panel(x, 'Scrape duration').id), problem: /^duplicate panel id \d+$/ }],
  'unique-panel-title': [{ change: 'two panels with one title', mutate: (x) => (panel(x, 'Paths').title = 'Scrape duration'), problem: 'duplicate panel title "Scrape duration"' }],
  'core-panel-type': [{ change: 'a plugin panel', mutate: (x) => (panel(x, 'Paths').type = 'flant-statusmap-panel'), problem: 'panel "Paths": panel type flant-statusmap-panel is not a core panel' }],
  'panel-title': [{ change: 'title removed', mutate: (x) => delete panel(x, 'Paths').title, problem: /^panel "\d+": no title$/ }],
  'panel-description': [{ change: 'description removed', mutate: (x) => delete panel(x, 'Paths').description, problem: 'panel "Paths": no description' }],
  'panel-datasource': [{ change: 'panel on another datasource', mutate: (x) => (panel(x, 'Paths').datasource = { type: 'prometheus', uid: 'abc' }), problem: 'panel "Paths": datasource is not ${datasource}' }],
  'panel-unit': [{ change: 'unit removed', mutate: (x) => delete panel(x, 'Scrape duration').fieldConfig!.defaults!.unit, problem: 'panel "Scrape duration": no unit and no value mappings' }],
  'panel-queries': [{ change: 'queries removed', mutate: (x) => (panel(x, 'Scrape duration').targets = []), problem: 'panel "Scrape duration": no queries' }],
  'unique-ref-id': [{ change: 'two queries with one refId', mutate: (x) => (panel(x, 'Paths').targets![1]!.refId = 'A'), problem: 'panel "Paths" query A: duplicate refId' }],
  'query-datasource': [{ change: 'query on another datasource', mutate: (x) => (panel(x, 'Paths').targets![1]!.datasource = { type: 'prometheus', uid: 'abc' }), problem: 'panel "Paths" query B: datasource is not ${datasource}' }],
  'query-expression': [
    { change: 'empty expression', mutate: (x) => (panel(x, 'Scrape duration').targets![0]!.expr = ' '), problem: 'panel "Scrape duration" query A: no PromQL expression' },
    { change: 'expression removed', mutate: (x) => delete panel(x, 'Scrape duration').targets![0]!.expr, problem: 'panel "Scrape duration" query A: no PromQL expression' },
  ],
  'known-variables': [
    {
      change: 'a misspelt variable',
      mutate: (x) => {
        const t = panel(x, 'Scrape duration').targets![0]!;
        t.expr = t.expr!.replace('"$node"', '"$nodes"');
      },
      problem: /^panel "Scrape duration" query A: unknown dashboard variable \$nodes in: /,
    },
  ],
  'promql-syntax': [
    {
      change: 'a broken query',
      mutate: (x) => {
        const t = panel(x, 'Scrape duration').targets![0]!;
        t.expr = `sum by (node (${t.expr})`;
      },
      problem: /^panel "Scrape duration" query A: PromQL syntax error near /,
    },
    {
      change: 'a broken variable query',
      mutate: (x) => (variable(x, 'wwid').query = 'label_values(node_wwid:multipath_state:code{node=~"$node", wwid, wwid)'),
      problem: /^variable wwid: PromQL syntax error near /,
    },
  ],
  'rate-interval': [
    {
      change: 'a fixed rate window',
      mutate: (x) => {
        const t = panel(x, 'Path faults and path-group switches').targets![0]!;
        t.expr = t.expr!.replace('[$__rate_interval]', '[5m]');
      },
      problem: 'panel "Path faults and path-group switches" query A: rate(...[5m]) does not use $__rate_interval',
    },
    {
      change: 'a rate without a range',
      mutate: (x) => {
        const t = panel(x, 'Path faults and path-group switches').targets![0]!;
        t.expr = t.expr!.replace('[$__rate_interval]', '');
      },
      problem: 'panel "Path faults and path-group switches" query A: rate(...) without a range',
    },
  ],
  'metric-in-contract': [
    {
      change: 'a metric docs/metrics.md does not list',
      mutate: (x) => {
        const t = panel(x, 'Scrape duration').targets![0]!;
        t.expr = t.expr!.replace('multipath_scrape_duration_seconds', 'multipath_scrape_seconds');
      },
      problem: 'panel "Scrape duration" query A: metric multipath_scrape_seconds is not in docs/metrics.md',
    },
  ],
  'selector-filters': [
    {
      change: 'no wwid filter',
      mutate: (x) => {
        const t = panel(x, 'Paths: active, total, expected').targets![0]!;
        t.expr = t.expr!.replace(', wwid=~"$wwid"', '');
      },
      problem: 'panel "Paths: active, total, expected" query A: selector multipath_map_paths_active does not filter wwid=~"$wwid"',
    },
    {
      change: 'node filtered by a constant',
      mutate: (x) => {
        const t = panel(x, 'Scrape duration').targets![0]!;
        t.expr = t.expr!.replace('node=~"$node"', 'node=~".*"');
      },
      problem: 'panel "Scrape duration" query A: selector multipath_scrape_duration_seconds does not filter node=~"$node"',
    },
  ],
  'variable-refresh-time': [{ change: 'the node variable loaded once', mutate: (x) => (variable(x, 'node').refresh = 1), problem: 'variable node: refresh is 1, not 2 (on time range change)' }],
  'panel-unit-known': [
    { change: 'a unit Grafana does not know', mutate: (x) => (panel(x, 'Scrape duration').fieldConfig!.defaults!.unit = 'seconds'), problem: 'panel "Scrape duration": unit seconds is not a Grafana unit' },
    {
      change: 'an override with a unit Grafana does not know',
      mutate: (x) => (panel(x, 'LUNs: cluster state and node counts').fieldConfig!.overrides!.find((o) => o.matcher.options === 'Value #C')!.properties.find((p) => p.id === 'unit')!.value = 'GiB'),
      problem: 'panel "LUNs: cluster state and node counts": unit GiB is not a Grafana unit',
    },
  ],
  'counter-rate': [
    {
      change: 'a counter read raw',
      mutate: (x) => {
        const t = panel(x, 'Path faults and path-group switches').targets![0]!;
        t.expr = `sum by (node) (multipath_map_path_faults_total{job=~"$job", cluster=~"$cluster", node=~"$node", wwid=~"$wwid"})`;
      },
      problem: 'panel "Path faults and path-group switches" query A: counter multipath_map_path_faults_total is not read through rate(), increase() or the like',
    },
  ],
  uneditable: [{ change: 'editable', mutate: (x) => (x.editable = true), problem: 'dashboard is editable: a provisioned dashboard is changed in its JSON' }],
  'selector-labels': [
    {
      change: 'a wwid filter on a node metric',
      mutate: (x) => {
        const t = panel(x, 'Scrape duration').targets![0]!;
        t.expr = t.expr!.replace('node=~"$node"', 'node=~"$node", wwid=~"$wwid"');
      },
      problem: 'panel "Scrape duration" query A: selector multipath_scrape_duration_seconds matches label wwid it does not have',
    },
  ],
};

describe('dashboard lint', () => {
  it('has a negative case for every rule', () => {
    expect(Object.keys(NEGATIVE).sort()).toEqual(Object.keys(LINT_RULES).sort());
    for (const cases of Object.values(NEGATIVE)) expect(cases.length).toBeGreaterThan(0);
  });

  describe.each(Object.entries(NEGATIVE).flatMap(([rule, cases]) => cases.map((c) => [rule as LintRule, c] as const)))('rule %s', (rule, c) => {
    it(`rejects a copy with ${c.change}, by that rule alone`, () => {
      const d = dashboard();
      c.mutate(d);
      const problems = lintDashboard(d, contract, counters);
      expect(problems.map((p) => p.rule)).toEqual([rule]);
      if (typeof c.problem === 'string') expect(problems[0]!.message).toBe(c.problem);
      else expect(problems[0]!.message).toMatch(c.problem);
    });
  });

  it('every shipped dashboard has no lint problems', () => {
    const files = readdirSync(path.join(REPO, 'dashboards')).filter((f) => f.endsWith('.json'));
    expect(files).toContain('multipath-health.json');
    for (const f of files) expect({ f, problems: lint(JSON.parse(read(`dashboards/${f}`)) as GrafanaDashboard) }).toEqual({ f, problems: [] });
  });

  it('has a stable uid, a title, id null, a refresh and a time range, and targets Grafana 10.4+ (schema 39)', () => {
    const d = dashboard();
    expect(d).toMatchObject({ uid: 'multipath-health', title: 'Multipath health', id: null, refresh: '30s', time: { from: 'now-6h', to: 'now' }, schemaVersion: 39 });
  });

  it('reads the metric contract from docs/metrics.md', () => {
    expect(contract.get('multipath_map_paths_active')).toEqual(new Set(['wwid', 'job', 'instance', 'node', 'cluster']));
    expect(contract.get('wwid:multipath_state:max')).toEqual(new Set(['wwid', 'job', 'cluster']));
    expect(contract.get('node_wwid:multipath_state:code')?.has('node')).toBe(true);
    expect(contract.size).toBeGreaterThan(40);
  });

  it('a ${DS_...} datasource on a query is both a foreign datasource and an unresolvable input', () => {
    expect(mutated((x) => (panel(x, 'Paths').targets![1]!.datasource = { type: 'prometheus', uid: '${DS_PROMETHEUS}' }))).toEqual([
      'dashboard uses __inputs / ${DS_...}: file provisioning cannot resolve them',
      'panel "Paths" query B: datasource is not ${datasource}',
    ]);
  });

  it('lezer-promql finds syntax errors', () => {
    expect(promqlSyntaxErrors('sum by (node) (up)')).toEqual([]);
    expect(promqlSyntaxErrors('sum by (node (up)').length).toBeGreaterThan(0);
  });

  it('value mappings excuse a missing unit (dashboard-linter\'s panel-units-rule)', () => {
    expect(
      mutated((x) => {
        delete panel(x, 'Health matrix now').fieldConfig!.defaults!.unit;
      }),
    ).toEqual([]);
  });

  it('every panel uses $job, $cluster and $node; every panel but the fleet ones (no wwid label) uses $wwid', () => {
    const uses = (p: GrafanaPanel, v: string): boolean => (p.targets ?? []).some((t) => (t.expr ?? '').includes(`"$${v}"`));
    const panels = dashboardPanels(dashboard());
    for (const v of ['job', 'cluster', 'node']) expect(panels.filter((p) => !uses(p, v)).map((p) => p.title)).toEqual([]);
    expect(panels.filter((p) => !uses(p, 'wwid')).map((p) => p.title)).toEqual([
      'Exporters up', 'multipathd down', 'Config digests in use', 'Scrape duration', 'Exporter and multipathd up',
      'Nodes: exporter, multipathd and config', 'Config apply errors',
    ]);
  });

  it('uses core panels only', () => {
    expect(new Set(dashboardPanels(dashboard()).map((p) => p.type))).toEqual(new Set(['table', 'status-history', 'timeseries', 'state-timeline', 'stat']));
  });

  it('the matrix is a table grouped to a LUN x node matrix with the five state mappings', () => {
    const m = panel(dashboard(), 'Health matrix now');
    expect(m.transformations?.map((t) => t.id)).toEqual(['sortBy', 'groupingToMatrix']);
    expect(m.transformations![1]).toEqual({ id: 'groupingToMatrix', options: { rowField: 'lun', columnField: 'node', valueField: 'Value' } });
    const options = (m.fieldConfig!.defaults!.mappings as { options: Record<string, { text: string }> }[])[0]!.options;
    expect(Object.fromEntries(Object.entries(options).map(([k, v]) => [k, v.text]))).toEqual({
      '-1': 'unknown', '0': 'optimal', '1': 'degraded', '2': 'missing', '3': 'failed',
    });
    expect(panel(dashboard(), 'Health matrix over time').type).toBe('status-history');
  });
});

describe('provisioning files', () => {
  it('the dashboard provider is a file provider', () => {
    const y = parse(read('dashboards/provisioning/dashboards.yml')) as { apiVersion: number; providers: Record<string, unknown>[] };
    expect(y.apiVersion).toBe(1);
    expect(y.providers).toHaveLength(1);
    expect(y.providers[0]).toMatchObject({ type: 'file', options: { path: expect.any(String) } });
    // folder must be empty when folders come from the file structure (Grafana docs)
    const p = y.providers[0] as { folder?: string; options: { foldersFromFilesStructure?: boolean } };
    expect(p.options.foldersFromFilesStructure && p.folder).toBeFalsy();
  });

  it('the example datasource is Prometheus with the fixed uid the dashboard defaults to', () => {
    const y = parse(read('dashboards/provisioning/datasource.example.yml')) as { apiVersion: number; datasources: { type: string; uid: string; jsonData: { timeInterval?: string } }[] };
    expect(y.apiVersion).toBe(1);
    expect(y.datasources).toHaveLength(1);
    const ds = y.datasources[0]!;
    expect(ds.type).toBe('prometheus');
    expect(ds.uid).toMatch(/^[\w-]{1,40}$/);
    expect(ds.jsonData.timeInterval).toBeTruthy();
    const v = dashboard().templating!.list!.find((x) => x.type === 'datasource') as { current?: { value?: string } };
    expect(v.current?.value).toBe(ds.uid);
  });
});
