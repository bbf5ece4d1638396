// The rules on a second engine, for many clusters: one real Prometheus per simulated cluster in
// agent mode (scrape and remote write only, `cluster` as its external label), all writing into ONE
// real VictoriaMetrics single-node server; a real vmalert evaluates the shipped recording and
// alerting rules (the same transform as under Prometheus, transform-rules.ts) against it, writes
// the recording results and alert state back into it, restores state from it, and notifies every
// replica of an Alertmanager cluster (spawnAlertmanagers). Everything on 127.0.0.1, free ports,
// temp dirs; the Debian package's own service is never used.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, type Managed, spawnManaged, waitFor, waitHttpReady } from './processes.js';
import {
  type AlertmanagerReplica,
  DEFAULT_SHORTEN,
  shippedScrapeExample,
  spawnAlertmanagers,
  spawnPrometheus,
  withWebhook,
  type Webhook,
  writeShippedRules,
} from './prometheus.js';
import { prometheusForSim, type ShortenOptions } from './transform-rules.js';

export const VICTORIA_METRICS_BIN = process.env.VICTORIA_METRICS_BIN ?? '/usr/bin/victoria-metrics';
export const VMALERT_BIN = process.env.VMALERT_BIN ?? '/usr/bin/vmalert';

/**
 * Freshness of the single-node server under the simulation's 1s intervals. By default a sample
 * stays invisible to queries for 30s after its timestamp (-search.latencyOffset), so every rule of
 * a chain (raw series -> recording rule -> the rule reading it) would lag by 30s more; 1s still
 * lets the last remote-write batch land. The response cache serves only range queries older than
 * -search.cacheTimestampOffset, which none of ours is; disabled anyway so nothing served is stale.
 */
export const VICTORIA_METRICS_FLAGS = ['-search.latencyOffset=1s', '-search.disableCache', '-loggerLevel=WARN'];

export interface VmTarget {
  node: string;
  address: string;
}

export interface FleetCluster {
  /** The `cluster` external label of its Prometheus. */
  name: string;
  targets: VmTarget[];
}

export interface FleetOptions {
  /** Repository root (alerts/, examples/). */
  root: string;
  /** Temp dir for configs and storage (created). */
  dir: string;
  clusters: FleetCluster[];
  /** Alertmanager replicas, peered on loopback (default 2). */
  alertmanagerReplicas?: number;
  shorten?: ShortenOptions;
  /** Scrape interval of every Prometheus, and vmalert's evaluation interval (default 1s). */
  interval?: string;
}

export interface ClusterPrometheus {
  url: string;
  proc: Managed;
  /** Rewrites its scrape targets and reloads it (SIGHUP); resolves once it scrapes exactly those. */
  setTargets(targets: VmTarget[]): Promise<void>;
}

export interface Fleet {
  victoriaMetricsUrl: string;
  vmalertUrl: string;
  webhook: Webhook;
  alertmanagers: AlertmanagerReplica[];
  /** cluster name -> its Prometheus */
  prometheus: Record<string, ClusterPrometheus>;
  stop(): Promise<void>;
}

function requireBinary(bin: string, pkg: string): void {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run scripts/install-deps.sh (Debian package ${pkg})`);
}

/** Starts the VictoriaMetrics single-node server with its data in `dataDir`; returns at once (wait for `/health`). */
export async function spawnVictoriaMetrics(dataDir: string): Promise<{ url: string; proc: Managed }> {
  requireBinary(VICTORIA_METRICS_BIN, 'victoria-metrics');
  const port = await freePort();
  const proc = spawnManaged('victoria-metrics', VICTORIA_METRICS_BIN, [`-storageDataPath=${dataDir}`, `-httpListenAddr=127.0.0.1:${port}`, ...VICTORIA_METRICS_FLAGS]);
  return { url: `http://127.0.0.1:${port}`, proc };
}

/**
 * Starts vmalert on the rule files against `victoriaMetricsUrl` (query, recording results and
 * alert state written back, state restored from it), notifying every Alertmanager given. No
 * `alertgroup` label, so its alerts carry the labels Prometheus' do.
 */
