// The lab scenario (issue 7): three real dm-multipath nodes in qemu, each running the real exporter
// from the work tree with one shared cluster config (on a read-only 9p share, as /etc/pve would
// be), real Prometheus and Alertmanager on the host with the shipped rules (src/sim/prometheus.ts:
// `for:` divided by 30, nothing else changed), and real faults injected in the guests.
//
// Every step waits (bounded) for what the real system must show and throws with the last observed
// state when it does not: the guests' own multipathd replies (apply, multipath-tools), the
// exporters' /metrics (exporter), the recording-rule matrix (rules) and Alertmanager (routing).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CODE_NAME } from '../src/sim/scenario.js';
import { alertmanagerAlerts, queryPrometheus, readMatrix, startMonitoring, type MatrixReading, type Monitoring } from '../src/sim/prometheus.js';
import { waitFor } from '../src/sim/processes.js';
import { metricValue, series } from '../test/support/exposition-samples.js';
import { BUILD_DIR, Cluster, LUN_WWID, Node, OTHER_WWID, ROOT, labPoll, removeOnExit, removeStaleRuns, type GuestState, type MultipathdMap } from './cluster.js';

export const NODES = ['node1', 'node2', 'node3'] as const;
export const ALIAS = 'lab-san-lun0';

/** The one cluster config every node reads (rendered to YAML on the share). */
export function labConfig(opts: { alias?: string } = {}): Record<string, unknown> {
  return {
    listen: '0.0.0.0:10036',
    // The default transport (auto) unless LAB_TRANSPORT=socket|exec asks for one (docs/lab.md).
    // Under software emulation on a loaded 2-core host one `multipathd show` exec takes 1-3 s, so
    // the three commands of a collection get a budget a real node never needs.
    multipathd: { timeout: '20s', ...(process.env.LAB_TRANSPORT ? { transport: process.env.LAB_TRANSPORT } : {}) },
    apply: { enabled: true, recheckInterval: '3s' },
    cluster: {
      nodes: [...NODES],
      defaults: { polling_interval: 2 },
      luns: [{ wwid: LUN_WWID, paths: 2, usedBy: 'lab-san', ...(opts.alias ? { alias: opts.alias } : {}) }],
    },
  };
}

export interface StepReport {
  name: string;
  seconds: number;
  matrix?: string;
}
export interface LabReport {
  steps: StepReport[];
  bootSeconds: number;
  totalSeconds: number;
}
export interface LabOptions {
  log?: (line: string) => void;
  /** Write the real multipathd replies seen into this folder (fixtures/real). */
  captureDir?: string;
  overwriteCaptures?: boolean;
}

const CELL = (code: number | undefined) => (code === undefined ? '-' : (CODE_NAME[code] ?? String(code)));

