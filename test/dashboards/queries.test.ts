// Every panel query of dashboards/multipath-health.json, variables substituted, evaluated by a
// real `promtool test rules` (promql_expr_test) over a scenario of exporter series for 3 nodes and
// 3 LUNs (one degraded, one missing, one node down, one optimal on two nodes:
// test/dashboards/scenario.ts) plus the shipped recording rules (alerts/multipath.rules.yml). No
// panel may be empty, match no series, display a label its queries do not return, or read series
// with a label docs/metrics.md does not list for them; the matrix, roll-up and fleet panels show
// the scenario's states, and a roll-up that keeps `node` (a mutated copy of the rules) is caught. promtool is required (scripts/install-deps.sh); a missing promtool fails these tests.
import { REPO } from '../support/repo.js';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDashboardQueries,
  dashboardPanels,
  parseGotSamples,
  parsePromtoolFailures,
  promtoolEvaluator,
  substituteVariables,
  type GrafanaDashboard,
  type Sample,
} from '../support/dashboard-queries.js';
import { metricContract } from '../support/dashboard-lint.js';
import { EVAL_TIME, multipathScenario, W1, W2, W3 } from './scenario.js';

const dashboardFile = path.join(REPO, 'dashboards/multipath-health.json');
const rulesFile = path.join(REPO, 'alerts/multipath.rules.yml');
const load = (): GrafanaDashboard => JSON.parse(readFileSync(dashboardFile, 'utf8')) as GrafanaDashboard;

const ALL = { job: 'multipath', cluster: '.*', node: '.*', wwid: '.*' };

const contract = metricContract(readFileSync(path.join(REPO, 'docs/metrics.md'), 'utf8'));
const evaluator = (cluster?: string, rules = rulesFile) =>
  promtoolEvaluator({ inputSeries: multipathScenario({ cluster }), ruleFiles: [rules], evalTime: EVAL_TIME });

/** checkDashboardQueries over the shipped dashboard, memoised: promtool runs once per distinct case. */
const memo = new Map<string, ReturnType<typeof checkDashboardQueries>>();
function check(vars: Record<string, string>, cluster: string | undefined, opts: { time?: string; optionalLabels?: string[] } = {}) {
  const key = JSON.stringify([vars, cluster ?? null, opts]);
  let r = memo.get(key);
  if (!r) {
    r = checkDashboardQueries(load(), vars, evaluator(cluster), { ...opts, contract });
    memo.set(key, r);
  }
  return r;
}

/** The samples of one panel's query (by panel title and refId). */
function query(results: Map<string, Sample[]>, panel: string, refId = 'A'): Sample[] {
  const r = results.get(`${panel}/${refId}`);
  if (!r) throw new Error(`no results for ${panel}/${refId}`);
  return r;
}
const cells = (samples: Sample[]) =>
  samples.map((s) => `${s.labels.node} ${s.labels.lun} ${s.value}`).sort();

describe('promtool output parsing (the evaluator underneath)', () => {
  it('parses got samples with quoted label values', () => {
    expect(parseGotSamples('{} 3E+00, {a="x}, b=\\"c", b="\\u00b7"} 5E-01')).toEqual([
      { labels: {}, value: 3 },
      { labels: { a: 'x}, b="c', b: '\u00b7' }, value: 0.5 },
    ]);
  });
  it('rejects output it does not understand rather than reading it as empty', () => {
    expect(() => parsePromtoolFailures('  FAILED:\n  something unexpected\n')).toThrow(/unexpected/);
  });
  it('substitutes variables and refuses unknown ones', () => {
    expect(substituteVariables('rate(x{node=~"$node"}[$__rate_interval])', { node: 'n1' })).toBe('rate(x{node=~"n1"}[4m])');
    expect(substituteVariables('label_replace(x, "a", "$1", "b", "(.*)")', {})).toBe('label_replace(x, "a", "$1", "b", "(.*)")');
    expect(() => substituteVariables('x{node=~"$nodes"}', { node: 'n1' })).toThrow(/unknown dashboard variable/);
  });
  it('fails when promtool is missing (no silent skip)', async () => {
    const evaluate = promtoolEvaluator({ inputSeries: multipathScenario(), promtool: '/nonexistent/promtool' });
    await expect(evaluate([{ expr: 'up' }])).rejects.toThrow(/promtool failed/);
  });
  it('fails when a rule file does not load, rather than reading every query as empty', async () => {
    const evaluate = promtoolEvaluator({ inputSeries: multipathScenario(), ruleFiles: ['/nonexistent/rules.yml'] });
    await expect(evaluate([{ expr: 'up' }])).rejects.toThrow();
  });
  it('reports a query error and an empty result from a real promtool run', async () => {
    const evaluate = promtoolEvaluator({ inputSeries: multipathScenario(), evalTime: EVAL_TIME });
    const [bad, empty, up] = await evaluate([{ expr: 'sum(up) by (' }, { expr: 'multipath_no_such_metric' }, { expr: 'up{node="n3"}' }]);
    expect(bad!.error).toMatch(/parse error/);
    expect(empty).toEqual({ samples: [] });
    expect(up!.samples).toEqual([{ labels: { __name__: 'up', instance: 'n3.example:9684', job: 'multipath', node: 'n3' }, value: 0 }]);
  });
});

