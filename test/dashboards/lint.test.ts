// Lint of dashboards/multipath-health.json and its provisioning files, in the spirit of
// grafana/dashboard-linter and mixtool (test/support/dashboard-lint.ts). Each rule also runs on a
// mutated copy, so every check is seen to fail.
import { REPO } from '../support/repo.js';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { lintDashboard, metricContract } from '../support/dashboard-lint.js';
import { dashboardPanels, promqlSyntaxErrors, type GrafanaDashboard, type GrafanaPanel } from '../support/dashboard-queries.js';

const read = (f: string): string => readFileSync(path.join(REPO, f), 'utf8');
const dashboard = (): GrafanaDashboard => JSON.parse(read('dashboards/multipath-health.json')) as GrafanaDashboard;
const contract = metricContract(read('docs/metrics.md'));
const lint = (d: GrafanaDashboard): string[] => lintDashboard(d, contract);
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

describe('dashboard lint', () => {
  it('every shipped dashboard has no lint problems', () => {
    const files = readdirSync(path.join(REPO, 'dashboards')).filter((f) => f.endsWith('.json'));
    expect(files).toContain('multipath-health.json');
    for (const f of files) expect({ f, problems: lint(JSON.parse(read(`dashboards/${f}`)) as GrafanaDashboard) }).toEqual({ f, problems: [] });
  });

  it('has a stable uid, a title, id null, a refresh and a time range, and targets Grafana 10.4+ (schema 39)', () => {
    const d = dashboard();
    expect(d).toMatchObject({ uid: 'multipath-health', title: 'Multipath health', id: null, refresh: '30s', time: { from: 'now-6h', to: 'now' }, schemaVersion: 39 });
    expect(mutated((x) => delete x.uid)).toContain('dashboard has no uid');
    expect(mutated((x) => (x.title = ''))).toContain('dashboard has no title');
    expect(mutated((x) => (x.id = 7))).toContain('dashboard id must be null (provisioning assigns it)');
  });

  it('reads the metric contract from docs/metrics.md', () => {
    expect(contract.get('multipath_map_paths_active')).toEqual(new Set(['wwid', 'job', 'instance', 'node', 'cluster']));
    expect(contract.get('wwid:multipath_state:max')).toEqual(new Set(['wwid', 'job', 'cluster']));
    expect(contract.get('node_wwid:multipath_state:code')?.has('node')).toBe(true);
    expect(contract.size).toBeGreaterThan(40);
  });

  it('exactly one datasource variable named datasource, used by every panel, target and variable; never __inputs', () => {
    expect(mutated((x) => x.templating!.list!.push({ name: 'ds2', type: 'datasource', query: 'prometheus' }))).toContain(
      'expected exactly one datasource variable, found 2',
    );
    expect(mutated((x) => (x.templating!.list!.find((v) => v.type === 'datasource')!.name = 'ds'))).toContain(
      'the datasource variable must be named datasource and query prometheus',
    );
    expect(mutated((x) => (panel(x, 'Paths').datasource = { type: 'prometheus', uid: 'abc' }))).toContain(
      'panel "Paths": datasource is not ${datasource}',
    );
    expect(mutated((x) => (panel(x, 'Paths').targets![1]!.datasource = { type: 'prometheus', uid: '${DS_PROMETHEUS}' }))).toEqual(
      expect.arrayContaining(['panel "Paths" query B: datasource is not ${datasource}', 'dashboard uses __inputs / ${DS_...}: file provisioning cannot resolve them']),
    );
    expect(mutated((x) => ((x as Record<string, unknown>).__inputs = []))).toContain(
      'dashboard uses __inputs / ${DS_...}: file provisioning cannot resolve them',
    );
    expect(mutated((x) => (x.templating!.list!.find((v) => v.name === 'node')!.datasource = { uid: 'x' }))).toContain(
      'variable node: datasource is not ${datasource}',
    );
  });

  it('every PromQL expression parses (lezer-promql); a broken one is caught', () => {
    expect(promqlSyntaxErrors('sum by (node) (up)')).toEqual([]);
    expect(promqlSyntaxErrors('sum by (node (up)').length).toBeGreaterThan(0);
    const broken = mutated((x) => {
      const t = panel(x, 'Scrape duration').targets![0]!;
      t.expr = `sum by (node (${t.expr})`;
    });
    expect(broken.some((m) => m.startsWith('panel "Scrape duration" query A: PromQL syntax error'))).toBe(true);
    const badVar = mutated((x) => {
      const v = x.templating!.list!.find((y) => y.name === 'wwid')!;
      v.query = 'label_values(node_wwid:multipath_state:code{node=~"$node", wwid, wwid)';
    });
    expect(badVar.some((m) => m.startsWith('variable wwid: PromQL syntax error'))).toBe(true);
  });

  it('rate windows use $__rate_interval', () => {
    expect(
      mutated((x) => {
        const t = panel(x, 'Path faults and path-group switches').targets![0]!;
        t.expr = t.expr!.replace('[$__rate_interval]', '[5m]');
      }),
    ).toContain('panel "Path faults and path-group switches" query A: rate(...[5m]) does not use $__rate_interval');
  });

  it('numeric panels have a unit or value mappings', () => {
    expect(
      mutated((x) => {
        const d = panel(x, 'Scrape duration').fieldConfig!.defaults!;
        delete d.unit;
      }),
    ).toContain('panel "Scrape duration": no unit and no value mappings');
    // value mappings excuse a missing unit (dashboard-linter's panel-units-rule)
    expect(
      mutated((x) => {
        delete panel(x, 'Health matrix now').fieldConfig!.defaults!.unit;
      }),
    ).toEqual([]);
  });

  it('every selector filters job, cluster, node and LUN where the metric has the label; metrics exist in the contract', () => {
    expect(
      mutated((x) => {
        const t = panel(x, 'Paths: active, total, expected').targets![0]!;
        t.expr = t.expr!.replace(', wwid=~"$wwid"', '');
      }),
    ).toContain('panel "Paths: active, total, expected" query A: selector multipath_map_paths_active does not filter wwid=~"$wwid"');
    expect(
      mutated((x) => {
        const t = panel(x, 'Scrape duration').targets![0]!;
        t.expr = t.expr!.replace('node=~"$node"', 'node=~".*"');
      }),
    ).toContain('panel "Scrape duration" query A: selector multipath_scrape_duration_seconds does not filter node=~"$node"');
    expect(
      mutated((x) => {
        const t = panel(x, 'Scrape duration').targets![0]!;
        t.expr = t.expr!.replace('cluster=~"$cluster", ', '');
      }),
    ).toContain('panel "Scrape duration" query A: selector multipath_scrape_duration_seconds does not filter cluster=~"$cluster"');
    expect(
      mutated((x) => {
        const t = panel(x, 'Scrape duration').targets![0]!;
        t.expr = t.expr!.replace('multipath_scrape_duration_seconds', 'multipath_scrape_seconds');
      }),
    ).toContain('panel "Scrape duration" query A: metric multipath_scrape_seconds is not in docs/metrics.md');
    expect(
      mutated((x) => {
        const t = panel(x, 'Scrape duration').targets![0]!;
        t.expr = t.expr!.replace('node=~"$node"', 'node=~"$node", wwid=~"$wwid"');
      }),
    ).toContain('panel "Scrape duration" query A: selector multipath_scrape_duration_seconds matches label wwid it does not have');
    expect(mutated((x) => (x.templating!.list = x.templating!.list!.filter((v) => v.name !== 'cluster')))).toContain('no variable cluster');
    expect(
      mutated((x) => {
        const v = x.templating!.list!.find((y) => y.name === 'node')!;
        v.allValue = null;
      }),
    ).toContain('variable node: needs All with allValue ".*" (matches series without the label)');
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

  it('core panels only, each with a title and a description, unique titles and ids', () => {
    const d = dashboard();
    expect(new Set(dashboardPanels(d).map((p) => p.type))).toEqual(new Set(['table', 'status-history', 'timeseries', 'state-timeline', 'stat']));
    expect(mutated((x) => (panel(x, 'Paths').type = 'flant-statusmap-panel'))).toContain('panel "Paths": panel type flant-statusmap-panel is not a core panel');
    expect(mutated((x) => delete panel(x, 'Paths').description)).toContain('panel "Paths": no description');
    expect(mutated((x) => (panel(x, 'Paths').title = 'Scrape duration'))).toContain('duplicate panel title "Scrape duration"');
    expect(mutated((x) => (panel(x, 'Paths').id = panel(x, 'Scrape duration').id))).toContain(`duplicate panel id ${panel(d, 'Scrape duration').id}`);
  });

  it('the matrix is a table grouped to a LUN x node matrix with the five state mappings', () => {
    const m = panel(dashboard(), 'Health matrix now');
    expect(m.transformations).toEqual([{ id: 'groupingToMatrix', options: { rowField: 'lun', columnField: 'node', valueField: 'Value' } }]);
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