export function formatMatrix(m: MatrixReading): string {
  const wwids = Object.keys(m.cells).sort();
  if (!wwids.length) return '(matrix empty)';
  const rows = [['wwid', ...NODES, 'lun'], ...wwids.map((w) => [m.aliases[w] ? `${w} (${m.aliases[w]})` : w, ...NODES.map((n) => CELL(m.cells[w]?.[n])), CELL(m.rollup[w])])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

/** The map multipathd has for a WWID on this node, or undefined. */
function mapOf(s: GuestState, wwid: string): MultipathdMap | undefined {
  return s.maps?.maps.find((m) => m.uuid === wwid);
}
const pathsOfMap = (m: MultipathdMap) => m.path_groups.flatMap((g) => g.paths);

/** '' when the LUN's map is there under `name` with both paths active and ready, else what is not. */
function healthy(s: GuestState, name = LUN_WWID): string {
  const m = mapOf(s, LUN_WWID);
  if (!m) return `no map for ${LUN_WWID} (maps: ${JSON.stringify(s.maps?.maps.map((x) => x.name))})`;
  if (m.name !== name) return `map name ${m.name}, want ${name}`;
  const paths = pathsOfMap(m);
  if (paths.length !== 2 || paths.some((p) => p.dm_st !== 'active' || p.chk_st !== 'ready')) return `paths ${JSON.stringify(paths)}`;
  return '';
}

/**
 * One lab run: the cluster, the monitoring (started by the boot step) and the bounded waits every
 * step uses; each wait throws with the last observed state when what it waits for does not happen.
 */
class LabRun {
  readonly steps: StepReport[] = [];
  mon: Monitoring | undefined;
  private lastMatrix: MatrixReading | undefined;

  constructor(
    readonly cluster: Cluster,
    readonly monDir: string,
    readonly opts: LabOptions,
    readonly log: (line: string) => void,
  ) {}

  get nodes(): [Node, Node, Node] {
    return NODES.map((n) => this.cluster.node(n)) as [Node, Node, Node];
  }

  get monitoring(): Monitoring {
    if (!this.mon) throw new Error('the monitoring is not started (the boot step starts it)');
    return this.mon;
  }

  /** Save one real multipathd reply into the capture folder (when asked for). */
  async capture(node: Node, name: string, what: 'maps-json' | 'daemon' | 'status' | 'topology'): Promise<void> {
    const dir = this.opts.captureDir;
    if (!dir) return;
    const file = join(dir, name);
    // Unit tests pin values of the committed replies (pids, device names): keep them unless asked.
    if (existsSync(file) && !this.opts.overwriteCaptures) return this.log(`kept ${file} (--recapture overwrites)`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, await node.raw(what));
    this.log(`captured ${name} from ${node.name}`);
  }

  async matrix(): Promise<MatrixReading> {
    return (this.lastMatrix = await readMatrix(this.monitoring.prometheusUrl));
  }

  /** Wait until the Prometheus matrix has exactly these cells for the LUN (and this roll-up). */
  async expectMatrix(cells: Record<string, number>, rollup: number, timeoutMs = 120_000): Promise<void> {
    await waitFor(`matrix ${JSON.stringify(cells)} roll-up ${rollup}`, labPoll(timeoutMs), async () => {
      const m = await this.matrix();
      const row = m.cells[LUN_WWID] ?? {};
      return Object.entries(cells).every(([n, c]) => row[n] === c) && m.rollup[LUN_WWID] === rollup;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nlast matrix:\n${this.lastMatrix ? formatMatrix(this.lastMatrix) : '(none)'}`);
    });
    this.log(`  matrix ${JSON.stringify(cells)}`);
  }

  async activeAlerts(alertname: string) {
    return (await alertmanagerAlerts(this.monitoring.alertmanagerUrl)).filter((a) => a.labels.alertname === alertname && a.status.state === 'active');
  }

  /** Wait until Alertmanager holds `alertname` active for exactly these nodes. */
  async expectAlert(alertname: string, nodes: string[], timeoutMs = 120_000): Promise<void> {
    const mon = this.monitoring;
    let seen: string[] = [];
    await waitFor(`${alertname} active in Alertmanager for ${JSON.stringify(nodes)}`, labPoll(timeoutMs), async () => {
      seen = (await this.activeAlerts(alertname)).map((a) => a.labels.node ?? '?').sort();
      return JSON.stringify(seen) === JSON.stringify([...nodes].sort());
    }).catch(async (err: Error) => {
      const diag = await Promise.all([
        queryPrometheus(mon.prometheusUrl, `ALERTS{alertname="${alertname}"}`),
        queryPrometheus(mon.prometheusUrl, 'min_over_time(up{job="multipath"}[2m])'),
        queryPrometheus(mon.prometheusUrl, 'max_over_time(scrape_duration_seconds{job="multipath"}[2m])'),
        alertmanagerAlerts(mon.alertmanagerUrl),
      ]).catch((e: Error) => e.message);
      throw new Error(`${err.message}; last seen for ${JSON.stringify(seen)}; ALERTS, min up, max scrape s, Alertmanager: ${JSON.stringify(diag)}`);
    });
    this.log(`  ${alertname} active for ${JSON.stringify(nodes)}`);
  }

  /** Wait until a node's real multipathd state satisfies `check` (which returns an error text or ''). */
  async expectGuest(node: Node, what: string, check: (s: GuestState) => string, timeoutMs = 150_000): Promise<void> {
    let last = '';
    await waitFor(`${node.name}: ${what}`, labPoll(timeoutMs), async () => {
      last = check(await node.state());
      return last === '';
    }).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${last}`);
    });
    this.log(`  ${node.name}: ${what}`);
  }

  /** After a fault is undone: the node's map healthy again, the matrix optimal, `alertname` gone. */
  async expectRecovered(node: Node, what: string, alertname: string): Promise<void> {
    await this.expectGuest(node, what, (s) => healthy(s));
    await this.expectMatrix({ node1: 0, node2: 0, node3: 0 }, 0);
    await this.expectAlert(alertname, []);
  }

  /** Wait until the node's exporter serves metrics for which `check` holds; returns them. */
  async expectMetrics(node: Node, what: string, check: (metrics: string) => boolean, timeoutMs: number): Promise<string> {
    return await waitFor(`${node.name} ${what}`, labPoll(timeoutMs), () => node.metrics(), check);
  }

  /** Run one step, timed, and record the matrix it leaves. */
  async step(name: string, run: (lab: LabRun) => Promise<void>): Promise<void> {
    const s = Date.now();
    this.log(`--- ${name}`);
    await run(this);
    const report: StepReport = { name, seconds: (Date.now() - s) / 1000 };
    if (this.mon) report.matrix = formatMatrix(await this.matrix());
    this.steps.push(report);
    this.log(`${name}: passed in ${report.seconds.toFixed(1)} s${report.matrix ? `\n${report.matrix}` : ''}`);
  }
}

// ------------------------------------------------------------------------------------ the steps

async function boot(lab: LabRun): Promise<void> {
  const all = lab.nodes;
  for (const n of all) {
    const s = await n.state();
    assert.equal(s.hostname, n.name);
    assert.match(s.daemon.stdout, /^pid \d+ (idle|running)\n$/, `${n.name} show daemon`);
    assert.equal(s.scsi.filter((d) => d.mpathWwid === LUN_WWID).length, 2, `${n.name}: two paths to ${LUN_WWID}`);
    assert.equal(s.scsi.filter((d) => d.mpathWwid === OTHER_WWID).length, 2, `${n.name}: two paths to ${OTHER_WWID}`);
    assert.equal(mapOf(s, OTHER_WWID), undefined, `${n.name}: ${OTHER_WWID} is not allow-listed and must not be assembled`);
    assert.ok(s.exporter.pid, `${n.name}: the exporter runs (${s.exporter.log.join(' | ')})`);
  }
  await lab.capture(all[0], 'show-daemon.idle.txt', 'daemon');
  lab.mon = await startMonitoring({
    root: ROOT,
    dir: lab.monDir,
    targets: all.map((n) => ({ node: n.name, address: `127.0.0.1:${n.vm.exporterPort}` })),
    // Scrapes run `multipathd show maps json` in a TCG guest on a busy host: 3 s, not 1 s.
    scrapeInterval: '3s',
    evaluationInterval: '2s',
    shorten: { factor: 60, minMs: 1000 },
  });
  lab.log(`prometheus ${lab.mon.prometheusUrl}, alertmanager ${lab.mon.alertmanagerUrl}`);
}

async function configReachesEveryNode(lab: LabRun): Promise<void> {
  const all = lab.nodes;
  for (const n of all) {
    await lab.expectGuest(n, 'apply converged and the map assembled', (s) => {
      const defaults = Object.entries(s.confd).find(([f]) => /defaults/.test(f))?.[1] ?? '';
      if (!/find_multipaths\s+"?strict"?/.test(defaults)) return `no managed defaults drop-in with find_multipaths strict: ${JSON.stringify(s.confd)}`;
      if (!s.wwids?.split('\n').includes(`/${LUN_WWID}/`)) return `wwids file lacks /${LUN_WWID}/: ${JSON.stringify(s.wwids)}`;
      if (s.wwids.includes(OTHER_WWID)) return `wwids file has ${OTHER_WWID}`;
      if (mapOf(s, OTHER_WWID)) return `${OTHER_WWID} was assembled`;
      return healthy(s);
    });
    // The exporter listens once its first apply pass is done: wait for it to report the map.
    const metrics = await lab.expectMetrics(
      n,
      `exporter reports ${LUN_WWID} optimal`,
      // ...in a scrape that holds all three replies (show status is the last of them).
      (t) => metricValue(t, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }) === 1 && metricValue(t, 'multipath_daemon_busy', {}) !== undefined,
      90_000,
    );
    assert.equal(metricValue(metrics, 'multipath_up', {}), 1, `${n.name} multipath_up`);
    assert.equal(metricValue(metrics, 'multipath_config_apply_success', {}), 1, `${n.name} apply success`);
    assert.equal(metricValue(metrics, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }), 1, `${n.name} optimal`);
    assert.equal(metricValue(metrics, 'multipath_map_paths', { wwid: LUN_WWID }), 2);
    assert.equal(metricValue(metrics, 'multipath_map_state', { wwid: OTHER_WWID, state: 'optimal' }), undefined, `${n.name}: no series for ${OTHER_WWID}`);
    // The 1.0 contract on a real multipathd: one state series per path, the queueing mode, and
    // the daemon's own view from show status in the same scrape.
    const pathStates = series(metrics, 'multipath_path_state').filter((x) => x.labels.wwid === LUN_WWID);
    assert.deepEqual(pathStates.map((x) => `${x.labels.dm_state}/${x.labels.checker_state}/${x.labels.device_state} ${x.value}`), ['active/ready/running 1', 'active/ready/running 1'], `${n.name} path states`);
    assert.equal(series(metrics, 'multipath_map_queueing').filter((x) => x.labels.wwid === LUN_WWID).length, 1, `${n.name}: one queueing series`);
    assert.equal(metricValue(metrics, 'multipath_daemon_busy', {}), 0, `${n.name} daemon busy`);
    assert.equal(metricValue(metrics, 'multipath_daemon_reconfigure_pending', {}), 0, `${n.name} reconfigure pending (0.9.4 never says it)`);
    assert.ok((metricValue(metrics, 'multipath_daemon_paths', { state: 'ready' }) ?? 0) >= 2, `${n.name}: show status counts the LUN's ready paths`);
    // The unprivileged read path (the packaged monitor-only unit runs as a system user).
    const unprivileged = await n.action('metrics-unprivileged');
    assert.equal(metricValue(unprivileged, 'multipath_up', {}), 1, `${n.name}: metrics as nobody reads multipathd: ${unprivileged.slice(-400)}`);
    assert.equal(metricValue(unprivileged, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }), 1, `${n.name}: metrics as nobody sees the map`);
  }
  await lab.capture(all[0], 'show-maps-json.healthy.json', 'maps-json');
  await lab.capture(all[0], 'show-status.healthy.txt', 'status');
  await lab.capture(all[0], 'show-topology.healthy.txt', 'topology');
  await lab.expectMatrix({ node1: 0, node2: 0, node3: 0 }, 0);
}

