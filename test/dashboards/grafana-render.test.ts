// Every table panel of the dashboard drawn by @grafana/ui's Table in headless Chromium
// (test/support/grafana-render/), from the promtool-evaluated queries of the query-test scenario
// (test/dashboards/scenario.ts): the browser shows the headers and cell texts of the frames
// Grafana's code makes (test/support/grafana-frames.ts), paints each state cell in the colour its
// value mapping gives, and the header text is readable on the dark theme. The end-to-end test draws
// the matrix per phase of the simulated cluster; this draws the other tables too.
import { REPO } from '../support/repo.js';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDashboardQueries, dashboardPanels, promtoolEvaluator, type GrafanaDashboard, type Sample } from '../support/dashboard-queries.js';
import { displayedTable, displayName, panelFrames } from '../support/grafana-frames.js';
import { contrastRatio, cssRgb, startPanelRenderer, type PanelRenderer } from '../support/grafana-render/render.js';
import { EVAL_TIME, multipathScenario } from './scenario.js';

const dashboard = JSON.parse(readFileSync(path.join(REPO, 'dashboards/multipath-health.json'), 'utf8')) as GrafanaDashboard;
const tables = dashboardPanels(dashboard).filter((p) => p.type === 'table');
const ALL = { job: 'multipath', cluster: '.*', node: '.*', wwid: '.*' };
const T = 3600_000;
const SCREENSHOTS = path.join(REPO, 'test-results', 'dashboard');

let results: Map<string, Sample[]>;
let renderer: PanelRenderer | undefined;

beforeAll(async () => {
  const evaluate = promtoolEvaluator({ inputSeries: multipathScenario({ cluster: 'c1' }), ruleFiles: [path.join(REPO, 'alerts/multipath.rules.yml')], evalTime: EVAL_TIME });
  [{ results }, renderer] = await Promise.all([checkDashboardQueries(dashboard, ALL, evaluate), startPanelRenderer()]);
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await renderer?.close();
});

describe('the table panels drawn by @grafana/ui in Chromium', () => {
  it('the dashboard has the five tables', () => {
    expect(tables.map((p) => p.title)).toEqual(['Health matrix now', 'LUNs: cluster state and node counts', 'Cells not optimal now', 'Paths', 'Nodes: exporter, multipathd and config']);
  });

  for (const panel of tables) {
    it(`${panel.title}: the frames' headers and cells, state cells in their colours, readable headers`, async () => {
      const frames = await panelFrames(panel, results, T);
      const table = displayedTable(frames[0]!, frames);
      const file = path.join(SCREENSHOTS, `promtool-panel-${panel.id}.png`);
      const drawn = await renderer!.draw({ panel, results: [...results], timeMs: T, width: 1400, height: 60 + 36 * table.rows.length, caption: 'query-test scenario' }, file);
      expect(drawn.headers).toEqual(table.columns);
      // each cell's text, and in a colour-background column its painted colour (rows in the browser's sort order)
      const coloured = new Set(
        frames[0]!.fields.filter((f) => (f.config.custom as { cellOptions?: { type?: string } } | undefined)?.cellOptions?.type === 'color-background').map((f) => displayName(f, frames[0]!, frames)),
      );
      const shown = (text: string, colour: string, column: string) => (coloured.has(column) && text !== '' ? `${text} ${colour}` : text);
      const want = table.rows.map((r) => JSON.stringify(table.columns.map((c) => shown(r[c]!.text, cssRgb(r[c]!.color), c)))).sort();
      const got = drawn.rows.map((r) => JSON.stringify(r.map((cell, i) => shown(cell.text, cell.background, table.columns[i]!)))).sort();
      expect(got).toEqual(want);
      // WCAG AA's 4.5:1 for normal text: the header text against what it is drawn on
      expect(drawn.headerColours.map((h) => h.text)).toEqual(table.columns);
      for (const h of drawn.headerColours) expect(contrastRatio(h.color, h.background), `header ${h.text}: ${h.color} on ${h.background}`).toBeGreaterThanOrEqual(4.5);
    }, 60_000);
  }
});
