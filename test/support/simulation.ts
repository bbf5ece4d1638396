// The simulated cluster with a real Prometheus and Alertmanager(s) in a temp dir, started and
// stopped as one, for the end-to-end tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type SimCluster, startCluster } from '../../src/sim/cluster.js';
import { type Monitoring, startMonitoring } from '../../src/sim/prometheus.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { REPO } from './repo.js';

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