async function pathFailsOnNode2(lab: LabRun): Promise<void> {
  const n2 = lab.nodes[1];
  const victim = (await n2.pathsOf(LUN_WWID))[1]!;
  lab.log(`node2: offline ${victim.hctl} (${victim.dev})`);
  await n2.action('path-offline', { hctl: victim.hctl });
  await lab.expectGuest(n2, 'multipathd sees the path fail', (s) => {
    const p = pathsOfMap(mapOf(s, LUN_WWID) ?? ({ path_groups: [] } as unknown as MultipathdMap)).find((x) => x.dev === victim.dev);
    return p?.dm_st === 'failed' && p.dev_st === 'offline' ? '' : `path ${JSON.stringify(p)}`;
  });
  await lab.capture(n2, 'show-maps-json.path-offline.json', 'maps-json');
  await lab.capture(n2, 'show-status.path-offline.txt', 'status');
  const offline = await lab.expectMetrics(
    n2,
    `exporter reports ${victim.dev} failed/faulty/offline`,
    (t) => series(t, 'multipath_path_state').some((x) => x.labels.dev === victim.dev && x.labels.dm_state === 'failed' && x.labels.checker_state === 'faulty' && x.labels.device_state === 'offline'),
    60_000,
  );
  assert.equal(series(offline, 'multipath_path_state').filter((x) => x.labels.wwid === LUN_WWID).length, 2, 'still one state series per path');
  await lab.expectMatrix({ node1: 0, node2: 1, node3: 0 }, 1);
  await lab.expectAlert('MultipathLunDegraded', ['node2']);
  await n2.action('path-running', { hctl: victim.hctl });
  await lab.expectRecovered(n2, 'path back', 'MultipathLunDegraded');
  const { webhook } = lab.monitoring;
  await waitFor('a resolved MultipathLunDegraded notification for node2', labPoll(60_000), async () =>
    webhook.notifications.some((x) => x.status === 'resolved' && x.alerts.some((a) => a.labels.alertname === 'MultipathLunDegraded' && a.labels.node === 'node2' && a.status === 'resolved')),
  );
}