describe('dashboard panel queries against the scenario and the shipped rules (promtool)', () => {
  const dashboard = load();

  it('the scenario uses only metrics and labels of docs/metrics.md', () => {
    const bad: string[] = [];
    for (const { series } of multipathScenario({ cluster: 'c1' })) {
      const m = /^(\w+)\{(.*)\}$/.exec(series)!;
      const labels = contract.get(m[1]!);
      if (!labels) bad.push(`unknown metric ${m[1]}`);
      for (const l of [...m[2]!.matchAll(/(\w+)="/g)].map((x) => x[1]!)) if (labels && !labels.has(l)) bad.push(`${m[1]} has no label ${l}`);
    }
    expect(bad).toEqual([]);
  });

  for (const [name, cluster, vars] of [
    ['with a cluster label, all selected', 'c1', ALL],
    ['with a cluster label, cluster selected', 'c1', { ...ALL, cluster: 'c1' }],
    ['without a cluster label, all selected', undefined, ALL],
  ] as const) {
    it(`no panel is empty, matches no series or lacks a label it shows (${name})`, async () => {
      const optionalLabels = cluster === undefined ? ['cluster'] : [];
      const { problems } = await check(vars, cluster, { optionalLabels });
      expect(problems).toEqual([]);
    });
  }

  it('a query for a metric the scenario lacks is reported (the check can fail)', async () => {
    const broken = structuredClone(dashboard);
    const panel = dashboardPanels(broken).find((p) => p.title === 'Scrape duration')!;
    panel.targets![0]!.expr = panel.targets![0]!.expr!.replace('multipath_scrape_duration_seconds', 'multipath_scrape_seconds');
    const { problems } = await checkDashboardQueries(broken, ALL, evaluator('c1'));
    expect(problems.map((p) => `${p.panel}: ${p.problem.split(':')[0]}`)).toEqual([
      'Scrape duration: returns nothing',
      'Scrape duration: selector matches no series',
      'Scrape duration: no query returns label node',
    ]);
  });

  describe('a roll-up of alerts/multipath.rules.yml that keeps node (a mutated copy) is caught', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'rollup-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const shipped = readFileSync(rulesFile, 'utf8');
    const keepsNode = async (from: string, to: string) => {
      expect(shipped).toContain(from);
      const file = path.join(dir, `${to.replace(/\W+/g, '-')}.rules.yml`);
      await writeFile(file, shipped.replaceAll(from, to));
      const { problems, results } = await checkDashboardQueries(dashboard, ALL, evaluator('c1', file), { contract });
      const byWwid = (refId: string) => Object.fromEntries(query(results, 'LUNs: cluster state and node counts', refId).map((x) => [x.labels.wwid, x.value]));
      return { problems: problems.map((p) => `${p.panel}/${p.refId}: ${p.problem}`), optimalNodes: byWwid('D') };
    };
    const carriesNode = (metric: string) => `LUNs: cluster state and node counts/%s: series of ${metric} carry label node, which docs/metrics.md does not list`;

    it('the cluster state (max without (node))', async () => {
      const { problems } = await keepsNode('max without (node) (node_wwid:multipath_state:code)', 'max without () (node_wwid:multipath_state:code)');
      // the matrix reads it twice (its roll-up column, in the cells and in the fallback without
      // alias), and the zero counts are filled from the roll-up, so they carry node too
      const rollup = carriesNode('wwid:multipath_state:max').replace('%s', 'A');
      const inMatrix = rollup.replace('LUNs: cluster state and node counts', 'Health matrix now');
      expect(problems).toEqual([
        inMatrix,
        inMatrix,
        rollup,
        ...['D', 'E', 'F', 'G', 'H'].map((r) => carriesNode('wwid_state:multipath_nodes:count').replace('%s', r)),
      ]);
    });

    it('the per-state node counts (count_values without (node)): wrong counts and a node label', async () => {
      const { problems, optimalNodes } = await keepsNode('count_values without (node)', 'count_values without ()');
      expect(optimalNodes[W3]).toBe(1);
      // no cell is failed (G): only the zeros, which are right, count it
      expect(problems).toEqual(['D', 'E', 'F', 'H'].map((r) => carriesNode('wwid_state:multipath_nodes:count').replace('%s', r)));
    });

    // the zeros come from the per-WWID roll-up; filled from the cells instead they carry node
    it('the zero counts (0 * wwid:multipath_state:max)', async () => {
      const { problems, optimalNodes } = await keepsNode('0 * wwid:multipath_state:max', '0 * node_wwid:multipath_state:code');
      expect(optimalNodes[W3]).toBe(2);
      expect(problems).toEqual(['D', 'E', 'F', 'G', 'H'].map((r) => carriesNode('wwid_state:multipath_nodes:count').replace('%s', r)));
    });
  });

  it('the matrix shows every cell of the scenario with alias and state', async () => {
    const { results } = await check(ALL, 'c1', { optionalLabels: [] });
    expect(cells(query(results, 'Health matrix now'))).toEqual(
      [
        `n1 san-a-lun0 · ${W1} 0`,
        `n1 san-a-lun1 · ${W2} 0`,
        `n1 scratch · ${W3} 0`,
        `n2 san-a-lun0 · ${W1} 1`,
        `n2 san-a-lun1 · ${W2} 2`,
        `n2 scratch · ${W3} 0`,
        `n3 san-a-lun0 · ${W1} -1`,
        `n3 san-a-lun1 · ${W2} -1`,
        // the roll-up column: the cluster state of each LUN
        `(all nodes) san-a-lun0 · ${W1} 1`,
        `(all nodes) san-a-lun1 · ${W2} 2`,
        `(all nodes) scratch · ${W3} 0`,
      ].sort(),
    );
    // The history panel draws the same node cells.
    expect(cells(query(results, 'Health matrix over time'))).toEqual(cells(query(results, 'Health matrix now')).filter((c) => !c.startsWith('(all nodes) ')));
  });

  it('history: before its exporter went down, n3 showed its real states', async () => {
    const { problems, results } = await check(ALL, 'c1', { time: '20m' });
    expect(problems).toEqual([]);
    expect(cells(query(results, 'Health matrix over time')).filter((c) => c.startsWith('n3 '))).toEqual(
      [`n3 san-a-lun0 · ${W1} 0`, `n3 san-a-lun1 · ${W2} 0`].sort(),
    );
  });

  it('node and LUN selections narrow the matrix', async () => {
    const { results } = await check({ ...ALL, node: 'n2', wwid: W2 }, 'c1');
    // the roll-up stays cluster-wide: n1 and n3 still count for it
    expect(cells(query(results, 'Health matrix now'))).toEqual([`(all nodes) san-a-lun1 · ${W2} 2`, `n2 san-a-lun1 · ${W2} 2`]);
    expect(query(results, 'Paths: active, total, expected', 'C').map((s) => s.labels.node)).toEqual(['n2']);
  });

  it('per LUN: cluster state, alias, used-by, size and node counts', async () => {
    const { results } = await check(ALL, 'c1', { optionalLabels: [] });
    const P = 'LUNs: cluster state and node counts';
    const byWwid = (refId: string) =>
      Object.fromEntries(query(results, P, refId).map((s) => [s.labels.wwid, s.value]));
    expect(byWwid('A')).toEqual({ [W1]: 1, [W2]: 2, [W3]: 0 });
    expect(query(results, P, 'B').map((s) => `${s.labels.wwid} ${s.labels.alias} ${s.labels.used_by ?? ''}`).sort()).toEqual(
      [`${W1} san-a-lun0 vm-store`, `${W2} san-a-lun1 backup`, `${W3} scratch `].sort(),
    );
    expect(byWwid('C')).toEqual({ [W1]: 107374182400, [W2]: 107374182400, [W3]: 107374182400 });
    // D..H: optimal, degraded, missing, failed, unknown
    expect(['D', 'E', 'F', 'G', 'H'].map((r) => byWwid(r)[W1])).toEqual([1, 1, 0, 0, 1]);
    expect(['D', 'E', 'F', 'G', 'H'].map((r) => byWwid(r)[W2])).toEqual([1, 0, 1, 0, 1]);
    // two nodes in one state
    expect(['D', 'E', 'F', 'G', 'H'].map((r) => byWwid(r)[W3])).toEqual([2, 0, 0, 0, 0]);
    // Every table query keys its rows by the same labels, so Grafana's merge joins them.
    for (const r of ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H']) {
      for (const s of query(results, P, r)) expect(s.labels).toMatchObject({ job: 'multipath', cluster: 'c1' });
    }
  });

  it('cells not optimal: state with active, total and expected paths', async () => {
    const { results } = await check(ALL, 'c1', { optionalLabels: [] });
    const P = 'Cells not optimal now';
    const rows = (refId: string) => query(results, P, refId).map((s) => `${s.labels.node} ${s.labels.wwid} ${s.value}`).sort();
    expect(cells(query(results, P, 'A'))).toEqual(
      [`n2 san-a-lun0 · ${W1} 1`, `n2 san-a-lun1 · ${W2} 2`, `n3 san-a-lun0 · ${W1} -1`, `n3 san-a-lun1 · ${W2} -1`].sort(),
    );
    expect(rows('B')).toEqual([`n2 ${W1} 1`]);
    expect(rows('C')).toEqual([`n2 ${W1} 2`]);
    expect(rows('D')).toEqual([`n2 ${W1} 2`, `n2 ${W2} 2`].sort());
  });

  it('drill-down: paths of the degraded LUN with their states', async () => {
    const { results } = await check({ ...ALL, node: 'n2', wwid: W1 }, 'c1');
    const rows = (refId: string, label: string) =>
      query(results, 'Paths', refId).map((s) => `${s.labels.dev} ${s.labels[label] ?? ''} ${s.value}`).sort();
    expect(rows('A', 'transport')).toEqual(['sdb fc 1', 'sdc fc 1']);
    expect(rows('B', 'dev')).toEqual(['sdb sdb 1', 'sdc sdc 0']);
    expect(rows('C', 'checker_state')).toEqual(['sdb ready 1', 'sdc faulty 1']);
    expect(rows('C', 'device_state')).toEqual(['sdb running 1', 'sdc running 1']);
    expect(rows('D', 'dev')).toEqual(['sdb sdb 50', 'sdc sdc 10']);
    expect(query(results, 'Queueing mode', 'A').map((s) => `${s.labels.dev ?? ''}${s.labels.mode} ${s.value}`)).toEqual(['queue 1']);
    const faults = query(results, 'Path faults and path-group switches', 'A');
    expect(faults).toHaveLength(1);
    expect(faults[0]!.value).toBeCloseTo(1 / 60, 5);
  });

  it('fleet: exporters up, the down node, config drift and the failed apply', async () => {
    const { results } = await check(ALL, 'c1', { optionalLabels: [] });
    expect(query(results, 'Exporters up', 'A')[0]!.value).toBe(2);
    expect(query(results, 'Exporters up', 'B')[0]!.value).toBe(3);
    expect(query(results, 'multipathd down', 'A')).toEqual([{ labels: {}, value: 0 }]);
    expect(query(results, 'Config digests in use', 'A').map((s) => s.value)).toEqual([2]);
    const T = 'Nodes: exporter, multipathd and config';
    const byNode = (refId: string) => Object.fromEntries(query(results, T, refId).map((s) => [s.labels.node, s.value]));
    expect(byNode('A')).toEqual({ n1: 1, n2: 1, n3: 0 });
    expect(byNode('E')).toEqual({ n1: 1, n2: 0 });
    expect(byNode('F')).toEqual({ n1: 0, n2: 2 });
    expect(byNode('J')).toEqual({ n1: 0, n2: 1 });
    expect(byNode('K')).toEqual({ n1: 0, n2: 0 });
    expect(query(results, T, 'H').map((s) => `${s.labels.node} ${s.labels.digest}`).sort()).toEqual(['n1 sha256:aaaa', 'n2 sha256:bbbb']);
  });
});
