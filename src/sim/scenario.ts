// A simulated cluster over time (docs/demo.md): the scenario file's schema and pure functions that
// say what every node looks like in a phase (or at a time t), what each node's multipathd answers,
// each exporter's config, and what Prometheus' matrix, roll-up and alerts must then be (the
// matrix semantics of docs/rules.md, as the recording rules implement them).
import { z } from 'zod';
import { Duration, NodeName, Wwid } from '../common/core/config.js';
import { lunOnlyKnobShape } from '../common/core/multipath-knobs.js';
import { formatConfigError, parseYamlWithSchema } from '../common/core/yaml-schema.js';
import type { SimMap, SimPath } from './maps-reply.js';

// Node names and aliases follow the exporter config's rules: a scenario becomes its config.
const Alias = lunOnlyKnobShape.alias;
/** A path of a LUN on a node: 1-based index, or `all`. */
const PathRef = z.union([z.number().int().min(1), z.literal('all')]);

const onNode = { node: NodeName };
const onLun = { node: NodeName, lun: z.string().min(1) };

export const ScenarioEvent = z.discriminatedUnion('do', [
  /** A path's dm state goes `failed` (checker `faulty`); multipathd's path_faults counts it. */
  z.strictObject({ do: z.literal('pathFail'), ...onLun, path: PathRef }),
  z.strictObject({ do: z.literal('pathRestore'), ...onLun, path: PathRef }),
  /** The node has no map for the LUN any more (unzoned, flushed). */
  z.strictObject({ do: z.literal('lunLost'), ...onLun }),
  z.strictObject({ do: z.literal('lunRestore'), ...onLun }),
  /** The node's exporter process is killed / started again. */
  z.strictObject({ do: z.literal('exporterStop'), ...onNode }),
  z.strictObject({ do: z.literal('exporterStart'), ...onNode }),
  /** The node's multipathd stops answering (its socket is gone) / comes back. */
  z.strictObject({ do: z.literal('daemonStop'), ...onNode }),
  z.strictObject({ do: z.literal('daemonStart'), ...onNode }),
  /** Everything back as at the start, on one node or (without `node`) everywhere. */
  z.strictObject({ do: z.literal('recover'), node: NodeName.optional() }),
]);
export type ScenarioEvent = z.infer<typeof ScenarioEvent>;

export const ScenarioLun = z.strictObject({
  wwid: Wwid,
  alias: Alias,
  usedBy: z.string().max(128).optional(),
  /** Paths each node has to the LUN, also the config's expected `paths`. */
  paths: z.number().int().min(1).max(16).default(2),
  /** Nodes the LUN is presented to and expected on (config `nodes`); default every node. */
  nodes: z.array(NodeName).min(1).optional(),
  transport: z.enum(['iscsi', 'fc']).default('iscsi'),
  sizeGiB: z.number().positive().default(100),
});
export type ScenarioLun = z.infer<typeof ScenarioLun>;

export const ScenarioPhase = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a short kebab-case name'),
  description: z.string().optional(),
  /** How long the phase lasts on the demo's clock. */
  duration: Duration.prefault('20s'),
  /** Applied, in order, when the phase starts. */
  events: z.array(ScenarioEvent).default([]),
});
export type ScenarioPhase = z.infer<typeof ScenarioPhase>;

