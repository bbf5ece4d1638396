// The lab cluster: builds the initramfs (cached), prepares the 9p shares, boots N VMs at once and
// talks to each one's agent (lab/guest/agent.mjs). Teardown kills every qemu and removes the run
// folder, also when boot fails.
import { execa } from 'execa';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processAlive } from '../src/common/io/process.js';
import { waitFor } from '../src/sim/processes.js';
import { Vm } from './vm.js';

export const LAB_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(LAB_DIR, '..');
export const BUILD_DIR = join(LAB_DIR, '.build');
export const BUNDLE = join(ROOT, 'dist', 'multipath-exporter.mjs');

/** The shared SAN LUN (scsi_debug LUN 0, same WWID on both paths and every VM) and the other one. */
export const LUN_WWID = '333333330000007d0';
export const OTHER_WWID = '333333330000007d1';

/** Wait limits for the lab: a poll a second (the guests are slow TCG VMs on a shared host). */
export const labPoll = (timeoutMs: number) => ({ timeoutMs, everyMs: 1000 });

export interface ScsiDevice {
  hctl: string;
  dev: string | null;
  state: string | null;
  wwid: string | null;
  mpathWwid: string;
}
export interface MultipathdMap {
  name: string;
  uuid: string;
  paths: number;
  dm_st: string;
  path_faults: number;
  path_groups: Array<{ paths: Array<{ dev: string; dm_st: string; chk_st: string; dev_st: string }> }>;
  [k: string]: unknown;
}
export interface GuestState {
  hostname: string;
  uptime: number;
  scsi: ScsiDevice[];
  daemon: { pid: number | null; code: number; stdout: string; stderr: string };
  maps: { major_version: number; minor_version: number; maps: MultipathdMap[] } | null;
  mapsRaw: { code: number; stdout: string; stderr: string };
  dmsetup: { code: number; stdout: string };
  wwids: string | null;
  bindings: string | null;
  confd: Record<string, string | null>;
  exporter: { pid: number | null; exits: Array<{ code: number | null; signal: string | null }>; log: string[] };
}

export class Node {
  constructor(readonly vm: Vm) {}
  get name(): string {
    return this.vm.name;
  }

