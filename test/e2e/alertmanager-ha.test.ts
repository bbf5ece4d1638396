// Alertmanager in HA: the simulated cluster scraped by a real Prometheus that sends every alert to
// two real Alertmanager replicas peered by gossip on loopback (src/sim/prometheus.ts,
// ALERTMANAGER_GOSSIP_FLAGS), both loaded with the shipped example, both notifying the webhook
// that is this test. A short scenario: a LUN lost and back with both replicas up; another LUN lost,
// the replica that notifies first SIGKILLed before its alert fires, the LUN back (notified by the
// survivor); multipathd down on a node (its alert notified once, the LUN alerts it inhibits
// never). Every (alert, status) pair reaches the webhook exactly once. Requires
// /usr/bin/prometheus and /usr/bin/prometheus-alertmanager (scripts/install-deps.sh).
import { alertmanagerStatus as status, firstNotifyingReplica, inhibitedInAlertmanager, type Simulation, startSimulation } from '../support/simulation.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimCluster } from '../../src/sim/cluster.js';
import { liveProcesses, sleep, waitFor } from '../../src/sim/processes.js';
import { alertmanagerAlerts, type Monitoring } from '../../src/sim/prometheus.js';
import { alertKey, type ExpectedAlert, expectedAlerts, parseScenario } from '../../src/sim/scenario.js';

const scenario = parseScenario(
  `
name: alertmanager-ha
description: Three nodes, two LUNs; a LUN lost and back twice (one replica killed in between), then multipathd down on a node.
nodes: [node1, node2, node3]
luns:
  - { wwid: 3600a098038314c6f6b5d4f2d41434b31, alias: vmstore, paths: 2 }
  - { wwid: 36001405e3f1c2a4b5d6e7f8091a2b3c4, alias: backup, paths: 2 }
phases:
  - { name: optimal, duration: 5s }
  - { name: lun-lost, duration: 15s, events: [{ do: lunLost, node: node3, lun: backup }] }
  - { name: lun-back, duration: 10s, events: [{ do: lunRestore, node: node3, lun: backup }] }
  - { name: other-lun-lost, duration: 15s, events: [{ do: lunLost, node: node2, lun: vmstore }] }
  - { name: other-lun-back, duration: 10s, events: [{ do: lunRestore, node: node2, lun: vmstore }] }
  - { name: daemon-down, duration: 15s, events: [{ do: daemonStop, node: node1 }] }
`,
  'alertmanager-ha',
);
const CLUSTER = 'ha';
/** After the first notification, long enough for a late duplicate: the second replica's
 * peer-timeout wait (2s, ALERTMANAGER_GOSSIP_FLAGS) and two group intervals (HA_GROUP_INTERVAL, 4s). */
const SETTLE_MS = 10_000;

let sim: Simulation | undefined;
let cluster: SimCluster | undefined;
let mon: Monitoring | undefined;


/** How many times each `<alert key> <status>` reached the webhook (an alert of a group counts per notification). */
function counts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of mon?.webhook.notifications ?? []) for (const a of n.alerts) out[`${alertKey(a.labels)} ${a.status}`] = (out[`${alertKey(a.labels)} ${a.status}`] ?? 0) + 1;
  return out;
}
const notified = (a: ExpectedAlert, s: 'firing' | 'resolved') => counts()[`${alertKey(a)} ${s}`] ?? 0;
const only = (list: ExpectedAlert[]): ExpectedAlert => {
  expect(list).toHaveLength(1);
  return list[0]!;
};

beforeAll(async () => {
  sim = await startSimulation(scenario, { cluster: CLUSTER, alertmanagerReplicas: 2 });
  ({ cluster, mon } = sim);
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  expect(liveProcesses().map((p) => p.name)).toEqual([]);
}, 60_000);

/** Applies phase `index`, whose one expected firing alert (or, with `resolves`, that alert's
 * resolution) reaches the webhook; waits SETTLE_MS for a duplicate; returns the alert. */
async function phaseNotifiedOnce(index: number, resolves?: ExpectedAlert): Promise<ExpectedAlert> {
  await cluster!.setPhase(index);
  const [alert, state] = resolves ? [resolves, 'resolved' as const] : [only(expectedAlerts(scenario, index).firing), 'firing' as const];
  await waitFor(`${alertKey(alert)} ${state} at the webhook`, { timeoutMs: 40_000 }, async () => notified(alert, state), (n) => n > 0);
  await sleep(SETTLE_MS);
  expect(notified(alert, state), `${alertKey(alert)} ${state}`).toBe(1);
  return alert;
}

describe('two Alertmanager replicas behind one Prometheus', () => {
  const seen: ExpectedAlert[] = [];

  it('the replicas form one ready gossip cluster', async () => {
    for (const am of mon!.alertmanagers) {
      await waitFor(
        `${am.url} in a ready cluster of 2`,
        { timeoutMs: 20_000 },
        () => status(am.url),
        (s) => s.cluster.status === 'ready' && s.cluster.peers.length === 2,
      );
    }
  }, 30_000);

  it('both replicas up: a lost LUN is notified once, and its return once', async () => {
    const lost = await phaseNotifiedOnce(1);
    seen.push(lost);
    // both replicas got it from Prometheus: without the gossiped notification log each notifies
    for (const am of mon!.alertmanagers) {
      const held = (await alertmanagerAlerts(am.url)).find((x) => alertKey(x.labels) === alertKey(lost));
      expect(held?.status.state, am.url).toBe('active');
    }
    await phaseNotifiedOnce(2, lost);
  }, 90_000);

  it('the replica that notifies first killed mid-phase: the alert and its return still arrive, once each', async () => {
    await cluster!.setPhase(3);
    const victim = await firstNotifyingReplica(mon!.alertmanagers);
    expect(victim).toBeDefined();
    process.kill(-victim!.proc.pid, 'SIGKILL');
    await victim!.proc.exited;
    const lost = await phaseNotifiedOnce(3);
    seen.push(lost);
    await phaseNotifiedOnce(4, lost);
  }, 90_000);

  it('multipathd down: its alert is notified once, the LUN alerts it inhibits never', async () => {
    const daemonDown = await phaseNotifiedOnce(5);
    const { inhibited } = expectedAlerts(scenario, 5);
    expect(inhibited.length).toBeGreaterThan(0);
    const survivor = mon!.alertmanagers.find((am) => am.proc.running())!;
    const held = await inhibitedInAlertmanager(mon!, survivor.url, inhibited, { firing: 30_000, held: 20_000 });
    for (const [i, a] of inhibited.entries()) expect(held[i]!.status.state, alertKey(a)).toBe('suppressed');
    await sleep(SETTLE_MS);
    // every pair exactly once, and nothing else (the inhibited alerts above all)
    const want: Record<string, number> = { [`${alertKey(daemonDown)} firing`]: 1 };
    for (const a of seen) Object.assign(want, { [`${alertKey(a)} firing`]: 1, [`${alertKey(a)} resolved`]: 1 });
    expect(counts()).toEqual(want);
  }, 90_000);
});