export const Scenario = z
  .strictObject({
    name: z.string().default('scenario'),
    description: z.string().optional(),
    nodes: z.array(NodeName).min(1).max(16),
    luns: z.array(ScenarioLun).min(1).max(64),
    phases: z.array(ScenarioPhase).min(1),
  })
  .superRefine((s, ctx) => {
    const nodes = new Set(s.nodes);
    if (nodes.size !== s.nodes.length) ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'node names must be unique' });
    const seen = new Map<string, number>();
    s.luns.forEach((lun, i) => {
      for (const key of [lun.wwid, lun.alias]) {
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['luns', i], message: `${key} is also used by luns[${seen.get(key)}]` });
        seen.set(key, i);
      }
      lun.nodes?.forEach((n, j) => {
        if (!nodes.has(n)) ctx.addIssue({ code: 'custom', path: ['luns', i, 'nodes', j], message: `unknown node ${n}` });
      });
    });
    const phaseNames = new Set<string>();
    s.phases.forEach((phase, p) => {
      if (phaseNames.has(phase.name)) ctx.addIssue({ code: 'custom', path: ['phases', p, 'name'], message: `phase ${phase.name} is listed twice` });
      phaseNames.add(phase.name);
      phase.events.forEach((ev, e) => {
        const at = ['phases', p, 'events', e];
        if (ev.node !== undefined && !nodes.has(ev.node)) ctx.addIssue({ code: 'custom', path: [...at, 'node'], message: `unknown node ${ev.node}` });
        if ('lun' in ev) {
          const lun = s.luns.find((l) => l.wwid === ev.lun || l.alias === ev.lun);
          if (!lun) ctx.addIssue({ code: 'custom', path: [...at, 'lun'], message: `unknown LUN ${ev.lun} (use its alias or WWID)` });
          else if (!presentedOn(lun, ev.node)) ctx.addIssue({ code: 'custom', path: [...at, 'lun'], message: `LUN ${ev.lun} is not presented to ${ev.node}` });
          else if ('path' in ev && ev.path !== 'all' && ev.path > lun.paths) {
            ctx.addIssue({ code: 'custom', path: [...at, 'path'], message: `LUN ${ev.lun} has ${lun.paths} path(s)` });
          }
        }
      });
    });
  });
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

/**
 * Parses and validates a scenario file's text (the config's YAML loader); throws one message
 * listing every problem with its file, line and YAML path.
 */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  const result = parseYamlWithSchema(text, source, Scenario);
  if (!result.ok) throw new Error(`invalid scenario ${source}:\n${result.errors.map((e) => `  ${formatConfigError(e)}`).join('\n')}`);
  return result.data;
}

export function presentedOn(lun: Pick<ScenarioLun, 'nodes'>, node: string): boolean {
  return lun.nodes ? lun.nodes.includes(node) : true;
}

export function lunByRef(s: Scenario, ref: string): ScenarioLun {
  const lun = s.luns.find((l) => l.wwid === ref || l.alias === ref);
  if (!lun) throw new Error(`unknown LUN ${ref}`);
  return lun;
}

// ------------------------------------------------------------------------------------- state

export interface SimMapState {
  /** Per path (index 0..paths-1): true when its dm state is active. */
  pathsUp: boolean[];
  pathFaults: number;
}

export interface NodeState {
  exporter: boolean;
  daemon: boolean;
  /** The maps the node's multipathd has, by WWID. */
  maps: Record<string, SimMapState>;
}

export interface ClusterState {
  nodes: Record<string, NodeState>;
}

function initialNode(s: Scenario, node: string): NodeState {
  const maps: Record<string, SimMapState> = {};
  for (const lun of s.luns) {
    if (presentedOn(lun, node)) maps[lun.wwid] = { pathsUp: Array.from({ length: lun.paths }, () => true), pathFaults: 0 };
  }
  return { exporter: true, daemon: true, maps };
}

/** Every node up, every LUN on its nodes with every path active. */
export function initialState(s: Scenario): ClusterState {
  return { nodes: Object.fromEntries(s.nodes.map((n) => [n, initialNode(s, n)])) };
}

const clone = (state: ClusterState): ClusterState => structuredClone(state);

