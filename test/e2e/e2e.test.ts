// End to end: the simulated cluster of scenarios/default.yml (the real exporter process per node,
// each on a fake multipathd speaking the real socket protocol) scraped by a real Prometheus that
// evaluates our shipped rules, routing alerts through a real Alertmanager loaded with our shipped
// example, to a webhook that is this test. The shipped files go through the documented transform
// only (src/sim/transform-rules.ts: `for:` divided by 30, short route timers).
//
// Per phase: the matrix and roll-up read back from Prometheus equal the matrix semantics of docs/rules.md
// (expectedMatrix), the expected alerts reach the webhook with the right labels and route, the
// inhibited ones do not (while firing in Prometheus), and after recovery every notified alert is
// resolved. Before recovery every dashboard panel query returns data, from series that carry only
// the labels docs/metrics.md lists. Per phase, the "Health matrix now" panel also goes through
// Grafana's own code (test/support/grafana-frames.ts: the datasource's frames, the panel's
// transformations, overrides and value mappings in @grafana/data) and must show that matrix, and
// @grafana/ui's Table draws it in headless Chromium (test/support/grafana-render/), readable
// headers included, screenshot in test-results/dashboard/; every other panel goes through the same
// path and must show what the phase implies (test/dashboards/phase-panels.ts). Requires
// /usr/bin/prometheus and /usr/bin/prometheus-alertmanager (scripts/install-deps.sh): without
// them the test fails, it is not skipped.
import { REPO } from '../support/repo.js';
import { canonicalJson, inhibitedInAlertmanager, type ReceivedAlert, receivedAlerts, type Simulation, startSimulation } from '../support/simulation.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimCluster } from '../../src/sim/cluster.js';
import { liveProcesses, sleep, waitFor } from '../../src/sim/processes.js';
import { type Monitoring, readMatrix } from '../../src/sim/prometheus.js';
import { alertKey, type ExpectedAlert, expectedAlerts, expectedMatrix, parseScenario } from '../../src/sim/scenario.js';
import { metricContract } from '../support/dashboard-lint.js';
import { checkDashboardQueries, dashboardPanels, type GrafanaDashboard, prometheusEvaluator } from '../support/dashboard-queries.js';
import { documentedStateColours, matrixView, panelFrames, stateNames } from '../support/grafana-frames.js';
import { drillDown, expectedViews, LATE_SERIES_PANELS, seriesView, tableView } from '../dashboards/phase-panels.js';
import { contrastRatio, cssRgb, startPanelRenderer, type PanelRenderer } from '../support/grafana-render/render.js';
import { mkdirSync } from 'node:fs';

const scenario = parseScenario(readFileSync(path.join(REPO, 'scenarios/default.yml'), 'utf8'), 'scenarios/default.yml');
const CLUSTER = 'e2e';
/** Not asserted either way: its 10m `increase()` window is not shortened, so one fault fires it. */
const TOLERATED = new Set(['MultipathPathFlapping']);

const dashboard = JSON.parse(readFileSync(path.join(REPO, 'dashboards/multipath-health.json'), 'utf8')) as GrafanaDashboard;
const matrixPanel = dashboardPanels(dashboard).find((p) => p.title === 'Health matrix now')!;
const STATES = stateNames(readFileSync(path.join(REPO, 'docs/rules.md'), 'utf8'));
const COLOURS = documentedStateColours(readFileSync(path.join(REPO, 'docs/dashboard.md'), 'utf8'));
const VERSION = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
/** The screenshots of the matrix per phase (gitignored). */
const SCREENSHOTS = path.join(REPO, 'test-results', 'dashboard');

let sim: Simulation | undefined;
let renderer: PanelRenderer | undefined;
let cluster: SimCluster | undefined;
let mon: Monitoring | undefined;
/** When each phase was applied (index -> ms). */
const phaseStartedAt: number[] = [];

const received = () => receivedAlerts(mon?.webhook, alertKey);

const matches = (r: ReceivedAlert, a: ExpectedAlert) =>
  r.labels.alertname === a.alertname &&
  r.labels.node === a.node &&
  r.labels.wwid === a.wwid &&
  // LUN alerts name the LUN by its alias (the map's, else the configured one)
  r.labels.alias === (a.wwid ? scenario.luns.find((l) => l.wwid === a.wwid)?.alias : undefined) &&
  r.labels.severity === a.severity &&
  r.labels.cluster === CLUSTER &&
  r.labels.job === 'multipath' &&
  r.receiver === `multipath-${a.severity}`;

beforeAll(async () => {
  sim = await startSimulation(scenario, { cluster: CLUSTER });
  ({ cluster, mon } = sim);
  renderer = await startPanelRenderer();
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await renderer?.close();
  await sim?.stop();
  expect(liveProcesses().map((p) => p.name)).toEqual([]);
}, 60_000);