async function pathRemovedOnNode1(lab: LabRun): Promise<void> {
  const n1 = lab.nodes[0];
  const victim = (await n1.pathsOf(LUN_WWID))[1]!;
  lab.log(`node1: delete ${victim.hctl} (${victim.dev})`);
  await n1.action('path-delete', { hctl: victim.hctl });
  await lab.expectGuest(n1, 'one path left, all of it active', (s) => {
    const m = mapOf(s, LUN_WWID);
    if (!m) return 'no map';
    const paths = pathsOfMap(m);
    return paths.length === 1 && paths[0]!.dm_st === 'active' && m.paths === 1 ? '' : `paths ${JSON.stringify(paths)}`;
  });
  await lab.capture(n1, 'show-maps-json.path-deleted.json', 'maps-json');
  const metrics = await n1.metrics();
  assert.equal(metricValue(metrics, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }), 1, 'multipathd calls it healthy');
  await lab.expectMatrix({ node1: 1, node2: 0, node3: 0 }, 1);
  await lab.expectAlert('MultipathLunRedundancyLost', ['node1']);
  assert.deepEqual(await lab.activeAlerts('MultipathLunDegraded'), [], 'no MultipathLunDegraded: the map itself is optimal');
  await n1.action('host-rescan');
  await lab.expectRecovered(n1, 'path rediscovered', 'MultipathLunRedundancyLost');
}

