// Every table panel's data path through Grafana's own code (@grafana/data, test/support/grafana-frames.ts):
// the promtool-evaluated queries of the dashboard query tests (test/dashboards/scenario.ts) become
// data frames the way the Prometheus datasource shapes them, then the panel's transformations,
// overrides and value mappings run in @grafana/data, and the test reads what a person sees: the
// matrix's rows, columns, cell texts and colours, the per-LUN and drill-down tables' columns. The
// state colours are checked against docs/rules.md's codes and docs/dashboard.md's colour words.
import { REPO } from '../support/repo.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDashboardQueries, dashboardPanels, promtoolEvaluator, type GrafanaDashboard, type GrafanaPanel, type Sample } from '../support/dashboard-queries.js';
import { displayedTable, documentedStateColours, matrixView, panelFrames, stateNames, themeColor } from '../support/grafana-frames.js';
import { EVAL_TIME, W1, W2, W3 } from './scenario.js';
import { multipathScenario } from './scenario.js';

const load = () => JSON.parse(readFileSync(path.join(REPO, 'dashboards/multipath-health.json'), 'utf8')) as GrafanaDashboard;
const panel = (d: GrafanaDashboard, title: string): GrafanaPanel => {
  const p = dashboardPanels(d).find((x) => x.title === title);
  if (!p) throw new Error(`no panel "${title}"`);
  return p;
};
const STATES = stateNames(readFileSync(path.join(REPO, 'docs/rules.md'), 'utf8'));
const COLOUR_WORDS = documentedStateColours(readFileSync(path.join(REPO, 'docs/dashboard.md'), 'utf8'));
const ALL = { job: 'multipath', cluster: '.*', node: '.*', wwid: '.*' };
const T = 3600_000;

/** A grey: red, green and blue equal. */
const isGrey = (css: string) => /^#([0-9a-f]{2})\1\1$/i.test(css);
const colourOf = (word: string) => (word === 'grey' ? 'grey' : themeColor(word));
const painted = (css: string | undefined) => (css && isGrey(css) ? 'grey' : css);

describe('state colours: docs/rules.md codes, docs/dashboard.md colours, Grafana display', () => {
  it('the docs name five states and five colours for the same codes', () => {
    expect([...STATES.keys()].sort()).toEqual([-1, 0, 1, 2, 3]);
    expect([...COLOUR_WORDS.keys()].sort()).toEqual([...STATES.keys()].sort());
  });

  // Every field that shows a state code, by panel and (for merged tables) column.
  const STATE_FIELDS: [title: string, samples: (code: number) => Record<string, Sample[]>, column: (code: number) => string][] = [
    ['Health matrix now', (c) => ({ A: [{ labels: { lun: 'L', node: `n${c}` }, value: c }] }), (c) => `n${c}`],
    ['Health matrix over time', (c) => ({ A: [{ labels: { lun: 'L', node: `n${c}` }, value: c }] }), (c) => `L @ n${c}`],
  ];
  for (const [title, samples, column] of STATE_FIELDS) {
    it(`${title}: each code reads as its docs/rules.md state in its docs/dashboard.md colour, all distinct`, async () => {
      const p = panel(load(), title);
      const seen = new Map<string, number>();
      for (const [code, state] of STATES) {
        const results = new Map(Object.entries(samples(code)).map(([ref, s]) => [`${title}/${ref}`, s]));
        const frames = await panelFrames(p, results, T);
        const cells = frames.map((f) => displayedTable(f, frames)).flatMap((t) => t.rows.map((r) => r[column(code)])).filter(Boolean);
        expect(cells, `${title} code ${code}`).toEqual([{ text: state, color: expect.any(String) }]);
        expect(painted(cells[0]!.color), `${title} code ${code} (${state})`).toBe(colourOf(COLOUR_WORDS.get(code)!));
        expect(seen.get(cells[0]!.color!), `${state} has the colour of code ${seen.get(cells[0]!.color!)}`).toBeUndefined();
        seen.set(cells[0]!.color!, code);
      }
    });
  }

  it('the per-LUN cluster state and the not-optimal cells use the same texts and colours as the matrix', () => {
    const d = load();
    const matrixMappings = JSON.stringify(panel(d, 'Health matrix now').fieldConfig!.defaults!.mappings![0]);
    const stateOverride = (title: string, column: string) =>
      JSON.stringify((panel(d, title).fieldConfig!.overrides ?? []).find((o) => o.matcher.options === column)!.properties.find((x) => x.id === 'mappings')!.value![0 as never]);
    expect(stateOverride('LUNs: cluster state and node counts', 'Value #A')).toBe(matrixMappings);
    expect(stateOverride('Cells not optimal now', 'Value #A')).toBe(matrixMappings);
    expect(JSON.stringify(panel(d, 'Health matrix over time').fieldConfig!.defaults!.mappings![0])).toBe(matrixMappings);
  });
});

