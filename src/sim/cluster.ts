// The simulated cluster: per node a fake multipathd on its own abstract socket (speaking the real
// protocol, answering from the scenario's state) and the REAL exporter process (`node --import tsx
// src/cli.ts serve`) with a generated config on a free 127.0.0.1 port. `apply(state)` converges the
// processes to a scenario state: exporters killed or started, fake daemons closed or reopened, maps
// and paths changed (the next `show maps json` answers from the new state). Each node also applies
// the cluster config (into temp dirs, with a fake multipath(8) that edits only its wwids file), so
// the config and apply metrics are real too.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { fakeMultipathCommand, writeFakeMultipath } from './fake-multipath.js';
import { type FakeMultipathd, startFakeMultipathd } from './fake-multipathd.js';
import { mapsReply, statusReply } from './maps-reply.js';
import { freePort, type Managed, spawnManaged, waitHttpReady } from './processes.js';
import { type ClusterState, exporterConfig, initialState, nodeMaps, nodeSysfs, type Scenario, stateAfterPhase } from './scenario.js';

export interface SimNode {
  name: string;
  port: number;
  /** Landing page and /metrics base. */
  url: string;
  socket: string;
  configFile: string;
}

export interface SimCluster {
  scenario: Scenario;
  nodes: SimNode[];
  /** The state the processes currently reflect. */
  state(): ClusterState;
  /** Converges every node to `state` (starts/stops exporters and daemons). */
  apply(state: ClusterState): Promise<void>;
  /** apply(stateAfterPhase(index)). */
  setPhase(index: number): Promise<void>;
  /** Stops every exporter and fake daemon. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  scenario: Scenario;
  /** Repository root: the exporter runs from here (src/cli.ts, node_modules/tsx). */
  root: string;
  /** Temp dir for configs and the fake sysfs (created). */
  dir: string;
  /** Initial state (default: every node up, every path active). */
  initial?: ClusterState;
  exporterReadyTimeoutMs?: number;
}

interface NodeRuntime {
  node: SimNode;
  exporter?: Managed;
  daemon?: FakeMultipathd;
}

export async function startCluster(opts: ClusterOptions): Promise<SimCluster> {
  const { scenario } = opts;
  await mkdir(opts.dir, { recursive: true });
  // A fake sysfs with each map's size and (empty) holders, so the exporter never reads the host's.
  const sysfsRoot = path.join(opts.dir, 'sysfs');
  for (const { dm, sizeSectors } of nodeSysfs(scenario)) {
    await mkdir(path.join(sysfsRoot, 'block', dm, 'holders'), { recursive: true });
    await writeFile(path.join(sysfsRoot, 'block', dm, 'size'), `${sizeSectors}\n`);
  }
  // The apply runs this instead of multipath(8): it edits only the node's temporary wwids file.
  const fakeMultipath = path.join(opts.dir, 'fake-multipath.sh');
  await writeFakeMultipath(fakeMultipath);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const runtimes: NodeRuntime[] = [];
  for (const name of scenario.nodes) {
    const port = await freePort();
    const socket = `@multipath-sim-${tag}-${name}`;
    const configFile = path.join(opts.dir, `${name}.yml`);
    const nodeDir = path.join(opts.dir, name);
    const wwidsFile = path.join(nodeDir, 'wwids');
    await mkdir(nodeDir, { recursive: true });
    const apply = { confDir: path.join(nodeDir, 'conf.d'), wwidsFile, stateDir: path.join(nodeDir, 'state'), multipath: fakeMultipathCommand(fakeMultipath, wwidsFile) };
    await writeFile(configFile, stringify(exporterConfig(scenario, name, { socket, listen: `127.0.0.1:${port}`, sysfsRoot, apply }), { lineWidth: 0 }));
    runtimes.push({ node: { name, port, url: `http://127.0.0.1:${port}`, socket, configFile } });
  }

  let current = opts.initial ?? initialState(scenario);
  const responder = (name: string) => (command: string) => {
    if (command === 'show daemon') return 'pid 4242 idle\n';
    if (command === 'show maps json') return mapsReply(nodeMaps(scenario, current, name));
    if (command === 'show status') return statusReply(nodeMaps(scenario, current, name));
    if (command === 'reconfigure') return 'ok\n';
    return 'fail\n';
  };

  const startExporter = async (rt: NodeRuntime) => {
    const proc = spawnManaged(`exporter ${rt.node.name}`, process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', rt.node.configFile], {
      cwd: opts.root,
      env: { ...process.env, NODE_NO_WARNINGS: '1' } as Record<string, string>,
    });
    rt.exporter = proc;
    await waitHttpReady(`${rt.node.url}/healthz`, { timeoutMs: opts.exporterReadyTimeoutMs ?? 60_000, proc });
  };

  const converge = async (rt: NodeRuntime, want: ClusterState) => {
    const ns = want.nodes[rt.node.name]!;
    if (ns.daemon && !rt.daemon) rt.daemon = await startFakeMultipathd({ socket: rt.node.socket, respond: responder(rt.node.name) });
    if (!ns.daemon && rt.daemon) {
      const d = rt.daemon;
      rt.daemon = undefined;
      await d.close();
    }
    if (ns.exporter && !rt.exporter?.running()) await startExporter(rt);
    if (!ns.exporter && rt.exporter) {
      const e = rt.exporter;
      rt.exporter = undefined;
      await e.stop();
    }
  };

  const cluster: SimCluster = {
    scenario,
    nodes: runtimes.map((r) => r.node),
    state: () => current,
    async apply(state) {
      current = state;
      await Promise.all(runtimes.map((rt) => converge(rt, state)));
    },
    setPhase(index) {
      return cluster.apply(stateAfterPhase(scenario, index));
    },
    async stop() {
      await Promise.all(
        runtimes.map(async (rt) => {
          const [e, d] = [rt.exporter, rt.daemon];
          rt.exporter = undefined;
          rt.daemon = undefined;
          await Promise.all([e?.stop(), d?.close()]);
        }),
      );
    },
  };
  try {
    await cluster.apply(current);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