/** The state after one event (pure: returns a new state). */
export function applyEvent(s: Scenario, state: ClusterState, ev: ScenarioEvent): ClusterState {
  const next = clone(state);
  if (ev.do === 'recover') {
    for (const n of ev.node ? [ev.node] : s.nodes) {
      const fresh = initialNode(s, n);
      // counters survive a recovery, as multipathd's do while it runs
      for (const [wwid, m] of Object.entries(fresh.maps)) m.pathFaults = next.nodes[n]!.maps[wwid]?.pathFaults ?? 0;
      next.nodes[n] = fresh;
    }
    return next;
  }
  const node = next.nodes[ev.node];
  if (!node) throw new Error(`unknown node ${ev.node}`);
  switch (ev.do) {
    case 'exporterStop':
    case 'exporterStart':
      node.exporter = ev.do === 'exporterStart';
      return next;
    case 'daemonStop':
    case 'daemonStart':
      node.daemon = ev.do === 'daemonStart';
      return next;
    default:
      break;
  }
  const lun = lunByRef(s, ev.lun);
  if (ev.do === 'lunLost') {
    delete node.maps[lun.wwid];
    return next;
  }
  const map = (node.maps[lun.wwid] ??= { pathsUp: Array.from({ length: lun.paths }, () => true), pathFaults: 0 });
  if (ev.do === 'lunRestore') return next;
  const up = ev.do === 'pathRestore';
  const indexes = ev.path === 'all' ? map.pathsUp.map((_, i) => i) : [ev.path - 1];
  for (const i of indexes) {
    if (!up && map.pathsUp[i]) map.pathFaults++;
    map.pathsUp[i] = up;
  }
  return next;
}

/** The state once phase `index` has started (its events applied). */
export function stateAfterPhase(s: Scenario, index: number): ClusterState {
  let state = initialState(s);
  for (const phase of s.phases.slice(0, index + 1)) for (const ev of phase.events) state = applyEvent(s, state, ev);
  return state;
}

/** Total length of the scenario in milliseconds. */
export function scenarioLength(s: Scenario): number {
  return s.phases.reduce((sum, p) => sum + p.duration, 0);
}

/** The phase running `tMs` after the start; with `loop`, the scenario starts over after its end. */
export function phaseAt(s: Scenario, tMs: number, opts: { loop?: boolean } = {}): number {
  const total = scenarioLength(s);
  let t = Math.max(0, tMs);
  if (opts.loop) t %= total;
  for (let i = 0; i < s.phases.length; i++) {
    t -= s.phases[i]!.duration;
    if (t < 0) return i;
  }
  return s.phases.length - 1;
}

/** The state of the cluster `tMs` after the start. */
export function stateAt(s: Scenario, tMs: number, opts: { loop?: boolean } = {}): ClusterState {
  return stateAfterPhase(s, phaseAt(s, tMs, opts));
}

// ------------------------------------------------------------------ what the processes see

/** Kernel names of a node's path devices: sdb, sdc, ... in LUN order (stable per node). */
function pathDevices(s: Scenario, node: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let n = 1;
  const name = (i: number): string => {
    let s = '';
    let k = i;
    do {
      s = String.fromCharCode(97 + (k % 26)) + s;
      k = Math.floor(k / 26) - 1;
    } while (k >= 0);
    return `sd${s}`;
  };
  for (const lun of s.luns) {
    if (!presentedOn(lun, node)) continue;
    out.set(
      lun.wwid,
      Array.from({ length: lun.paths }, () => name(n++)),
    );
  }
  return out;
}

