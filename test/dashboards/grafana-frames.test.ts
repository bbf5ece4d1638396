import { REPO } from '../support/repo.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDashboardQueries, dashboardPanels, promtoolEvaluator, type GrafanaDashboard } from '../support/dashboard-queries.js';
import { displayedTable, panelFrames } from '../support/grafana-frames.js';
import { EVAL_TIME, multipathScenario } from './scenario.js';

const dashboard = JSON.parse(readFileSync(path.join(REPO, 'dashboards/multipath-health.json'), 'utf8')) as GrafanaDashboard;
describe('x', () => {
  it('y', async () => {
    const ev = promtoolEvaluator({ inputSeries: multipathScenario({ cluster: 'c1' }), ruleFiles: [path.join(REPO, 'alerts/multipath.rules.yml')], evalTime: EVAL_TIME });
    const { results } = await checkDashboardQueries(dashboard, { job: 'multipath', cluster: '.*', node: '.*', wwid: '.*' }, ev);
    for (const p of dashboardPanels(dashboard).slice(0, 4)) {
      const by = new Map((p.targets ?? []).map((t) => [t.refId, results.get(`${p.title}/${t.refId}`) ?? []]));
      const frames = await panelFrames(p, by, 3600_000);
      for (const f of frames) console.log(p.title, JSON.stringify(displayedTable(f, frames), null, 0));
    }
    expect(1).toBe(1);
  });
});