async function lunDisappearsFromNode3(lab: LabRun): Promise<void> {
  const n3 = lab.nodes[2];
  lab.log(`node3: ${await n3.action('lun-remove', { wwid: LUN_WWID })}`);
  await lab.expectGuest(n3, 'map gone', (s) => (mapOf(s, LUN_WWID) ? 'map still there' : ''));
  await lab.capture(n3, 'show-maps-json.no-maps.json', 'maps-json');
  await lab.expectMatrix({ node1: 0, node2: 0, node3: 2 }, 2);
  await lab.expectAlert('MultipathLunMissing', ['node3']);
  await n3.action('host-rescan');
  await lab.expectRecovered(n3, 'LUN back', 'MultipathLunMissing');
}

async function multipathdStoppedOnNode1(lab: LabRun): Promise<void> {
  const n1 = lab.nodes[0];
  await n1.action('multipathd-stop');
  const metrics = await lab.expectMetrics(n1, 'multipath_up 0', (t) => metricValue(t, 'multipath_up', {}) === 0, 60_000);
  assert.equal(metricValue(metrics, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }), undefined, 'no map series while multipathd is down');
  assert.equal(metricValue(metrics, 'multipath_daemon_busy', {}), undefined, 'no daemon series while multipathd is down');
  await lab.expectMatrix({ node1: 2, node2: 0, node3: 0 }, 2);
  await lab.expectAlert('MultipathDaemonDown', ['node1']);
  await n1.action('multipathd-start');
  await lab.expectRecovered(n1, 'multipathd back with the map', 'MultipathDaemonDown');
}