describe('simulated cluster -> Prometheus -> Alertmanager -> webhook', () => {
  scenario.phases.forEach((phase, index) => {
    it(`phase ${index + 1} ${phase.name}: matrix, roll-up and alerts as docs/rules.md says`, async () => {
      if (!cluster || !mon) throw new Error('setup failed');
      const m = mon;
      phaseStartedAt[index] = Date.now();
      await cluster.setPhase(index);

      const want = expectedMatrix(scenario, index);
      const got = await waitFor(
        `the matrix of phase ${phase.name}`,
        { timeoutMs: 45_000 },
        () => readMatrix(m.prometheusUrl),
        (r) => canonicalJson(r.cells) === canonicalJson(want.cells) && canonicalJson(r.rollup) === canonicalJson(want.rollup),
      ).catch(async (err: Error) => {
        const now = await readMatrix(m.prometheusUrl);
        expect({ cells: now.cells, rollup: now.rollup }, err.message).toEqual(want);
        throw err;
      });
      expect({ cells: got.cells, rollup: got.rollup }).toEqual(want);

      // Every alert the phase makes fire reaches the webhook, with its labels and on its route.
      const { firing } = expectedAlerts(scenario, index);
      await waitFor(
        `notifications ${firing.map(alertKey).join(', ')}`,
        { timeoutMs: 60_000 },
        async () => received().filter((r) => r.status === 'firing'),
        (rs) => firing.every((a) => rs.some((r) => matches(r, a))),
      );
    }, 150_000);

    it(`phase ${index + 1} ${phase.name}: the matrix panel through Grafana's code shows that matrix, and Chromium draws it`, async () => {
      const want = expectedMatrix(scenario, index);
      const vars = { job: 'multipath', cluster: CLUSTER, node: '.*', wwid: '.*', datasource: 'prometheus' };
      const now = Date.now();
      const { results } = await checkDashboardQueries({ ...dashboard, panels: [matrixPanel] }, vars, prometheusEvaluator(mon!.prometheusUrl), { time: now / 1000 });
      const view = matrixView(await panelFrames(matrixPanel, results, now));
      // One row per LUN with a cell (alias · WWID), the cluster state first, one column per node.
      const nodes = [...scenario.nodes].sort();
      expect(view.columns).toEqual(['Cluster state', ...nodes]);
      const lunName = (wwid: string) => [scenario.luns.find((l) => l.wwid === wwid)?.alias, wwid].filter(Boolean).join(' · ');
      const shown = Object.fromEntries(view.rows.map((r) => [r.lun, Object.fromEntries(Object.entries(r.cells).map(([c, cell]) => [c, cell.text]))]));
      const expected = Object.fromEntries(
        Object.entries(want.cells).map(([wwid, cells]) => [
          lunName(wwid),
          { 'Cluster state': STATES.get(want.rollup[wwid]!), ...Object.fromEntries(nodes.map((n) => [n, cells[n] === undefined ? '' : STATES.get(cells[n]!)])) },
        ]),
      );
      expect(shown).toEqual(expected);

      // The browser draws the same texts, each cell in the colour Grafana's display gave it.
      const file = path.join(SCREENSHOTS, `phase-${index + 1}-${phase.name}.png`);
      const drawn = await renderer!.draw({ panel: matrixPanel, results: [...results], timeMs: now, width: 1200, height: 40 + 36 * view.rows.length, caption: `phase ${index + 1}: ${phase.name}` }, file);
      expect(drawn.headers).toEqual(['LUN', ...view.columns]);
      // readable headers: WCAG AA's 4.5:1 for normal text, header text against what it is drawn on
      for (const h of drawn.headerColours) expect(contrastRatio(h.color, h.background), `header ${h.text}: ${h.color} on ${h.background}`).toBeGreaterThanOrEqual(4.5);
      const painted = Object.fromEntries(drawn.rows.map(([lun, ...cells]) => [lun!.text, cells.map((c) => `${c.text} ${c.background}`)]));
      expect(painted).toEqual(Object.fromEntries(view.rows.map((r) => [r.lun, view.columns.map((c) => `${r.cells[c]!.text} ${cssRgb(r.cells[c]!.color)}`)])));
    }, 90_000);

    it(`phase ${index + 1} ${phase.name}: every other panel through Grafana's code shows what the phase implies`, async () => {
      const ctx = { scenario, index, cluster: CLUSTER, states: STATES, colours: COLOURS, version: VERSION };
      const expected = expectedViews(ctx);
      const vars = { job: 'multipath', cluster: CLUSTER, node: '.*', wwid: '.*', datasource: 'prometheus' };
      const now = Date.now();
      const evaluate = prometheusEvaluator(mon!.prometheusUrl);
      const panels = dashboardPanels(dashboard).filter((p) => p.title! in expected);
      expect(panels.map((p) => p.title).sort()).toEqual(Object.keys(expected).sort());
      // the drill-down's variables set to the LUN and node the phase makes interesting
      const [all, drill] = await Promise.all([
        checkDashboardQueries({ ...dashboard, panels: panels.filter((p) => p.title !== 'Paths') }, vars, evaluate, { time: now / 1000 }),
        checkDashboardQueries({ ...dashboard, panels: panels.filter((p) => p.title === 'Paths') }, { ...vars, ...drillDown(ctx) }, evaluate, { time: now / 1000 }),
      ]);
      const results = new Map([...all.results, ...drill.results]);
      for (const panel of panels) {
        const title = panel.title!;
        const frames = await panelFrames(panel, results, now);
        let view: unknown = panel.type === 'table' ? tableView(panel, frames) : seriesView(panel, frames);
        const want = expected[title]!;
        if (LATE_SERIES_PANELS.has(title)) {
          // series back only since this phase may be there too, or not yet
          const got = view as Record<string, unknown>;
          view = Object.fromEntries(Object.keys(want).map((k) => [k, got[k]]));
        }
        expect.soft(view, title).toEqual(want);
      }
    }, 60_000);

    if (index === scenario.phases.length - 2) {
      it('every dashboard panel query returns data for the scenario', async () => {
        const vars = { job: 'multipath', cluster: CLUSTER, node: '.*', wwid: '.*', datasource: 'prometheus' };
        const contract = metricContract(readFileSync(path.join(REPO, 'docs/metrics.md'), 'utf8'));
        const { problems } = await checkDashboardQueries(dashboard, vars, prometheusEvaluator(mon!.prometheusUrl), { contract });
        expect(problems).toEqual([]);
      });
    }

    const before = new Set(index ? expectedAlerts(scenario, index - 1).inhibited.map(alertKey) : []);
    const inhibited = expectedAlerts(scenario, index).inhibited.filter((a) => !before.has(alertKey(a)));
    if (inhibited.length) {
      it(`phase ${index + 1} ${phase.name}: inhibited alerts fire in Prometheus but never reach the webhook`, async () => {
        const m = mon!;
        // Alertmanager holds them, suppressed by an inhibition; two group intervals later still no
        // notification.
        const held = await inhibitedInAlertmanager(m, m.alertmanagerUrl, inhibited, { firing: 45_000, held: 20_000 });
        for (const [i, a] of inhibited.entries()) {
          expect(held[i]!.status.state, alertKey(a)).toBe('suppressed');
          expect(held[i]!.status.inhibitedBy.length, alertKey(a)).toBeGreaterThan(0);
        }
        await sleep(5000);
        const leaked = received().filter((r) => r.status === 'firing' && inhibited.some((a) => r.key === alertKey(a)));
        expect(leaked).toEqual([]);
      }, 90_000);
    }
  });

  it('after recovery every notified alert is resolved, and nothing unexpected was notified', async () => {
    // No false positives: a firing notification received during phase i is an alert phase i (or,
    // just after the switch, phase i-1) makes fire. When multipathd comes back, its LUN alerts
    // resolve one evaluation after the daemon alert, so Alertmanager may flush one of them
    // uninhibited in between: tolerated right after the phase that inhibited it, and it must be
    // resolved like every other.
    const phaseOf = (t: number) => {
      let i = -1;
      phaseStartedAt.forEach((start, j) => {
        if (start <= t) i = j;
      });
      return i;
    };
    const allowed = (i: number): Set<string> => {
      const keys = new Set<string>();
      const now = expectedAlerts(scenario, i);
      for (const a of now.firing) keys.add(alertKey(a));
      if (i > 0) {
        const before = expectedAlerts(scenario, i - 1);
        const stillInhibited = new Set(now.inhibited.map(alertKey));
        for (const a of before.firing) keys.add(alertKey(a));
        for (const a of before.inhibited) if (!stillInhibited.has(alertKey(a))) keys.add(alertKey(a));
      }
      return keys;
    };
    const unexpected = received().filter((r) => r.status === 'firing' && !TOLERATED.has(r.labels.alertname ?? '') && !allowed(phaseOf(r.at)).has(r.key));
    expect(unexpected.map((r) => `${r.key} during phase ${scenario.phases[phaseOf(r.at)]?.name}`)).toEqual([]);

    const notified = () => [...new Set(received().filter((r) => r.status === 'firing' && !TOLERATED.has(r.labels.alertname ?? '')).map((r) => r.key))];
    expect(notified().length).toBeGreaterThan(0);
    const resolvedAfter = (key: string) => {
      const lastFiring = Math.max(...received().filter((r) => r.key === key && r.status === 'firing').map((r) => r.at));
      return received().some((r) => r.key === key && r.status === 'resolved' && r.at >= lastFiring);
    };
    await waitFor(
      'resolved notifications for every notified alert',
      { timeoutMs: 60_000 },
      async () => notified().filter((k) => !resolvedAfter(k)),
      (open) => open.length === 0,
    );
    for (const k of notified()) expect(resolvedAfter(k), k).toBe(true);
  }, 90_000);
});
