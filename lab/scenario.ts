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
import { BUILD_DIR, Cluster, LUN_WWID, Node, OTHER_WWID, ROOT, removeOnExit, removeStaleRuns, waitFor, type GuestState, type MultipathdMap } from './cluster.js';

export const NODES = ['node1', 'node2', 'node3'] as const;
export const ALIAS = 'lab-san-lun0';

/** The one cluster config every node reads (rendered to YAML on the share). */
export function labConfig(opts: { alias?: string } = {}): Record<string, unknown> {
  return {
    listen: '0.0.0.0:10036',
    // The default transport (auto) unless LAB_TRANSPORT=socket|exec asks for one (docs/lab.md).
    ...(process.env.LAB_TRANSPORT ? { multipathd: { transport: process.env.LAB_TRANSPORT } } : {}),
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

/** One value of an exposition line `name{labels} value` whose labels include all of `want`. */
export function metricValue(text: string, name: string, want: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(want).every(([k, v]) => labels[k] === v)) return Number(m[2]);
  }
  return undefined;
}

export async function runLab(opts: LabOptions = {}): Promise<LabReport> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const steps: StepReport[] = [];
  mkdirSync(BUILD_DIR, { recursive: true });
  removeStaleRuns();
  const monDir = mkdtempSync(join(BUILD_DIR, `prom-${process.pid}-`));
  removeOnExit(monDir);
  const cluster = new Cluster({ nodes: [...NODES], configYaml: stringify(labConfig()), log });
  let mon: Monitoring | undefined;
  let lastMatrix: MatrixReading | undefined;

  const capture = async (node: Node, name: string, what: 'maps-json' | 'daemon' | 'topology') => {
    if (!opts.captureDir) return;
    const file = join(opts.captureDir, name);
    // Unit tests pin values of the committed replies (pids, device names): keep them unless asked.
    if (existsSync(file) && !opts.overwriteCaptures) return log(`kept ${file} (--recapture overwrites)`);
    mkdirSync(opts.captureDir, { recursive: true });
    writeFileSync(file, await node.raw(what));
    log(`captured ${name} from ${node.name}`);
  };
  const matrix = async () => (lastMatrix = await readMatrix(mon!.prometheusUrl));
  /** Wait until the Prometheus matrix has exactly these cells for the LUN (and this roll-up). */
  const expectMatrix = async (cells: Record<string, number>, rollup: number, timeoutMs = 120_000) => {
    await waitFor(
      async () => {
        const m = await matrix();
        const row = m.cells[LUN_WWID] ?? {};
        return Object.entries(cells).every(([n, c]) => row[n] === c) && m.rollup[LUN_WWID] === rollup;
      },
      timeoutMs,
      `matrix ${JSON.stringify(cells)} roll-up ${rollup}; last:\n${lastMatrix ? formatMatrix(lastMatrix) : '(none)'}`,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nlast matrix:\n${lastMatrix ? formatMatrix(lastMatrix) : '(none)'}`);
    });
    log(`  matrix ${JSON.stringify(cells)}`);
  };
  const activeAlerts = async (alertname: string) =>
    (await alertmanagerAlerts(mon!.alertmanagerUrl)).filter((a) => a.labels.alertname === alertname && a.status.state === 'active');
  /** Wait until Alertmanager holds `alertname` active for exactly these nodes. */
  const expectAlert = async (alertname: string, nodes: string[], timeoutMs = 120_000) => {
    let seen: string[] = [];
    await waitFor(
      async () => {
        seen = (await activeAlerts(alertname)).map((a) => a.labels.node ?? '?').sort();
        return JSON.stringify(seen) === JSON.stringify([...nodes].sort());
      },
      timeoutMs,
      `${alertname} active in Alertmanager for ${JSON.stringify(nodes)}`,
    ).catch(async (err: Error) => {
      const diag = await Promise.all([
        queryPrometheus(mon!.prometheusUrl, `ALERTS{alertname="${alertname}"}`),
        queryPrometheus(mon!.prometheusUrl, 'min_over_time(up{job="multipath"}[2m])'),
        queryPrometheus(mon!.prometheusUrl, 'max_over_time(scrape_duration_seconds{job="multipath"}[2m])'),
        alertmanagerAlerts(mon!.alertmanagerUrl),
      ]).catch((e: Error) => e.message);
      throw new Error(`${err.message}; last seen for ${JSON.stringify(seen)}; ALERTS, min up, max scrape s, Alertmanager: ${JSON.stringify(diag)}`);
    });
    log(`  ${alertname} active for ${JSON.stringify(nodes)}`);
  };
  /** Wait until a node's real multipathd state satisfies `check` (which returns an error text or ''). */
  const expectGuest = async (node: Node, what: string, check: (s: GuestState) => string, timeoutMs = 150_000) => {
    let last = '';
    await waitFor(
      async () => {
        last = check(await node.state());
        return last === '';
      },
      timeoutMs,
      `${node.name}: ${what}`,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${last}`);
    });
    log(`  ${node.name}: ${what}`);
  };
  const step = async (name: string, body: () => Promise<void>) => {
    const s = Date.now();
    log(`--- ${name}`);
    await body();
    const report: StepReport = { name, seconds: (Date.now() - s) / 1000 };
    if (mon) report.matrix = formatMatrix(await matrix());
    steps.push(report);
    log(`${name}: passed in ${report.seconds.toFixed(1)} s${report.matrix ? `\n${report.matrix}` : ''}`);
  };
  const healthy = (s: GuestState, name = LUN_WWID): string => {
    const m = mapOf(s, LUN_WWID);
    if (!m) return `no map for ${LUN_WWID} (maps: ${JSON.stringify(s.maps?.maps.map((x) => x.name))})`;
    if (m.name !== name) return `map name ${m.name}, want ${name}`;
    const paths = pathsOfMap(m);
    if (paths.length !== 2 || paths.some((p) => p.dm_st !== 'active' || p.chk_st !== 'ready')) return `paths ${JSON.stringify(paths)}`;
    return '';
  };

  try {
    await cluster.start();
    const [n1, n2, n3] = NODES.map((n) => cluster.node(n)) as [Node, Node, Node];
    const all = [n1, n2, n3];

    await step('boot: real multipathd, both LUNs presented, exporters started', async () => {
      for (const n of all) {
        const s = await n.state();
        assert.equal(s.hostname, n.name);
        assert.match(s.daemon.stdout, /^pid \d+ (idle|running)\n$/, `${n.name} show daemon`);
        assert.equal(s.scsi.filter((d) => d.mpathWwid === LUN_WWID).length, 2, `${n.name}: two paths to ${LUN_WWID}`);
        assert.equal(s.scsi.filter((d) => d.mpathWwid === OTHER_WWID).length, 2, `${n.name}: two paths to ${OTHER_WWID}`);
        assert.equal(mapOf(s, OTHER_WWID), undefined, `${n.name}: ${OTHER_WWID} is not allow-listed and must not be assembled`);
        assert.ok(s.exporter.pid, `${n.name}: the exporter runs (${s.exporter.log.join(' | ')})`);
      }
      await capture(n1, 'show-daemon.idle.txt', 'daemon');
      mon = await startMonitoring({
        root: ROOT,
        dir: monDir,
        targets: all.map((n) => ({ node: n.name, address: `127.0.0.1:${n.vm.exporterPort}` })),
        // Scrapes run `multipathd show maps json` in a TCG guest on a busy host: 3 s, not 1 s.
        scrapeInterval: '3s',
        evaluationInterval: '2s',
        shorten: { factor: 60, minMs: 1000 },
      });
      log(`prometheus ${mon.prometheusUrl}, alertmanager ${mon.alertmanagerUrl}`);
    });

    await step('1. config reaches every node: drop-ins, multipath -a, WWID-named map, other LUN left alone, optimal', async () => {
      for (const n of all) {
        await expectGuest(n, 'apply converged and the map assembled', (s) => {
          const defaults = Object.entries(s.confd).find(([f]) => /defaults/.test(f))?.[1] ?? '';
          if (!/find_multipaths\s+"?strict"?/.test(defaults)) return `no managed defaults drop-in with find_multipaths strict: ${JSON.stringify(s.confd)}`;
          if (!s.wwids?.split('\n').includes(`/${LUN_WWID}/`)) return `wwids file lacks /${LUN_WWID}/: ${JSON.stringify(s.wwids)}`;
          if (s.wwids.includes(OTHER_WWID)) return `wwids file has ${OTHER_WWID}`;
          if (mapOf(s, OTHER_WWID)) return `${OTHER_WWID} was assembled`;
          return healthy(s);
        });
        // The exporter listens once its first apply pass is done: wait for it to report the map.
        const metrics = await waitFor(
          async () => {
            const t = await n.metrics();
            return metricValue(t, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }) === 1 && t;
          },
          90_000,
          `${n.name} exporter reports ${LUN_WWID} optimal`,
        );
        assert.equal(metricValue(metrics, 'multipath_up', {}), 1, `${n.name} multipath_up`);
        assert.equal(metricValue(metrics, 'multipath_config_apply_success', {}), 1, `${n.name} apply success`);
        assert.equal(metricValue(metrics, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }), 1, `${n.name} optimal`);
        assert.equal(metricValue(metrics, 'multipath_map_paths', { wwid: LUN_WWID }), 2);
        assert.equal(metricValue(metrics, 'multipath_map_state', { wwid: OTHER_WWID, state: 'optimal' }), undefined, `${n.name}: no series for ${OTHER_WWID}`);
        // The unprivileged read path (the packaged monitor-only unit runs as a system user).
        const unprivileged = await n.action('metrics-unprivileged');
        assert.equal(metricValue(unprivileged, 'multipath_up', {}), 1, `${n.name}: metrics as nobody reads multipathd: ${unprivileged.slice(-400)}`);
        assert.equal(metricValue(unprivileged, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }), 1, `${n.name}: metrics as nobody sees the map`);
      }
      await capture(n1, 'show-maps-json.healthy.json', 'maps-json');
      await capture(n1, 'show-topology.healthy.txt', 'topology');
      await expectMatrix({ node1: 0, node2: 0, node3: 0 }, 0);
    });

    await step('2. a path fails on node2: node2 degraded, LUN degraded, MultipathLunDegraded for node2 only; then resolves', async () => {
      const victim = (await n2.pathsOf(LUN_WWID))[1]!;
      log(`node2: offline ${victim.hctl} (${victim.dev})`);
      await n2.action('path-offline', { hctl: victim.hctl });
      await expectGuest(n2, 'multipathd sees the path fail', (s) => {
        const p = pathsOfMap(mapOf(s, LUN_WWID) ?? ({ path_groups: [] } as unknown as MultipathdMap)).find((x) => x.dev === victim.dev);
        return p?.dm_st === 'failed' && p.dev_st === 'offline' ? '' : `path ${JSON.stringify(p)}`;
      });
      await capture(n2, 'show-maps-json.path-offline.json', 'maps-json');
      await expectMatrix({ node1: 0, node2: 1, node3: 0 }, 1);
      await expectAlert('MultipathLunDegraded', ['node2']);
      await n2.action('path-running', { hctl: victim.hctl });
      await expectGuest(n2, 'path back', (s) => healthy(s));
      await expectMatrix({ node1: 0, node2: 0, node3: 0 }, 0);
      await expectAlert('MultipathLunDegraded', []);
      await waitFor(
        async () => mon!.webhook.notifications.some((x) => x.status === 'resolved' && x.alerts.some((a) => a.labels.alertname === 'MultipathLunDegraded' && a.labels.node === 'node2' && a.status === 'resolved')),
        60_000,
        'a resolved MultipathLunDegraded notification for node2',
      );
    });

    await step('3. a path is removed on node1: multipathd says healthy, RedundancyLost for node1', async () => {
      const victim = (await n1.pathsOf(LUN_WWID))[1]!;
      log(`node1: delete ${victim.hctl} (${victim.dev})`);
      await n1.action('path-delete', { hctl: victim.hctl });
      await expectGuest(n1, 'one path left, all of it active', (s) => {
        const m = mapOf(s, LUN_WWID);
        if (!m) return 'no map';
        const paths = pathsOfMap(m);
        return paths.length === 1 && paths[0]!.dm_st === 'active' && m.paths === 1 ? '' : `paths ${JSON.stringify(paths)}`;
      });
      await capture(n1, 'show-maps-json.path-deleted.json', 'maps-json');
      const metrics = await n1.metrics();
      assert.equal(metricValue(metrics, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }), 1, 'multipathd calls it healthy');
      await expectMatrix({ node1: 1, node2: 0, node3: 0 }, 1);
      await expectAlert('MultipathLunRedundancyLost', ['node1']);
      assert.deepEqual(await activeAlerts('MultipathLunDegraded'), [], 'no MultipathLunDegraded: the map itself is optimal');
      await n1.action('host-rescan');
      await expectGuest(n1, 'path rediscovered', (s) => healthy(s));
      await expectMatrix({ node1: 0, node2: 0, node3: 0 }, 0);
      await expectAlert('MultipathLunRedundancyLost', []);
    });

    await step('4. the LUN disappears from node3: missing, MultipathLunMissing', async () => {
      log(`node3: ${await n3.action('lun-remove', { wwid: LUN_WWID })}`);
      await expectGuest(n3, 'map gone', (s) => (mapOf(s, LUN_WWID) ? 'map still there' : ''));
      await capture(n3, 'show-maps-json.no-maps.json', 'maps-json');
      await expectMatrix({ node1: 0, node2: 0, node3: 2 }, 2);
      await expectAlert('MultipathLunMissing', ['node3']);
      await n3.action('host-rescan');
      await expectGuest(n3, 'LUN back', (s) => healthy(s));
      await expectMatrix({ node1: 0, node2: 0, node3: 0 }, 0);
      await expectAlert('MultipathLunMissing', []);
    });

    await step('5a. multipathd is stopped on node1: MultipathDaemonDown, missing cell', async () => {
      await n1.action('multipathd-stop');
      const metrics = await waitFor(async () => {
        const t = await n1.metrics();
        return metricValue(t, 'multipath_up', {}) === 0 && t;
      }, 60_000, 'node1 multipath_up 0');
      assert.equal(metricValue(metrics, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }), undefined, 'no map series while multipathd is down');
      await expectMatrix({ node1: 2, node2: 0, node3: 0 }, 2);
      await expectAlert('MultipathDaemonDown', ['node1']);
      await n1.action('multipathd-start');
      await expectGuest(n1, 'multipathd back with the map', (s) => healthy(s));
      await expectMatrix({ node1: 0, node2: 0, node3: 0 }, 0);
      await expectAlert('MultipathDaemonDown', []);
    });

    await step('6. a config change (new alias) reaches every node and multipathd renames the map', async () => {
      cluster.writeConfig(stringify(labConfig({ alias: ALIAS })));
      for (const n of all) {
        await expectGuest(n, `map renamed to ${ALIAS}`, (s) => {
          const dropin = Object.values(s.confd).join('\n');
          if (!dropin.includes(ALIAS)) return `no drop-in names ${ALIAS}: ${JSON.stringify(s.confd)}`;
          return healthy(s, ALIAS);
        });
        await waitFor(async () => metricValue(await n.metrics(), 'multipath_map_info', { wwid: LUN_WWID, name: ALIAS }) === 1, 60_000, `${n.name} map_info name=${ALIAS}`);
      }
      await capture(n1, 'show-maps-json.alias.json', 'maps-json');
      await expectMatrix({ node1: 0, node2: 0, node3: 0 }, 0);
    });

    await step('5b. a VM is stopped (node3): unknown cell, MultipathExporterDown', async () => {
      await cluster.stopNode('node3');
      await expectMatrix({ node1: 0, node2: 0, node3: -1 }, 0);
      await expectAlert('MultipathExporterDown', ['node3']);
    });

    return { steps, bootSeconds: (cluster.timings.bootMs ?? 0) / 1000, totalSeconds: (Date.now() - t0) / 1000 };
  } catch (err) {
    for (const n of cluster.nodes) {
      if (!n.vm.running) continue;
      log(`=== ${n.name} serial console (tail)\n${n.vm.serialTail(25)}`);
      try {
        log(`=== ${n.name} exporter log (tail)\n${(await n.state()).exporter.log.slice(-25).join('\n')}`);
      } catch {
        /* the agent is gone too */
      }
    }
    throw err;
  } finally {
    await mon?.stop().catch(() => {});
    await cluster.stop();
    rmSync(monDir, { recursive: true, force: true });
    log(`lab torn down after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
}