async function aliasChangeReachesEveryNode(lab: LabRun): Promise<void> {
  lab.cluster.writeConfig(stringify(labConfig({ alias: ALIAS })));
  for (const n of lab.nodes) {
    await lab.expectGuest(n, `map renamed to ${ALIAS}`, (s) => {
      const dropin = Object.values(s.confd).join('\n');
      if (!dropin.includes(ALIAS)) return `no drop-in names ${ALIAS}: ${JSON.stringify(s.confd)}`;
      return healthy(s, ALIAS);
    });
    await lab.expectMetrics(n, `map_info name=${ALIAS}`, (t) => metricValue(t, 'multipath_map_info', { wwid: LUN_WWID, name: ALIAS }) === 1, 60_000);
  }
  await lab.capture(lab.nodes[0], 'show-maps-json.alias.json', 'maps-json');
  await lab.expectMatrix({ node1: 0, node2: 0, node3: 0 }, 0);
}

async function vmStopped(lab: LabRun): Promise<void> {
  await lab.cluster.stopNode('node3');
  await lab.expectMatrix({ node1: 0, node2: 0, node3: -1 }, 0);
  await lab.expectAlert('MultipathExporterDown', ['node3']);
}

/** The scenario, in order (the names are what the lab test and `npm run lab` report). */
export const LAB_STEPS: readonly { name: string; run: (lab: LabRun) => Promise<void> }[] = [
  { name: 'boot: real multipathd, both LUNs presented, exporters started', run: boot },
  { name: '1. config reaches every node: drop-ins, multipath -a, WWID-named map, other LUN left alone, optimal', run: configReachesEveryNode },
  { name: '2. a path fails on node2: node2 degraded, LUN degraded, MultipathLunDegraded for node2 only; then resolves', run: pathFailsOnNode2 },
  { name: '3. a path is removed on node1: multipathd says healthy, RedundancyLost for node1', run: pathRemovedOnNode1 },
  { name: '4. the LUN disappears from node3: missing, MultipathLunMissing', run: lunDisappearsFromNode3 },
  { name: '5a. multipathd is stopped on node1: MultipathDaemonDown, missing cell', run: multipathdStoppedOnNode1 },
  { name: '6. a config change (new alias) reaches every node and multipathd renames the map', run: aliasChangeReachesEveryNode },
  { name: '5b. a VM is stopped (node3): unknown cell, MultipathExporterDown', run: vmStopped },
];

/** Boots the cluster, runs every step in order, and tears everything down (also on failure). */
export async function runLab(opts: LabOptions = {}): Promise<LabReport> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  mkdirSync(BUILD_DIR, { recursive: true });
  removeStaleRuns();
  const monDir = mkdtempSync(join(BUILD_DIR, `prom-${process.pid}-`));
  removeOnExit(monDir);
  const cluster = new Cluster({ nodes: [...NODES], configYaml: stringify(labConfig()), log });
  const lab = new LabRun(cluster, monDir, opts, log);
  try {
    await cluster.start();
    for (const { name, run } of LAB_STEPS) await lab.step(name, run);
    return { steps: lab.steps, bootSeconds: (cluster.timings.bootMs ?? 0) / 1000, totalSeconds: (Date.now() - t0) / 1000 };
  } catch (err) {
    await logGuestConsoles(cluster, log);
    throw err;
  } finally {
    await lab.mon?.stop().catch(() => {});
    await cluster.stop();
    rmSync(monDir, { recursive: true, force: true });
    log(`lab torn down after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
}

/** The tail of every running guest's serial console and exporter log, for a failed run. */
async function logGuestConsoles(cluster: Cluster, log: (line: string) => void): Promise<void> {
  for (const n of cluster.nodes) {
    if (!n.vm.running) continue;
    log(`=== ${n.name} serial console (tail)\n${n.vm.serialTail(25)}`);
    try {
      log(`=== ${n.name} exporter log (tail)\n${(await n.state()).exporter.log.slice(-25).join('\n')}`);
    } catch {
      /* the agent is gone too */
    }
  }
}
