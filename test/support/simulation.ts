// The simulated cluster with a real Prometheus and Alertmanager(s) in a temp dir, or several
// clusters with VictoriaMetrics and vmalert, started and stopped as one, and what the end-to-end
// tests ask of them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type SimCluster, startCluster } from '../../src/sim/cluster.js';
import { waitFor } from '../../src/sim/processes.js';
import { alertmanagerAlerts, type AmAlert, type Monitoring, type Notification, queryPrometheus, startMonitoring, type Webhook } from '../../src/sim/prometheus.js';
import { alertKey, type ExpectedAlert, type Scenario } from '../../src/sim/scenario.js';
import { type Fleet, startFleet } from '../../src/sim/victoriametrics.js';
import { REPO } from './repo.js';

/** JSON with every object's keys sorted: equal for equal content whatever the key order. */
export const canonicalJson = (o: unknown) => JSON.stringify(o, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));

/** One alert of a webhook notification, as the receiver got it. */
export interface ReceivedAlert {
  key: string;
  status: 'firing' | 'resolved';
  receiver: string;
  at: number;
  labels: Record<string, string>;
}

/**
 * The alerts the webhook was told about, once per news: a notification lists every alert of its
 * group, so an alert still firing is listed again when another member of the group fires or
 * resolves. Per group (receiver and group labels), an alert's listing counts when its status
 * differs from its previous listing in that group, and every listing of a notification counts
 * when the notification repeats one the group already had (a second replica delivering the same
 * news: what the exactly-once checks exist to catch).
 */
export function notifiedAlerts(
  webhook: Webhook | undefined,
  key: (labels: Record<string, string>) => string,
  killed?: { at: number; windowMs: number },
): ReceivedAlert[] {
  const lastStatus = new Map<string, string>();
  const payloads = new Map<string, number>();
  const out: ReceivedAlert[] = [];
  for (const n of webhook?.notifications ?? []) {
    const group = `${n.receiver} ${canonicalJson(n.groupLabels)}`;
    const listed = alertsOf(n, key);
    const payload = `${group} ${canonicalJson(listed.map((a) => `${a.key} ${a.status}`).sort())}`;
    const before = payloads.get(payload);
    // `killed`: a replica SIGKILLed just after it notified dies before gossiping that, and the
    // survivor sends the same news again (Alertmanager delivers at least once): not a duplicate.
    const resentForTheKilled = before !== undefined && killed !== undefined && before <= killed.at && killed.at - before <= killed.windowMs && n.receivedAt - killed.at <= killed.windowMs;
    const repeated = before !== undefined && !resentForTheKilled;
    payloads.set(payload, n.receivedAt);
    for (const a of listed) {
      const member = `${group} ${a.key}`;
      if (repeated || lastStatus.get(member) !== a.status) out.push(a);
      lastStatus.set(member, a.status);
    }
  }
  return out;
}

/** Every alert of every notification the webhook got so far, in order, each named by `key`. */
export const receivedAlerts = (webhook: Webhook | undefined, key: (labels: Record<string, string>) => string): ReceivedAlert[] =>
  (webhook?.notifications ?? []).flatMap((n) => alertsOf(n, key));

/** The alerts one notification lists, each named by `key`. */
const alertsOf = (n: Notification, key: (labels: Record<string, string>) => string): ReceivedAlert[] =>
  n.alerts.map((a) => ({ key: key(a.labels), status: a.status, receiver: n.receiver, at: n.receivedAt, labels: a.labels }));

export interface Simulation {
  cluster: SimCluster;
  mon: Monitoring;
  /** Stops Prometheus, Alertmanager and every node, then removes the temp dir. */
  stop(): Promise<void>;
}