  private async request(method: string, path: string, timeoutMs = 30_000): Promise<Response> {
    const res = await fetch(`${this.vm.agentUrl}${path}`, { method, signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) throw new Error(`${this.name} ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res;
  }
  async state(): Promise<GuestState> {
    return (await (await this.request('GET', '/state')).json()) as GuestState;
  }
  async raw(name: 'maps-json' | 'daemon' | 'status' | 'topology'): Promise<string> {
    return await (await this.request('GET', `/raw/${name}`)).text();
  }
  async action(name: string, args: Record<string, string> = {}): Promise<string> {
    const q = new URLSearchParams(args).toString();
    return (await (await this.request('POST', `/action/${name}${q ? `?${q}` : ''}`)).text()).trim();
  }
  /** The exporter's /metrics through the forwarded port. */
  async metrics(timeoutMs = 15_000): Promise<string> {
    const res = await fetch(`${this.vm.exporterUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) throw new Error(`${this.name} /metrics: HTTP ${res.status}`);
    return await res.text();
  }
  /** The SCSI devices (paths) of one WWID, by H:C:T:L. */
  async pathsOf(wwid: string): Promise<ScsiDevice[]> {
    return (await this.state()).scsi.filter((d) => d.mpathWwid === wwid);
  }
}

export interface ClusterOptions {
  nodes?: string[];
  /** Nodes booted without scsi_debug. */
  withoutScsi?: string[];
  /** Cluster config YAML, written to the run share as config.yml. */
  configYaml?: string;
  log?: (line: string) => void;
  bootTimeoutMs?: number;
}

/** The host's node binary, copied once into the node share (keyed by size and mtime). */
export function prepareNodeShare(): string {
  const dir = join(BUILD_DIR, 'node');
  mkdirSync(dir, { recursive: true });
  const src = process.execPath;
  const dst = join(dir, 'node');
  const s = statSync(src);
  const d = existsSync(dst) ? statSync(dst) : undefined;
  if (!d || d.size !== s.size || d.mtimeMs < s.mtimeMs) {
    copyFileSync(src, `${dst}.tmp`);
    rmSync(dst, { force: true });
    renameSync(`${dst}.tmp`, dst);
  }
  return dir;
}

/** Folders removed when this process exits without teardown (the VMs are killed by src/sim/processes.ts). */
const removeAtExit = new Set<string>();
let dirHookInstalled = false;
export function removeOnExit(dir: string): void {
  removeAtExit.add(dir);
  if (dirHookInstalled) return;
  dirHookInstalled = true;
  process.on('exit', () => {
    for (const d of removeAtExit) rmSync(d, { recursive: true, force: true });
  });
}

/** Remove run folders of lab runs whose process is gone (a run killed with SIGKILL). */
export function removeStaleRuns(): void {
  if (!existsSync(BUILD_DIR)) return;
  for (const name of readdirSync(BUILD_DIR)) {
    const m = /^(?:run|prom)-(\d+)-/.exec(name);
    if (!m) continue;
    if (!processAlive(Number(m[1]))) rmSync(join(BUILD_DIR, name), { recursive: true, force: true });
  }
}

export class Cluster {
  readonly nodes: Node[] = [];
  runDir = '';
  timings: Record<string, number> = {};
  private readonly log: (line: string) => void;

  constructor(private readonly opts: ClusterOptions = {}) {
    this.log = opts.log ?? (() => {});
  }

  node(name: string): Node {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no lab node ${name}`);
    return n;
  }

  writeConfig(yaml: string): void {
    const tmp = join(this.runDir, '.config.yml.tmp');
    writeFileSync(tmp, yaml);
    renameSync(tmp, join(this.runDir, 'config.yml'));
  }

  /** Build, share, boot every node at once and wait until each agent answers. */
  async start(): Promise<void> {
    const t0 = Date.now();
    mkdirSync(BUILD_DIR, { recursive: true });
    removeStaleRuns();
    const build = await execa('bash', [join(LAB_DIR, 'build-initramfs.sh')], { timeout: 300_000 });
    // Two lines: the kernel, then the initramfs.
    const [kernel, initrd] = build.stdout.trim().split('\n').slice(-2) as [string, string];
    this.timings.buildMs = Date.now() - t0;
    this.log(`initramfs ${initrd} (${this.timings.buildMs} ms), kernel ${kernel}`);

    // The exporter under test is the work tree's, bundled now (scripts/build.mjs -> dist/).
    if (process.env.LAB_NO_BUILD !== '1') await execa(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, timeout: 120_000 });
    if (!existsSync(BUNDLE)) throw new Error(`no exporter bundle at ${BUNDLE} (node scripts/build.mjs)`);
    const nodeShare = prepareNodeShare();
    this.runDir = mkdtempSync(join(BUILD_DIR, `run-${process.pid}-`));
    removeOnExit(this.runDir);
    chmodSync(this.runDir, 0o755);
    copyFileSync(join(LAB_DIR, 'guest', 'agent.mjs'), join(this.runDir, 'agent.mjs'));
    copyFileSync(BUNDLE, join(this.runDir, 'multipath-exporter.mjs'));
    this.writeConfig(this.opts.configYaml ?? '{}\n');

    const names = this.opts.nodes ?? ['node1', 'node2', 'node3'];
    for (const name of names) {
      const vm = new Vm({
        name,
        kernel,
        initrd,
        nodeShare,
        runShare: this.runDir,
        scsi: !(this.opts.withoutScsi ?? []).includes(name),
      });
      this.nodes.push(new Node(vm));
    }
    const t1 = Date.now();
    await Promise.all(this.nodes.map((n) => n.vm.start()));
    await Promise.all(
      this.nodes.map(async (n) => {
        await n.vm.waitForSerial(/^LAB: agent listening/m, this.opts.bootTimeoutMs ?? 240_000);
        // The forwarded port answers once the guest's agent does.
        await waitFor(`${n.name} agent`, labPoll(60_000), async () => (await n.state()).hostname === n.name);
        this.log(`${n.name} up after ${((Date.now() - t1) / 1000).toFixed(1)} s (agent ${n.vm.agentPort}, exporter ${n.vm.exporterPort})`);
      }),
    );
    this.timings.bootMs = Date.now() - t1;
  }

  /** Stop one VM (kill its qemu): the node is gone for Prometheus. */
  async stopNode(name: string): Promise<void> {
    await this.node(name).vm.stop();
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.vm.stop()));
    if (this.runDir) rmSync(this.runDir, { recursive: true, force: true });
  }
}