/** The maps a node's multipathd reports (input of mapsReply), in LUN order. */
export function nodeMaps(s: Scenario, state: ClusterState, node: string): SimMap[] {
  const ns = state.nodes[node];
  if (!ns) throw new Error(`unknown node ${node}`);
  const devs = pathDevices(s, node);
  const maps: SimMap[] = [];
  s.luns.forEach((lun, lunIndex) => {
    const m = ns.maps[lun.wwid];
    if (!m) return;
    const names = devs.get(lun.wwid) ?? [];
    const paths: SimPath[] = m.pathsUp.map((up, i) => ({
      dev: names[i] ?? `sdz${i}`,
      devT: `8:${16 * (lunIndex * 4 + i + 1)}`,
      dmState: up ? 'active' : 'failed',
      checkerState: up ? 'ready' : 'faulty',
      devState: up ? 'running' : 'offline',
      priority: i % 2 ? 10 : 50,
      ...(lun.transport === 'fc'
        ? { targetWwpn: `0x50060e80${(lunIndex * 16 + i).toString(16).padStart(8, '0')}`, hostAdapter: `0000:0${i % 2 + 3}:00.0` }
        : { hostAdapter: `10.10.${i + 1}.21` }),
    }));
    const half = Math.ceil(paths.length / 2);
    const groups = paths.length > 1 ? [{ paths: paths.slice(0, half), priority: 50 }, { paths: paths.slice(half), priority: 10 }] : [{ paths }];
    maps.push({
      wwid: lun.wwid,
      name: lun.alias,
      sysfs: `dm-${lunIndex}`,
      features: '1 queue_if_no_path',
      pathFaults: m.pathFaults,
      groups,
    });
  });
  return maps;
}

/** sysfs files for a node's maps (`block/dm-N/size` in 512-byte sectors, empty `holders`). */
export function nodeSysfs(s: Scenario): { dm: string; sizeSectors: number }[] {
  return s.luns.map((lun, i) => ({ dm: `dm-${i}`, sizeSectors: Math.round((lun.sizeGiB * 2 ** 30) / 512) }));
}

export interface SimApply {
  confDir: string;
  wwidsFile: string;
  stateDir: string;
  /** The `multipath` command the apply runs (a fake one in the simulation). */
  multipath: string[];
}

/**
 * The exporter config file of one simulated node (the same `cluster` section on every node). With
 * `apply`, the node applies the cluster config into those (temporary) paths.
 */
export function exporterConfig(
  s: Scenario,
  node: string,
  opts: { socket: string; listen: string; sysfsRoot: string; apply?: SimApply },
): Record<string, unknown> {
  return {
    node,
    listen: opts.listen,
    multipathd: { transport: 'socket', socket: opts.socket, timeout: '2s' },
    sysfsRoot: opts.sysfsRoot,
    ...(opts.apply ? { apply: { enabled: true, ...opts.apply } } : {}),
    cluster: {
      nodes: s.nodes,
      luns: s.luns.map((l) => ({
        wwid: l.wwid,
        alias: l.alias,
        paths: l.paths,
        ...(l.nodes ? { nodes: l.nodes } : {}),
        ...(l.usedBy ? { usedBy: l.usedBy } : {}),
      })),
    },
  };
}

// ----------------------------------------------------------------- what Prometheus must say

export const CODE = { unknown: -1, optimal: 0, degraded: 1, missing: 2, failed: 3 } as const;
export type CellCode = (typeof CODE)[keyof typeof CODE];
export const CODE_NAME: Record<number, string> = { [-1]: 'unknown', 0: 'optimal', 1: 'degraded', 2: 'missing', 3: 'failed' };

export interface ExpectedMatrix {
  /** wwid -> node -> code; a node without a cell for the WWID is absent. */
  cells: Record<string, Record<string, number>>;
  /** wwid -> worst known cell (-1 when none is known); absent when no node has a cell. */
  rollup: Record<string, number>;
}

/** A map's own state code: 0 every path active, 1 some, 3 none; 1 also below the configured count. */
function mapCode(lun: ScenarioLun, m: SimMapState): number {
  const active = m.pathsUp.filter(Boolean).length;
  if (active === 0) return CODE.failed;
  if (active < m.pathsUp.length || active < lun.paths) return CODE.degraded;
  return CODE.optimal;
}

/**
 * The matrix and roll-up Prometheus' recording rules must compute once phase `index` has settled
 * (docs/rules.md): a reporting node's map state; missing on a reachable node expected to
 * carry the LUN but without the map (also when its multipathd is down); unknown for a node whose
 * exporter is down (or that cannot report) for LUNs it carried or was expected to carry in the
 * look-back window (the whole scenario, far shorter than the rules' 1h); roll-up: worst known cell.
 */