export async function startSimulation(scenario: Scenario, opts: { cluster: string; alertmanagerReplicas?: number }): Promise<Simulation> {
  const dir = await mkdtemp(path.join(tmpdir(), `multipath-${opts.cluster}-`));
  let cluster: SimCluster | undefined;
  let mon: Monitoring | undefined;
  const stop = async () => {
    await mon?.stop();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    cluster = await startCluster({ scenario, root: REPO, dir: path.join(dir, 'cluster') });
    mon = await startMonitoring({
      root: REPO,
      dir: path.join(dir, 'monitoring'),
      cluster: opts.cluster,
      targets: cluster.nodes.map((n) => ({ node: n.name, address: `127.0.0.1:${n.port}` })),
      ...(opts.alertmanagerReplicas ? { alertmanagerReplicas: opts.alertmanagerReplicas } : {}),
    });
    return { cluster, mon, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Waits until every `inhibited` alert fires in Prometheus and is held, suppressed, by the
 * Alertmanager at `alertmanagerUrl`; returns what that Alertmanager holds for them.
 */
export async function inhibitedInAlertmanager(
  mon: Monitoring,
  alertmanagerUrl: string,
  inhibited: ExpectedAlert[],
  timeoutMs: { firing: number; held: number },
): Promise<AmAlert[]> {
  for (const a of inhibited) {
    await waitFor(
      `${alertKey(a)} firing in Prometheus`,
      { timeoutMs: timeoutMs.firing },
      () => queryPrometheus(mon.prometheusUrl, `ALERTS{alertstate="firing",alertname="${a.alertname}",node="${a.node}",wwid="${a.wwid}"}`),
      (s) => s.length === 1,
    );
  }
  const all = await waitFor(
    'the inhibited alerts in Alertmanager',
    { timeoutMs: timeoutMs.held },
    () => alertmanagerAlerts(alertmanagerUrl),
    (held) => inhibited.every((a) => held.some((x) => alertKey(x.labels) === alertKey(a))),
  );
  return inhibited.map((a) => all.find((x) => alertKey(x.labels) === alertKey(a))!);
}

/** Status of an Alertmanager replica (its gossip cluster and peers). */
export interface AlertmanagerClusterStatus {
  cluster: { name: string; status: string; peers: { name: string; address: string }[] };
}
export const alertmanagerStatus = async (url: string) =>
  (await (await fetch(new URL('/api/v2/status', url), { signal: AbortSignal.timeout(5000) })).json()) as AlertmanagerClusterStatus;

/**
 * The replica of a gossip cluster that notifies first: a replica's position is the rank of its
 * peer name, and position 0 notifies without waiting.
 */
export async function firstNotifyingReplica<R extends { url: string }>(replicas: R[]): Promise<R | undefined> {
  const firstName = (await alertmanagerStatus(replicas[0]!.url)).cluster.peers.map((p) => p.name).sort()[0];
  for (const am of replicas) if ((await alertmanagerStatus(am.url)).cluster.name === firstName) return am;
  return undefined;
}

export interface FleetSimulation {
  clusters: { name: string; scenario: Scenario; sim: SimCluster }[];
  fleet: Fleet;
  stop(): Promise<void>;
}

/**
 * Several simulated clusters, each scraped by its own agent-mode Prometheus (`cluster` external
 * label) into one VictoriaMetrics, with vmalert and an Alertmanager cluster (src/sim/victoriametrics.ts).
 */
export async function startFleetSimulation(clusters: { name: string; scenario: Scenario }[], opts: { alertmanagerReplicas?: number } = {}): Promise<FleetSimulation> {
  const dir = await mkdtemp(path.join(tmpdir(), 'multipath-fleet-'));
  const sims: FleetSimulation['clusters'] = [];
  let fleet: Fleet | undefined;
  const stop = async () => {
    await fleet?.stop();
    await Promise.all(sims.map((c) => c.sim.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const c of clusters) sims.push({ ...c, sim: await startCluster({ scenario: c.scenario, root: REPO, dir: path.join(dir, c.name) }) });
    fleet = await startFleet({
      root: REPO,
      dir: path.join(dir, 'monitoring'),
      clusters: sims.map((c) => ({ name: c.name, targets: c.sim.nodes.map((n) => ({ node: n.name, address: `127.0.0.1:${n.port}` })) })),
      ...(opts.alertmanagerReplicas ? { alertmanagerReplicas: opts.alertmanagerReplicas } : {}),
    });
    return { clusters: sims, fleet, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
