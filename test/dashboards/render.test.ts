import { REPO } from '../support/repo.js';
import { readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDashboardQueries, dashboardPanels, promtoolEvaluator, type GrafanaDashboard, type Sample } from '../support/dashboard-queries.js';
import { startPanelRenderer, type PanelRenderer } from '../support/grafana-render/render.js';
import { EVAL_TIME, multipathScenario } from './scenario.js';

const dashboard = JSON.parse(readFileSync(path.join(REPO, 'dashboards/multipath-health.json'), 'utf8')) as GrafanaDashboard;
let r: PanelRenderer;
let results: Map<string, Sample[]>;
beforeAll(async () => {
  const t = Date.now();
  r = await startPanelRenderer();
  console.log('start ms', Date.now() - t);
  const evaluate = promtoolEvaluator({ inputSeries: multipathScenario({ cluster: 'c1' }), ruleFiles: [path.join(REPO, 'alerts/multipath.rules.yml')], evalTime: EVAL_TIME });
  ({ results } = await checkDashboardQueries(dashboard, { job: 'multipath', cluster: '.*', node: '.*', wwid: '.*' }, evaluate));
}, 120_000);
afterAll(async () => r?.close());
describe('x', () => {
  it('y', async () => {
    const panel = dashboardPanels(dashboard).find((p) => p.title === 'Health matrix now')!;
    mkdirSync(path.join(REPO, 'test-results/dashboard'), { recursive: true });
    const t = Date.now();
    const drawn = await r.draw({ panel, results: [...results], timeMs: 3600_000, width: 1200, height: 200, caption: 'scenario' }, path.join(REPO, 'test-results/dashboard/x.png'));
    console.log('draw ms', Date.now() - t, JSON.stringify(drawn));
    expect(drawn.headers.length).toBeGreaterThan(0);
  });
});
