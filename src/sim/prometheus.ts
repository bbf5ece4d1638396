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
}

export interface Monitoring {
  prometheusUrl: string;
  alertmanagerUrl: string;
  webhook: Webhook;
  prometheus: Managed;
  alertmanager: Managed;
  stop(): Promise<void>;
}

export const DEFAULT_SHORTEN: ShortenOptions = { factor: 30, minMs: 1000 };

/** Writes the transformed configs and starts Alertmanager, then Prometheus; waits until both are ready. */
export async function startMonitoring(opts: MonitoringOptions): Promise<Monitoring> {
  for (const bin of [PROMETHEUS_BIN, ALERTMANAGER_BIN]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run scripts/install-deps.sh (Debian packages prometheus, prometheus-alertmanager)`);
  }
  await mkdir(opts.dir, { recursive: true });
  const file = (name: string) => path.join(opts.dir, name);
  const shipped = (rel: string) => readFile(path.join(opts.root, rel), 'utf8');

  const webhook = await startWebhook();
  const started: Managed[] = [];
  const stop = async () => {
    await Promise.all(started.map((m) => m.stop()));
    await webhook.close();
  };
  try {
    const [amPort, promPort] = [await freePort(), await freePort()];
    await writeFile(
      file('alertmanager.yml'),
      alertmanagerForSim(await shipped('alerts/alertmanager.example.yml'), {
        webhookBase: webhook.url,
        groupWait: opts.groupWait ?? '1s',
        groupInterval: opts.groupInterval ?? '2s',
        repeatInterval: opts.repeatInterval ?? '1h',
      }),
    );
    await writeFile(file('multipath.rules.yml'), await shipped('alerts/multipath.rules.yml'));
    await writeFile(file('multipath.alerts.yml'), shortenAlertRules(await shipped('alerts/multipath.alerts.yml'), opts.shorten ?? DEFAULT_SHORTEN));
    const examplePath = path.join(opts.root, 'examples/prometheus.yml');
    await writeFile(
      file('prometheus.yml'),
      prometheusForSim({
        example: existsSync(examplePath) ? await readFile(examplePath, 'utf8') : undefined,
        targets: opts.targets,
        cluster: opts.cluster,
        ruleFiles: [file('multipath.rules.yml'), file('multipath.alerts.yml')],
        alertmanager: `127.0.0.1:${amPort}`,
        scrapeInterval: opts.scrapeInterval ?? '1s',
        evaluationInterval: opts.evaluationInterval ?? '1s',
      }),
    );

    const alertmanager = spawnManaged('alertmanager', ALERTMANAGER_BIN, [
      `--config.file=${file('alertmanager.yml')}`,
      `--storage.path=${file('alertmanager-data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ]);
    started.push(alertmanager);
    const prometheus = spawnManaged('prometheus', PROMETHEUS_BIN, [
      `--config.file=${file('prometheus.yml')}`,
      `--storage.tsdb.path=${file('prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ]);
    started.push(prometheus);
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    const alertmanagerUrl = `http://127.0.0.1:${amPort}`;
    await Promise.all([
      waitHttpReady(`${alertmanagerUrl}/-/ready`, { timeoutMs: 30_000, proc: alertmanager }),
      waitHttpReady(`${prometheusUrl}/-/ready`, { timeoutMs: 30_000, proc: prometheus }),
    ]);
    return { prometheusUrl, alertmanagerUrl, webhook, prometheus, alertmanager, stop };
  } catch (err) {
    await stop();
    throw err;
  }
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

/** The matrix and roll-up as Prometheus' recording rules compute them. */
export async function readMatrix(baseUrl: string): Promise<MatrixReading> {
  const [cellSamples, rollSamples, aliasSamples] = await Promise.all([
    queryPrometheus(baseUrl, 'node_wwid:multipath_state:code'),
    queryPrometheus(baseUrl, 'wwid:multipath_state:max'),
    queryPrometheus(baseUrl, 'node_wwid:multipath_alias:info').catch(() => [] as PromSample[]),
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
