// Real Prometheus and Alertmanager for the simulated cluster, on 127.0.0.1 with free ports and temp
// dirs, loaded with our shipped rules and Alertmanager example through the documented transforms
// (transform-rules.ts); the harness itself is the webhook receiver. Plus query helpers.
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, type Managed, spawnManaged, waitHttpReady } from './processes.js';
import { alertmanagerForSim, prometheusForSim, shortenAlertRules, type ShortenOptions } from './transform-rules.js';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

// ------------------------------------------------------------------------------------ webhook

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

export interface Notification {
  /** The receiver the route chose (the last URL segment, see alertmanagerForSim). */
  receiver: string;
  receivedAt: number;
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  alerts: WebhookAlert[];
}

export interface Webhook {
  url: string;
  notifications: Notification[];
  close(): Promise<void>;
}

/** A tiny HTTP server collecting Alertmanager webhook notifications (v4 payloads). */
export async function startWebhook(): Promise<Webhook> {
  const notifications: Notification[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Notification, 'receiver' | 'receivedAt'>;
        notifications.push({
          receiver: decodeURIComponent((req.url ?? '/').split('/').filter(Boolean).pop() ?? ''),
          receivedAt: Date.now(),
          status: body.status,
          groupLabels: body.groupLabels ?? {},
          alerts: body.alerts ?? [],
        });
        res.writeHead(200).end('ok');
      } catch {
        res.writeHead(400).end('bad json');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    notifications,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// --------------------------------------------------------------------------- Prometheus + AM

export interface MonitoringOptions {
  /** Repository root (alerts/, examples/). */
  root: string;
  /** Temp dir for configs and storage (created). */
  dir: string;
  targets: { node: string; address: string }[];
  cluster?: string;
  /** `for:` shortening; default factor 30 (10m -> 20s). */
  shorten?: ShortenOptions;
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** Alertmanager route timers (default 1s / 2s / 1h). */
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  /** Alertmanager replicas, peered on loopback (default 1: no cluster). */
  alertmanagerReplicas?: number;
}

export interface Monitoring {
  prometheusUrl: string;
  alertmanagerUrl: string;
  webhook: Webhook;
  prometheus: Managed;
  alertmanager: Managed;
  /** Every replica (the first is `alertmanager`), each with its URL. */
  alertmanagers: AlertmanagerReplica[];
  stop(): Promise<void>;
}

export const DEFAULT_SHORTEN: ShortenOptions = { factor: 30, minMs: 1000 };

/**
 * Gossip timings of an Alertmanager cluster under the simulation's short route timers. Replica N
 * takes its snapshot of a group at its flush, waits N x peer-timeout, then notifies only what the
 * notification log (gossiped from the replicas before it) does not already record. A replica
 * logs a notification only once the webhook has answered, so the wait must outlast that answer
 * plus one gossip round trip (100ms rounds on loopback: a few hundred ms; 2s leaves room for a
 * loaded 2-core machine), and stay below the group_interval: a longer wait (the
 * default 15s) delays the replica's next flush, so its snapshot goes stale, and after an alert
 * fires and resolves within the wait it notifies both again (measured: the default notifies
 * firing and resolved twice each). Hence 2s, with a 4s group_interval for a cluster
 * (HA_GROUP_INTERVAL). Push-pull every 5s repairs a missed broadcast within a phase; probes every
 * 500ms find a killed replica within seconds (until then the survivor only waits its
 * peer-timeout); settle-timeout bounds the start-up wait for the peers.
 */
export const ALERTMANAGER_GOSSIP_FLAGS = [
  '--cluster.peer-timeout=2s',
  '--cluster.gossip-interval=100ms',
  '--cluster.pushpull-interval=5s',
  '--cluster.probe-interval=500ms',
  '--cluster.settle-timeout=10s',
];

/** The group_interval of a simulated Alertmanager cluster: twice its peer-timeout (above). */
export const HA_GROUP_INTERVAL = '4s';

export interface AlertmanagerClusterOptions {
  root: string;
  /** Temp dir for the config and each replica's storage (exists). */
  dir: string;
  webhook: Webhook;
  /** Replicas, peered on loopback (1: no cluster). */
  replicas: number;
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

export interface AlertmanagerReplica {
  proc: Managed;
  url: string;
}

/**
 * Writes the transformed Alertmanager example and starts its replicas (gossiping on loopback when
 * there is more than one); returns them at once, each with its URL (wait for `/-/ready`).
 */
export async function spawnAlertmanagers(opts: AlertmanagerClusterOptions): Promise<AlertmanagerReplica[]> {
  if (!existsSync(ALERTMANAGER_BIN)) throw new Error(`${ALERTMANAGER_BIN} is missing: run scripts/install-deps.sh (Debian package prometheus-alertmanager)`);
  const { replicas } = opts;
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`alertmanagerReplicas must be a positive integer, got ${replicas}`);
  const file = (name: string) => path.join(opts.dir, name);
  const amPorts: number[] = [];
  const gossipPorts: number[] = [];
  for (let i = 0; i < replicas; i++) amPorts.push(await freePort());
  if (replicas > 1) for (let i = 0; i < replicas; i++) gossipPorts.push(await freePort());
  await writeFile(
    file('alertmanager.yml'),
    alertmanagerForSim(await readFile(path.join(opts.root, 'alerts/alertmanager.example.yml'), 'utf8'), {
      webhookBase: opts.webhook.url,
      groupWait: opts.groupWait ?? '1s',
      groupInterval: opts.groupInterval ?? (replicas > 1 ? HA_GROUP_INTERVAL : '2s'),
      repeatInterval: opts.repeatInterval ?? '1h',
    }),
  );
  return amPorts.map((port, i) => {
    const gossip =
      replicas > 1
        ? [
            `--cluster.listen-address=127.0.0.1:${gossipPorts[i]}`,
            `--cluster.advertise-address=127.0.0.1:${gossipPorts[i]}`,
            ...gossipPorts.filter((_, j) => j !== i).map((p) => `--cluster.peer=127.0.0.1:${p}`),
            ...ALERTMANAGER_GOSSIP_FLAGS,
          ]
        : ['--cluster.listen-address='];
    const proc = spawnManaged(replicas > 1 ? `alertmanager ${i + 1}` : 'alertmanager', ALERTMANAGER_BIN, [
      `--config.file=${file('alertmanager.yml')}`,
      `--storage.path=${file(replicas > 1 ? `alertmanager-data-${i + 1}` : 'alertmanager-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...gossip,
      '--log.level=warn',
    ]);
    return { proc, url: `http://127.0.0.1:${port}` };
  });
}

/** Starts Prometheus on `port` with the config file given (`agent`: agent mode, no local storage or rules). */
export function spawnPrometheus(name: string, opts: { configFile: string; dataDir: string; port: number; agent?: boolean }): Managed {
  if (!existsSync(PROMETHEUS_BIN)) throw new Error(`${PROMETHEUS_BIN} is missing: run scripts/install-deps.sh (Debian package prometheus)`);
  return spawnManaged(name, PROMETHEUS_BIN, [
    `--config.file=${opts.configFile}`,
    ...(opts.agent ? ['--enable-feature=agent', `--storage.agent.path=${opts.dataDir}`] : [`--storage.tsdb.path=${opts.dataDir}`]),
    `--web.listen-address=127.0.0.1:${opts.port}`,
    '--log.level=warn',
  ]);
}

/** Text of examples/prometheus.yml, when the repository has one (its `multipath` job is the template). */
export async function shippedScrapeExample(root: string): Promise<string | undefined> {
  const examplePath = path.join(root, 'examples/prometheus.yml');
  return existsSync(examplePath) ? readFile(examplePath, 'utf8') : undefined;
}

/** Writes the shipped recording rules and the alerting rules with `for:` shortened into `dir`; returns both paths. */
export async function writeShippedRules(root: string, dir: string, shorten: ShortenOptions): Promise<string[]> {
  const [rules, alerts] = [path.join(dir, 'multipath.rules.yml'), path.join(dir, 'multipath.alerts.yml')];
  await writeFile(rules, await readFile(path.join(root, 'alerts/multipath.rules.yml'), 'utf8'));
  await writeFile(alerts, shortenAlertRules(await readFile(path.join(root, 'alerts/multipath.alerts.yml'), 'utf8'), shorten));
  return [rules, alerts];
}

/** What a monitoring setup has started so far: the webhook, the processes, and how to stop them all. */
export interface Started {
  webhook: Webhook;
  /** Push every process as it is spawned, so that a failure later stops it. */
  started: Managed[];
  stop(): Promise<void>;
}

/** Starts the webhook and runs `build`; if `build` throws, stops what it had started and rethrows. */
export async function withWebhook<T>(build: (s: Started) => Promise<T>): Promise<T> {
  const webhook = await startWebhook();
  const started: Managed[] = [];
  const stop = async () => {
    await Promise.all(started.map((m) => m.stop()));
    await webhook.close();
  };
  try {
    return await build({ webhook, started, stop });
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Writes the transformed configs and starts Alertmanager, then Prometheus; waits until both are ready. */
export async function startMonitoring(opts: MonitoringOptions): Promise<Monitoring> {
  await mkdir(opts.dir, { recursive: true });
  const file = (name: string) => path.join(opts.dir, name);

  return withWebhook(async ({ webhook, started, stop }) => {
  const alertmanagers = await spawnAlertmanagers({
    root: opts.root,
    dir: opts.dir,
    webhook,
    replicas: opts.alertmanagerReplicas ?? 1,
    groupWait: opts.groupWait,
    groupInterval: opts.groupInterval,
    repeatInterval: opts.repeatInterval,
  });
  started.push(...alertmanagers.map((am) => am.proc));
  const promPort = await freePort();
  const ruleFiles = await writeShippedRules(opts.root, opts.dir, opts.shorten ?? DEFAULT_SHORTEN);
  await writeFile(
    file('prometheus.yml'),
    prometheusForSim({
      example: await shippedScrapeExample(opts.root),
      targets: opts.targets,
      cluster: opts.cluster,
      ruleFiles,
      alertmanager: alertmanagers.map((am) => am.url.replace(/^http:\/\//, '')),
      scrapeInterval: opts.scrapeInterval ?? '1s',
      evaluationInterval: opts.evaluationInterval ?? '1s',
    }),
  );
  const prometheus = spawnPrometheus('prometheus', { configFile: file('prometheus.yml'), dataDir: file('prometheus-data'), port: promPort });
  started.push(prometheus);
  const prometheusUrl = `http://127.0.0.1:${promPort}`;
  await Promise.all([
    ...alertmanagers.map((am) => waitHttpReady(`${am.url}/-/ready`, { timeoutMs: 30_000, proc: am.proc })),
    waitHttpReady(`${prometheusUrl}/-/ready`, { timeoutMs: 30_000, proc: prometheus }),
  ]);
  const first = alertmanagers[0]!;
  return { prometheusUrl, alertmanagerUrl: first.url, webhook, prometheus, alertmanager: first.proc, alertmanagers, stop };
  });
}

// ----------------------------------------------------------------------------------- queries

export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

/** An instant query against Prometheus' HTTP API; throws on an error reply. */
export async function queryPrometheus(baseUrl: string, expr: string, time?: number): Promise<PromSample[]> {
  const body = new URLSearchParams({ query: expr });
  if (time !== undefined) body.set('time', String(time));
  const res = await fetch(new URL('/api/v1/query', baseUrl), { method: 'POST', body, signal: AbortSignal.timeout(5000) });
  const json = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
  if (json.status !== 'success' || !json.data) throw new Error(`query ${expr}: ${json.error ?? `HTTP ${res.status}`}`);
  if (json.data.resultType === 'scalar') {
    const [, v] = json.data.result as [number, string];
    return [{ labels: {}, value: Number(v) }];
  }
  if (json.data.resultType !== 'vector') throw new Error(`query ${expr}: unexpected ${json.data.resultType}`);
  return (json.data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
}

export interface MatrixReading {
  /** wwid -> node -> code */
  cells: Record<string, Record<string, number>>;
  /** wwid -> roll-up */
  rollup: Record<string, number>;
  /** wwid -> alias (node_wwid:multipath_alias:info) */
  aliases: Record<string, string>;
}

/**
 * The matrix and roll-up as the recording rules compute them, read through the Prometheus query API
 * (Prometheus or VictoriaMetrics); `matchers` (`cluster="east"`) selects one cluster's series.
 */
export async function readMatrix(baseUrl: string, matchers = ''): Promise<MatrixReading> {
  const [cellSamples, rollSamples, aliasSamples] = await Promise.all([
    queryPrometheus(baseUrl, `node_wwid:multipath_state:code{${matchers}}`),
    queryPrometheus(baseUrl, `wwid:multipath_state:max{${matchers}}`),
    queryPrometheus(baseUrl, `node_wwid:multipath_alias:info{${matchers}}`).catch(() => [] as PromSample[]),
  ]);
  const cells: MatrixReading['cells'] = {};
  for (const s of cellSamples) (cells[s.labels.wwid ?? ''] ??= {})[s.labels.node ?? ''] = s.value;
  const rollup: MatrixReading['rollup'] = {};
  for (const s of rollSamples) rollup[s.labels.wwid ?? ''] = s.value;
  const aliases: MatrixReading['aliases'] = {};
  for (const s of aliasSamples) if (s.labels.alias) aliases[s.labels.wwid ?? ''] = s.labels.alias;
  return { cells, rollup, aliases };
}

export interface AmAlert {
  labels: Record<string, string>;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
}

/** Alerts Alertmanager holds (active and inhibited). */
export async function alertmanagerAlerts(baseUrl: string): Promise<AmAlert[]> {
  const res = await fetch(new URL('/api/v2/alerts', baseUrl), { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`Alertmanager /api/v2/alerts: HTTP ${res.status}`);
  return (await res.json()) as AmAlert[];
}