describe('the panels of the query-test scenario through Grafana (promtool + @grafana/data)', () => {
  const dashboard = load();
  let results: Map<string, Sample[]>;
  beforeAll(async () => {
    const evaluate = promtoolEvaluator({ inputSeries: multipathScenario({ cluster: 'c1' }), ruleFiles: [path.join(REPO, 'alerts/multipath.rules.yml')], evalTime: EVAL_TIME });
    ({ results } = await checkDashboardQueries(dashboard, ALL, evaluate));
  });
  const frames = (title: string) => panelFrames(panel(dashboard, title), results, T);
  const state = (code: number) => ({ text: STATES.get(code)!, color: expect.any(String) });
  // "transparent" in the mapping, as Grafana resolves it
  const NO_CELL = { text: '', color: '#00000000' };

  it('Health matrix now: one row per LUN (alias · WWID), the cluster state first, then one column per node', async () => {
    const view = matrixView(await frames('Health matrix now'));
    expect(view.columns).toEqual(['Cluster state', 'n1', 'n2', 'n3']);
    const rows = Object.fromEntries(view.rows.map((r) => [r.lun, r.cells]));
    expect(Object.keys(rows).sort()).toEqual([`san-a-lun0 · ${W1}`, `san-a-lun1 · ${W2}`, `scratch · ${W3}`]);
    // the scenario: w1 degraded on n2, w2 missing on n2, n3 down (its cells unknown), w3 not on n3
    expect(rows[`san-a-lun0 · ${W1}`]).toEqual({ 'Cluster state': state(1), n1: state(0), n2: state(1), n3: state(-1) });
    expect(rows[`san-a-lun1 · ${W2}`]).toEqual({ 'Cluster state': state(2), n1: state(0), n2: state(2), n3: state(-1) });
    // no cell: Grafana's groupingToMatrix fills it with '', which must read as nothing, not a colour
    expect(rows[`scratch · ${W3}`]).toEqual({ 'Cluster state': state(0), n1: state(0), n2: state(0), n3: NO_CELL });
  });

  it('Health matrix now: the column order does not depend on the order Prometheus returns the series in', async () => {
    const key = 'Health matrix now/A';
    const reversed = new Map(results).set(key, [...results.get(key)!].reverse());
    const view = matrixView(await panelFrames(panel(dashboard, 'Health matrix now'), reversed, T));
    expect(view.columns).toEqual(['Cluster state', 'n1', 'n2', 'n3']);
  });

  it('Health matrix over time: one series per LUN and node, named alias · WWID @ node, in the matrix colours', async () => {
    const f = await frames('Health matrix over time');
    const shown = f.map((x) => displayedTable(x, f)).map((t) => [t.columns[1], t.rows[0]![t.columns[1]!]!.text]);
    expect(shown.sort()).toEqual(
      [
        [`san-a-lun0 · ${W1} @ n1`, 'optimal'],
        [`san-a-lun0 · ${W1} @ n2`, 'degraded'],
        [`san-a-lun0 · ${W1} @ n3`, 'unknown'],
        [`san-a-lun1 · ${W2} @ n1`, 'optimal'],
        [`san-a-lun1 · ${W2} @ n2`, 'missing'],
        [`san-a-lun1 · ${W2} @ n3`, 'unknown'],
        [`scratch · ${W3} @ n1`, 'optimal'],
        [`scratch · ${W3} @ n2`, 'optimal'],
      ].sort(),
    );
  });

  it('LUNs: cluster state and node counts: one row per LUN with the columns the title promises', async () => {
    const f = await frames('LUNs: cluster state and node counts');
    expect(f).toHaveLength(1);
    const t = displayedTable(f[0]!);
    expect(t.columns).toEqual(['Cluster', 'WWID', 'Cluster state', 'Alias', 'Used by', 'Size', 'Nodes optimal', 'Nodes degraded', 'Nodes missing', 'Nodes failed', 'Nodes unknown']);
    const byWwid = Object.fromEntries(t.rows.map((r) => [r.WWID!.text, r]));
    expect(Object.keys(byWwid).sort()).toEqual([W1, W2, W3].sort());
    expect(byWwid[W1]!['Cluster state']).toEqual(state(1));
    expect(byWwid[W2]!['Cluster state']).toEqual(state(2));
    expect([byWwid[W1]!.Alias!.text, byWwid[W1]!['Used by']!.text]).toEqual(['san-a-lun0', 'vm-store']);
    expect(['optimal', 'degraded', 'missing', 'failed', 'unknown'].map((s) => byWwid[W1]![`Nodes ${s}`]!.text)).toEqual(['1', '1', '0', '0', '1']);
  });

  it('Cells not optimal now: exactly the matrix cells that are not optimal, with their paths', async () => {
    const f = await frames('Cells not optimal now');
    expect(f).toHaveLength(1);
    const t = displayedTable(f[0]!);
    expect(t.columns).toEqual(['Cluster', 'LUN', 'Node', 'State', 'Active paths', 'Paths', 'Expected paths']);
    expect(t.rows.map((r) => `${r.LUN!.text} ${r.Node!.text} ${r.State!.text}`).sort()).toEqual(
      [`san-a-lun0 · ${W1} n2 degraded`, `san-a-lun0 · ${W1} n3 unknown`, `san-a-lun1 · ${W2} n2 missing`, `san-a-lun1 · ${W2} n3 unknown`].sort(),
    );
  });

  it('Nodes: exporter, multipathd and config: one row per node with the columns the title promises, states as mapped', async () => {
    const f = await frames('Nodes: exporter, multipathd and config');
    expect(f).toHaveLength(1);
    const t = displayedTable(f[0]!);
    expect(t.columns).toEqual(['Cluster', 'Node', 'Exporter', 'multipathd', 'Collection', 'Config valid', 'Last apply', 'Apply errors', 'In cluster.nodes', 'Config digest', 'Node name (exporter)', 'Version', 'multipathd busy', 'Reconfigure']);
    const byNode = Object.fromEntries(t.rows.map((r) => [r.Node!.text, r]));
    expect(Object.keys(byNode).sort()).toEqual(['n1', 'n2', 'n3']);
    // an empty cell's colour paints nothing
    const word = (c: { text: string; color?: string }) => (c.text === '' ? '' : c.color === themeColor('green') ? ' green' : c.color === themeColor('red') ? ' red' : ` ${c.color}`);
    const read = (node: string, columns: string[]) => columns.map((c) => `${byNode[node]![c]!.text}${word(byNode[node]![c]!)}`);
    const states = ['Exporter', 'multipathd', 'Last apply', 'Apply errors'];
    // the scenario: n2's last apply failed with 2 errors; n3's exporter is down (its other series stale)
    expect(read('n1', states)).toEqual(['up green', 'up green', 'ok green', '0 green']);
    expect(read('n2', states)).toEqual(['up green', 'up green', 'failed red', '2 red']);
    expect(read('n3', states)).toEqual(['down red', '', '', '']);
  });

  it('Paths: one row per path, node, WWID and device first, then its states', async () => {
    const f = await frames('Paths');
    expect(f).toHaveLength(1);
    const t = displayedTable(f[0]!);
    expect(t.columns).toEqual(['Node', 'WWID', 'Device', 'Group', 'DM state', 'Checker state', 'Device state', 'Checker', 'Transport', 'Priority', 'Cluster']);
    const failed = t.rows.filter((r) => r['DM state']!.text === 'failed').map((r) => `${r.Node!.text} ${r.WWID!.text} ${r.Device!.text} ${r['Checker state']!.text}`);
    expect(failed).toEqual([`n2 ${W1} sdc faulty`]);
  });
});