export async function spawnVmalert(opts: { ruleFiles: string[]; victoriaMetricsUrl: string; alertmanagers: string[]; interval: string }): Promise<{ url: string; proc: Managed }> {
  requireBinary(VMALERT_BIN, 'victoria-metrics');
  const port = await freePort();
  const proc = spawnManaged('vmalert', VMALERT_BIN, [
    ...opts.ruleFiles.map((f) => `-rule=${f}`),
    `-datasource.url=${opts.victoriaMetricsUrl}`,
    `-remoteWrite.url=${opts.victoriaMetricsUrl}`,
    `-remoteRead.url=${opts.victoriaMetricsUrl}`,
    ...opts.alertmanagers.map((u) => `-notifier.url=${u}`),
    `-evaluationInterval=${opts.interval}`,
    '-remoteWrite.flushInterval=500ms',
    '-disableAlertgroupLabel',
    `-httpListenAddr=127.0.0.1:${port}`,
    '-loggerLevel=WARN',
  ]);
  return { url: `http://127.0.0.1:${port}`, proc };
}

interface ActiveTargets {
  data: { activeTargets: { labels: Record<string, string> }[] };
}

/**
 * The whole multi-cluster monitoring: Alertmanager replicas, VictoriaMetrics, vmalert and one
 * agent-mode Prometheus per cluster; waits until every one is ready.
 */
export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  await mkdir(opts.dir, { recursive: true });
  const interval = opts.interval ?? '1s';
  return withWebhook(async ({ webhook, started, stop }) => {
  const alertmanagers = await spawnAlertmanagers({ root: opts.root, dir: opts.dir, webhook, replicas: opts.alertmanagerReplicas ?? 2 });
  started.push(...alertmanagers.map((am) => am.proc));
  const vm = await spawnVictoriaMetrics(path.join(opts.dir, 'victoria-metrics-data'));
  started.push(vm.proc);
  const ruleFiles = await writeShippedRules(opts.root, opts.dir, opts.shorten ?? DEFAULT_SHORTEN);
  const vmalert = await spawnVmalert({ ruleFiles, victoriaMetricsUrl: vm.url, alertmanagers: alertmanagers.map((am) => am.url), interval });
  started.push(vmalert.proc);

  const example = await shippedScrapeExample(opts.root);
  const prometheus: Record<string, ClusterPrometheus> = {};
  for (const c of opts.clusters) {
    const configFile = path.join(opts.dir, `prometheus-${c.name}.yml`);
    const writeConfig = (targets: VmTarget[]) =>
      writeFile(
        configFile,
        prometheusForSim({
          example,
          targets,
          externalLabels: { cluster: c.name },
          remoteWrite: `${vm.url}/api/v1/write`,
          scrapeInterval: interval,
          evaluationInterval: interval,
        }),
      );
    await writeConfig(c.targets);
    const port = await freePort();
    const proc = spawnPrometheus(`prometheus ${c.name}`, { configFile, dataDir: path.join(opts.dir, `prometheus-${c.name}-data`), port, agent: true });
    started.push(proc);
    const url = `http://127.0.0.1:${port}`;
    prometheus[c.name] = {
      url,
      proc,
      async setTargets(targets) {
        await writeConfig(targets);
        process.kill(proc.pid, 'SIGHUP');
        const want = targets.map((t) => t.node).sort();
        await waitFor(
          `prometheus ${c.name} scraping ${want.join(', ') || 'nothing'}`,
          { timeoutMs: 20_000 },
          async () => ((await (await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(5000) })).json()) as ActiveTargets).data.activeTargets.map((t) => t.labels.node ?? '').sort(),
          (nodes) => JSON.stringify(nodes) === JSON.stringify(want),
        );
      },
    };
  }
  await Promise.all([
    ...alertmanagers.map((am) => waitHttpReady(`${am.url}/-/ready`, { timeoutMs: 30_000, proc: am.proc })),
    waitHttpReady(`${vm.url}/health`, { timeoutMs: 30_000, proc: vm.proc }),
    waitHttpReady(`${vmalert.url}/health`, { timeoutMs: 30_000, proc: vmalert.proc }),
    ...Object.values(prometheus).map((p) => waitHttpReady(`${p.url}/-/ready`, { timeoutMs: 30_000, proc: p.proc })),
  ]);
  return { victoriaMetricsUrl: vm.url, vmalertUrl: vmalert.url, webhook, alertmanagers, prometheus, stop };
  });
}