export function expectedMatrix(s: Scenario, index: number): ExpectedMatrix {
  const states = s.phases.slice(0, index + 1).map((_, i) => stateAfterPhase(s, i));
  const now = states[states.length - 1]!;
  const cells: ExpectedMatrix['cells'] = {};
  for (const lun of s.luns) {
    for (const node of s.nodes) {
      const ns = now.nodes[node]!;
      const expected = presentedOn(lun, node);
      // Did Prometheus ever scrape this node, and did it ever report the map?
      const scraped = states.some((st) => st.nodes[node]!.exporter);
      const reported = states.some((st) => st.nodes[node]!.exporter && st.nodes[node]!.daemon && st.nodes[node]!.maps[lun.wwid]);
      let code: number | undefined;
      if (!ns.exporter) {
        if (scraped && (expected || reported)) code = CODE.unknown;
      } else if (!ns.daemon) {
        if (expected) code = CODE.missing;
        else if (reported) code = CODE.unknown;
      } else {
        const m = ns.maps[lun.wwid];
        if (m) code = mapCode(lun, m);
        else if (expected) code = CODE.missing;
      }
      if (code !== undefined) (cells[lun.wwid] ??= {})[node] = code;
    }
  }
  const rollup: ExpectedMatrix['rollup'] = {};
  for (const [wwid, byNode] of Object.entries(cells)) rollup[wwid] = Math.max(...Object.values(byNode));
  return { cells, rollup };
}

export interface ExpectedAlert {
  alertname: string;
  severity: 'critical' | 'warning';
  node: string;
  wwid?: string;
}

/**
 * Alerts that fire in Prometheus once phase `index` has lasted longer than their `for:`, and which
 * of them Alertmanager must inhibit (a node whose exporter or multipathd is down silences its LUN
 * alerts; a failed LUN silences degraded on the same node). A failed map of a reporting node also
 * fires MultipathLunQueueingForever: the simulated maps queue forever (queueing `on`). MultipathPathFlapping is not modelled:
 * its 10m window is not shortened by the e2e transform, so one fault can fire it.
 */
export function expectedAlerts(s: Scenario, index: number): { firing: ExpectedAlert[]; inhibited: ExpectedAlert[] } {
  const state = stateAfterPhase(s, index);
  const { cells } = expectedMatrix(s, index);
  const firing: ExpectedAlert[] = [];
  const inhibited: ExpectedAlert[] = [];
  for (const node of s.nodes) {
    const ns = state.nodes[node]!;
    if (!ns.exporter) firing.push({ alertname: 'MultipathExporterDown', severity: 'warning', node });
    else if (!ns.daemon) firing.push({ alertname: 'MultipathDaemonDown', severity: 'critical', node });
    for (const lun of s.luns) {
      const code = cells[lun.wwid]?.[node];
      const m = ns.maps[lun.wwid];
      let alert: ExpectedAlert | undefined;
      if (code === CODE.failed) alert = { alertname: 'MultipathLunFailed', severity: 'critical', node, wwid: lun.wwid };
      else if (code === CODE.missing) alert = { alertname: 'MultipathLunMissing', severity: 'critical', node, wwid: lun.wwid };
      else if (code === CODE.degraded && m && m.pathsUp.some((u) => !u)) {
        alert = { alertname: 'MultipathLunDegraded', severity: 'warning', node, wwid: lun.wwid };
      }
      if (!alert) continue;
      (ns.exporter && ns.daemon ? firing : inhibited).push(alert);
      // The simulated maps queue forever (no_path_retry queue): a failed one also hangs its I/O.
      if (code === CODE.failed && m) firing.push({ alertname: 'MultipathLunQueueingForever', severity: 'critical', node, wwid: lun.wwid });
    }
  }
  return { firing, inhibited };
}

export const alertKey = (a: { alertname?: string; node?: string; wwid?: string }): string =>
  `${a.alertname ?? ''}{node=${a.node ?? ''}${a.wwid ? `,wwid=${a.wwid}` : ''}}`;
