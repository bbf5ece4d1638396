// The lab's second target: full Debian 12 (bookworm) and Debian 13 (trixie) nodes, systemd as
// PID 1, booted in qemu from images built by lab/debian/build-image.sh (cached by the release's
// package index). The project's .deb is installed with apt as an admin would, and the unit is
// driven through systemctl, journalctl and systemd-analyze by the guest agent
// (lab/debian/agent.mjs). runDebianSteps asserts every step of docs/lab.md's Debian table against
// the running system and throws with the step's name and what it last saw.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { waitFor } from '../src/sim/processes.js';
import { metricValue } from '../test/support/exposition-samples.js';
import { BUILD_DIR, LAB_DIR, ROOT, labPoll, prepareNodeShare, removeOnExit, removeStaleRuns } from './cluster.js';
import { Vm } from './vm.js';

export const RELEASES = ['bookworm', 'trixie'] as const;
export type Release = (typeof RELEASES)[number];
/** `socket`: whether `transport: auto` must reach the abstract socket there (libuv >= 1.48, install.md's table). */
export const RELEASE_INFO: Record<Release, { title: string; debian: number; node: RegExp; socket: boolean }> = {
  bookworm: { title: 'Debian 12 (bookworm)', debian: 12, node: /^v18\.(19|[2-9]\d)\./, socket: false },
  trixie: { title: 'Debian 13 (trixie)', debian: 13, node: /^v20\./, socket: true },
};
const V1 = '0.1.0-1';
const V2 = '0.1.0-2';
const debName = (version: string) => `multipath-exporter_${version}_all.deb`;
export const ALIAS = 'lab-san-lun0';
/** Each poll costs the single emulated CPU a scrape or a few processes: not more often than this. */
const POLL_MS = 2000;
const SIGHUP_LINE = 'msg="SIGHUP: re-reading config and web config"';
/**
 * scsi_debug's two LUNs as multipathd names them on Debian: its udev rules (sg3-utils-udev) rank the
 * T10 vendor designator above scsi_debug's locally assigned NAA, unlike the plain lab's initramfs.
 */
export const LUN_WWID = '1Linux_scsi_debug_2000';
export const OTHER_WWID = '1Linux_scsi_debug_2001';

export interface ActionResult {
  code: number;
  stdout: string;
  stderr: string;
}
interface MapJson {
  name: string;
  uuid: string;
  paths: number;
  path_groups: Array<{ paths: Array<{ dev: string; dm_st: string; chk_st: string; dev_st: string }> }>;
}
export interface DebianState {
  hostname: string;
  release: string | null;
  scsi: Array<{ hctl: string; state: string | null; wwid: string | null }>;
  multipathd: string;
  maps: { maps: MapJson[] } | null;
  confd: Record<string, string | null>;
  wwids: string | null;
  package: string | null;
  nodeInstalled: boolean;
  /** Only from state({ node: true }). */
  guestNode: { node: string; uv: string } | null;
  unit: Record<string, string>;
  config: string | null;
  users: string[];
  groups: string[];
}

export class DebianNode {
  constructor(
    readonly release: Release,
    readonly vm: Vm,
  ) {}
  get hostname(): string {
    return `lab-${this.release}`;
  }
  private async request(method: string, path: string, timeoutMs: number): Promise<unknown> {
    const res = await fetch(`${this.vm.agentUrl}${path}`, { method, signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { error?: string };
    if (res.status !== 200) throw new Error(`${this.release} ${method} ${path}: HTTP ${res.status} ${body.error ?? ''}`);
    return body;
  }
  async state(opts: { node?: boolean } = {}): Promise<DebianState> {
    return (await this.request('GET', `/state${opts.node ? '?node=1' : ''}`, 60_000)) as DebianState;
  }
  async unit(): Promise<Record<string, string>> {
    return (await this.request('GET', '/unit', 60_000)) as Record<string, string>;
  }
  async action(name: string, args: Record<string, string> = {}, timeoutMs = 360_000): Promise<ActionResult> {
    const q = new URLSearchParams(args).toString();
    return (await this.request('POST', `/action/${name}${q ? `?${q}` : ''}`, timeoutMs)) as ActionResult;
  }
  /** An action that must succeed; its stdout. */
  async must(name: string, args: Record<string, string> = {}): Promise<string> {
    const r = await this.action(name, args);
    assert.equal(r.code, 0, `${this.release} ${name} ${JSON.stringify(args)} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }
  async metrics(): Promise<string> {
    const res = await fetch(`${this.vm.exporterUrl}/metrics`, { signal: AbortSignal.timeout(30_000) });
    assert.equal(res.status, 200, `${this.release} /metrics: HTTP ${res.status}`);
    return await res.text();
  }
}

/** The configs the admin writes on the node in the steps (copied to /etc/multipath-exporter/config.yml). */
export function debianConfigs(): Record<string, string> {
  return {
    // Reload: another node name, and a multipathd client that cannot work, so `auto` can only collect
    // through the socket (libuv >= 1.48) and must fail through exec otherwise.
    reload: stringify({ listen: ':10036', node: 'reloaded', multipathd: { transport: 'auto', command: ['/bin/false'] }, apply: { enabled: false } }),
    monitor: stringify({ listen: ':10036', apply: { enabled: false } }),
    apply: stringify({
      listen: ':10036',
      apply: { enabled: true, recheckInterval: '3s' },
      cluster: {
        nodes: RELEASES.map((r) => `lab-${r}`),
        luns: [{ wwid: LUN_WWID, alias: ALIAS, paths: 2, usedBy: 'lab-san' }],
      },
    }),
  };
}

export interface DebianLabOptions {
  releases?: readonly Release[];
  log?: (line: string) => void;
  memoryMb?: number;
}

export class DebianLab {
  readonly nodes: DebianNode[] = [];
  runDir = '';
  timings: Record<string, number> = {};
  constructor(private readonly opts: DebianLabOptions = {}) {}

  node(release: Release): DebianNode {
    const n = this.nodes.find((x) => x.release === release);
    if (!n) throw new Error(`no Debian lab node ${release}`);
    return n;
  }

  /** Build (cached) images and both .debs, boot every release at once, wait for each agent. */
  async start(): Promise<void> {
    const log = this.opts.log ?? (() => {});
    const releases = this.opts.releases ?? RELEASES;
    const t0 = Date.now();
    mkdirSync(BUILD_DIR, { recursive: true });
    removeStaleRuns();
    this.runDir = mkdtempSync(join(BUILD_DIR, `run-${process.pid}-debian-`));
    removeOnExit(this.runDir);
    chmodSync(this.runDir, 0o755);
    const buildDebs = async () => {
      // The package under test and "a newer build" of it, from the work tree (scripts/build-deb.sh).
      await execa('bash', [join(ROOT, 'scripts/build-deb.sh'), '--out', this.runDir, '--version', V1], { cwd: ROOT, timeout: 300_000 });
      await execa('bash', [join(ROOT, 'scripts/build-deb.sh'), '--out', this.runDir, '--version', V2, '--no-build'], { cwd: ROOT, timeout: 300_000 });
    };
    const images = await Promise.all([
      ...releases.map(async (release) => {
        const t = Date.now();
        const r = await execa('bash', [join(LAB_DIR, 'debian/build-image.sh'), release], { timeout: 1_800_000 });
        const [kernel, initrd, disk] = r.stdout.trim().split('\n').slice(-3) as [string, string, string];
        this.timings[`image-${release}`] = Date.now() - t;
        log(`${release}: image ${disk} (${Date.now() - t} ms)`);
        return { release, kernel, initrd, disk };
      }),
      buildDebs().then(() => undefined),
    ]);
    this.timings.buildMs = Date.now() - t0;
    copyFileSync(join(LAB_DIR, 'debian/agent.mjs'), join(this.runDir, 'agent.mjs'));
    for (const [name, yaml] of Object.entries(debianConfigs())) writeFileSync(join(this.runDir, `config-${name}.yml`), yaml);
    const nodeShare = prepareNodeShare();

    for (const image of images) {
      if (!image) continue;
      const vm = new Vm({
        name: `lab-${image.release}`,
        kernel: image.kernel,
        initrd: image.initrd,
        disk: image.disk,
        nodeShare,
        runShare: this.runDir,
        memoryMb: this.opts.memoryMb ?? 1536,
        maxLifetimeSec: 1500,
        append: ['root=/dev/vda', 'rw', 'net.ifnames=0', 'systemd.show_status=false'],
      });
      this.nodes.push(new DebianNode(image.release, vm));
    }
    const t1 = Date.now();
    await Promise.all(this.nodes.map((n) => n.vm.start()));
    await Promise.all(
      this.nodes.map(async (n) => {
        await n.vm.waitForSerial(/LAB: agent listening/, 420_000);
        await waitFor(`${n.release} agent`, labPoll(60_000), async () => (await n.state()).hostname === n.hostname);
        this.timings[`boot-${n.release}`] = Date.now() - t1;
        log(`${n.release}: up after ${((Date.now() - t1) / 1000).toFixed(1)} s (agent ${n.vm.agentPort}, exporter ${n.vm.exporterPort})`);
      }),
    );
    this.timings.bootMs = Date.now() - t1;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.vm.stop()));
    if (this.runDir) rmSync(this.runDir, { recursive: true, force: true });
  }
}

/** The scores docs/install.md records for the running system of each release: [monitor, apply]. */
export function documentedSecurity(debian: number): [number, number] {
  const docs = readFileSync(join(ROOT, 'docs/install.md'), 'utf8');
  const m = new RegExp(`^\\| Debian ${debian} \\(systemd \\d+\\) \\| \\*\\*(\\d+\\.\\d)\\*\\* \\| \\*\\*(\\d+\\.\\d)\\*\\* \\|`, 'm').exec(docs);
  assert.ok(m, `docs/install.md has no running-system security row for Debian ${debian}`);
  return [Number(m[1]), Number(m[2])];
}

export interface DebianStep {
  name: string;
  seconds: number;
  note?: string;
}
export interface DebianReport {
  release: Release;
  steps: DebianStep[];
  bench: Array<{ transport: string; wallMsPerScrape: number; cpuMsPerScrape: number; count: number }>;
  totalSeconds: number;
}

const mapOf = (s: DebianState, wwid: string) => s.maps?.maps.find((m) => m.uuid === wwid);
const pathsOf = (m: MapJson) => m.path_groups.flatMap((g) => g.paths);
const exposure = (text: string) => Number(/Overall exposure level for multipath-exporter\.service: (\d+\.\d)/.exec(text)?.[1]);

/** Every step on one node, in order; throws naming the step and what the node last showed. */
export async function runDebianSteps(node: DebianNode, opts: { log?: (line: string) => void; bench?: boolean; benchCount?: number } = {}): Promise<DebianReport> {
  const log = opts.log ?? (() => {});
  const info = RELEASE_INFO[node.release];
  const steps: DebianStep[] = [];
  const bench: DebianReport['bench'] = [];
  const t0 = Date.now();
  const step = async (name: string, fn: () => Promise<string | void>) => {
    const t = Date.now();
    try {
      const note = (await fn()) ?? undefined;
      steps.push({ name, seconds: (Date.now() - t) / 1000, ...(note ? { note } : {}) });
      log(`${node.release}: ${name} ok (${((Date.now() - t) / 1000).toFixed(1)} s)${note ? ` ${note}` : ''}`);
    } catch (err) {
      let seen = '';
      try {
        const s = await node.state();
        const journal = await node.action('journal');
        seen = `\nlast state: ${JSON.stringify({ ...s, config: undefined })}\njournal:\n${journal.stdout.split('\n').slice(-30).join('\n')}`;
      } catch (e) {
        seen = `\n(state unavailable: ${String(e)})`;
      }
      throw new Error(`${info.title}: step "${name}" failed: ${err instanceof Error ? err.message : String(err)}${seen}\nserial:\n${node.vm.serialTail(30)}`);
    }
  };
  const unit = () => node.unit();
  const up = async () => metricValue(await node.metrics(), 'multipath_up', {});
  const journal = async () => (await node.must('journal')).split('\n').filter(Boolean);
  const activeWithNewPid = async (oldPid: string) =>
    waitFor(`${node.release}: the unit active again with a new main process`, { timeoutMs: 120_000, everyMs: POLL_MS }, async () => {
      const u = await unit();
      return u.ActiveState === 'active' && u.MainPID !== '0' && u.MainPID !== oldPid && (await up()) === 1 ? u : undefined;
    });

  let baseline: { tree: string; users: string[]; groups: string[] } | undefined;
  const usesSocket = info.socket;

  await step('boot: systemd, multipathd with the allow-listed LUN on two paths', async () => {
    const s = await waitFor(`${node.release}: multipathd with two active paths to ${LUN_WWID}`, labPoll(180_000), async () => {
      const st = await node.state();
      const map = mapOf(st, LUN_WWID);
      return st.multipathd === 'active' && map && pathsOf(map).filter((p) => p.dm_st === 'active').length === 2 ? st : undefined;
    });
    assert.equal(s.release, node.release);
    assert.equal(mapOf(s, OTHER_WWID), undefined, `${OTHER_WWID} is not allow-listed and must not be assembled`);
    assert.equal(s.package, null);
    assert.equal(s.nodeInstalled, false, 'nodejs must come with the package, not with the image');
    baseline = { tree: await node.must('tree'), users: s.users, groups: s.groups };
  });

  await step(`apt-get install ./${debName(V1)}: apt resolves nodejs and procps from the release`, async () => {
    const out = await node.must('install', { deb: debName(V1) });
    assert.match(out, /^Setting up nodejs /m, 'apt installs nodejs from the release to satisfy Depends');
    assert.match(out, /^Setting up multipath-exporter \(0\.1\.0-1\)/m);
    const s = await node.state({ node: true });
    assert.equal(s.package, `install ok installed ${V1}`);
    assert.ok(s.guestNode, 'no /usr/bin/node after the install');
    assert.match(s.guestNode.node, info.node);
    return `node ${s.guestNode.node}, libuv ${s.guestNode.uv}`;
  });

  await step('monitor-only unit: active as the unprivileged user, /metrics reads the real map, plain journal lines', async () => {
    const u = await waitFor(`${node.release}: the unit active and serving`, { timeoutMs: 120_000, everyMs: POLL_MS }, async () => {
      const x = await unit();
      return x.ActiveState === 'active' && (await up().catch(() => undefined)) === 1 ? x : undefined;
    });
    assert.equal((await node.action('systemctl', { verb: 'is-active' })).stdout.trim(), 'active');
    assert.equal(u.User, 'multipath-exporter');
    assert.equal(u.UnitFileState, 'enabled');
    const text = await node.metrics();
    assert.equal(metricValue(text, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }), 1, 'the real map is optimal');
    assert.equal(metricValue(text, 'multipath_map_paths_active', { wwid: LUN_WWID }), 2);
    assert.equal(metricValue(text, 'multipath_exporter_info', { nodename: node.hostname }), 1);
    assert.doesNotMatch(text, new RegExp(OTHER_WWID));
    const lines = await journal();
    assert.ok(lines.some((l) => l.startsWith('level=info msg=listening ')), `no listening line in ${lines.join('\n')}`);
    for (const line of lines) {
      assert.doesNotMatch(line, /\x1b/);
      assert.match(line, /^level=(info|warn|error) msg=/);
    }
  });

  await step('systemd-analyze security of the running monitor-only unit matches docs/install.md', async () => {
    const score = exposure(await node.must('security'));
    assert.equal(score, documentedSecurity(info.debian)[0]);
    return `exposure ${score}`;
  });

  await step('systemctl reload (SIGHUP) re-reads the config; auto collects over the socket where libuv allows, as the service user', async () => {
    const before = await unit();
    const hups = (await journal()).filter((l) => l.includes(SIGHUP_LINE)).length;
    await node.must('config', { name: 'reload' });
    await node.must('systemctl', { verb: 'reload' });
    await waitFor('the SIGHUP line in the journal', { timeoutMs: 60_000, everyMs: POLL_MS }, async () => (await journal()).filter((l) => l.includes(SIGHUP_LINE)).length > hups);
    await waitFor('the reloaded config in force', { timeoutMs: 60_000, everyMs: POLL_MS }, async () => metricValue(await node.metrics(), 'multipath_exporter_info', { nodename: 'reloaded' }) === 1);
    // That scrape may have joined a collection begun before the reload: the next one is the new config's.
    const text = await node.metrics();
    assert.equal((await unit()).MainPID, before.MainPID, 'reload must not restart the process');
    // The reloaded config's multipathd client is /bin/false: only the socket can collect.
    assert.equal(metricValue(text, 'multipath_up', {}), usesSocket ? 1 : 0, usesSocket ? 'auto must use the abstract socket (libuv >= 1.48)' : 'auto must fall back to exec (libuv < 1.48)');
    if (usesSocket) assert.equal(metricValue(text, 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }), 1);
    await node.must('config', { name: 'monitor' });
    await node.must('systemctl', { verb: 'reload' });
    await waitFor('the monitor config back in force', { timeoutMs: 60_000, everyMs: POLL_MS }, async () => {
      const t = await node.metrics();
      return metricValue(t, 'multipath_exporter_info', { nodename: node.hostname }) === 1 && metricValue(t, 'multipath_up', {}) === 1;
    });
    return usesSocket ? 'transport auto = abstract socket' : 'transport auto = exec';
  });

  await step('a path failure shows in the next scrape', async () => {
    // LUN 0's paths are H:0:0:0 (one per scsi_debug host).
    const path = (await node.state()).scsi.filter((d) => d.hctl.endsWith(':0:0:0'))[1];
    assert.ok(path, 'no second path to LUN 0');
    await node.must('path-offline', { hctl: path.hctl });
    await waitFor('multipathd reporting the path failed', labPoll(60_000), async () => {
      const map = mapOf(await node.state(), LUN_WWID);
      return map && pathsOf(map).some((p) => p.dm_st === 'failed') ? map : undefined;
    });
    // One scrape after multipathd saw it: no stale reply in between.
    const text = await node.metrics();
    assert.equal(metricValue(text, 'multipath_map_state', { wwid: LUN_WWID, state: 'degraded' }), 1, 'degraded in the first scrape after the failure');
    assert.equal(metricValue(text, 'multipath_map_paths_active', { wwid: LUN_WWID }), 1);
    await node.must('path-running', { hctl: path.hctl });
    await waitFor('optimal again', { timeoutMs: 60_000, everyMs: POLL_MS }, async () => metricValue(await node.metrics(), 'multipath_map_state', { wwid: LUN_WWID, state: 'optimal' }) === 1);
  });

  await step('systemctl restart and kill -9 of the main process are survived', async () => {
    const first = await unit();
    await node.must('systemctl', { verb: 'restart' });
    const second = await activeWithNewPid(first.MainPID!);
    const killed = (await node.must('kill-main')).trim();
    assert.equal(killed, second.MainPID);
    const third = await activeWithNewPid(second.MainPID!);
    assert.equal(Number(third.NRestarts), Number(second.NRestarts) + 1, 'Restart= brought it back');
  });

  await step('apply mode: the drop-in, root, the managed drop-ins land, multipathd reloads, the allow-list holds', async () => {
    await node.must('config', { name: 'apply' });
    await node.must('apply-mode');
    const before = await unit();
    await node.must('systemctl', { verb: 'restart' });
    await activeWithNewPid(before.MainPID!);
    const s = await waitFor(`multipathd reconfigured: the map named ${ALIAS}`, labPoll(120_000), async () => {
      const st = await node.state();
      return mapOf(st, LUN_WWID)?.name === ALIAS ? st : undefined;
    });
    assert.equal(s.unit.User, 'root');
    const dropins = Object.entries(s.confd).filter(([f]) => f.startsWith('multipath-exporter'));
    assert.ok(dropins.some(([, text]) => /find_multipaths\s+"?strict"?/.test(text ?? '')), `no managed defaults drop-in: ${JSON.stringify(s.confd)}`);
    assert.ok(dropins.some(([, text]) => text?.includes(ALIAS)), `no drop-in with the alias: ${JSON.stringify(s.confd)}`);
    assert.match(s.wwids ?? '', new RegExp(`^/${LUN_WWID}/$`, 'm'));
    assert.doesNotMatch(s.wwids ?? '', new RegExp(OTHER_WWID));
    assert.equal(mapOf(s, OTHER_WWID), undefined, 'the LUN outside the config stays unassembled');
    const text = await waitFor('apply success in /metrics', { timeoutMs: 60_000, everyMs: POLL_MS }, async () => {
      const t = await node.metrics();
      return metricValue(t, 'multipath_config_apply_success', {}) === 1 ? t : undefined;
    });
    assert.equal(metricValue(text, 'multipath_map_info', { name: ALIAS }), 1);
    const score = exposure(await node.must('security'));
    assert.equal(score, documentedSecurity(info.debian)[1]);
    return `exposure ${score}`;
  });

  await step(`upgrade to ${V2} keeps the edited conffile and restarts the unit`, async () => {
    const before = await node.state();
    const out = await node.must('install', { deb: debName(V2) });
    assert.match(out, /^Setting up multipath-exporter \(0\.1\.0-2\)/m);
    const after = await node.state();
    assert.equal(after.package, `install ok installed ${V2}`);
    assert.equal(after.config, before.config, 'the edited config.yml is kept');
    assert.equal(after.config, debianConfigs().apply);
    await activeWithNewPid(before.unit.MainPID!);
    assert.equal((await unit()).User, 'root', 'the admin drop-in in /etc/systemd/system survives');
  });

  // Measured for docs/benchmarks.md on request (LAB_DEBIAN_BENCH=1): a minute or more of TCG time.
  if (opts.bench) await step('bench: the packaged exporter per scrape, socket and exec', async () => {
    const count = String(opts.benchCount ?? 20);
    for (const transport of usesSocket ? ['socket', 'exec'] : ['exec']) {
      bench.push(JSON.parse(await node.must('bench', { transport, count })) as DebianReport['bench'][number]);
    }
    return bench.map((b) => `${b.transport}: ${b.wallMsPerScrape.toFixed(1)} ms wall, ${b.cpuMsPerScrape.toFixed(1)} ms CPU`).join('; ');
  });

  await step('back to monitor only, then purge leaves nothing behind', async () => {
    await node.must('monitor-mode');
    assert.ok(baseline);
    const was = baseline.tree.split('\n');
    // The package's own paths: what dpkg lists for it that the node did not have before it.
    const own = [...(await node.must('files')).split('\n').filter((p) => p && p !== '/.' && !was.includes(p)), '/etc/multipath-exporter', '/var/lib/multipath-exporter'];
    const out = await node.must('purge');
    const s = await node.state();
    assert.equal(s.package, null);
    assert.deepEqual(s.users, baseline.users);
    assert.deepEqual(s.groups, baseline.groups);
    const now = (await node.must('tree')).split('\n');
    assert.deepEqual(own.filter((p) => now.includes(p)), [], "the package's own paths are gone");
    // With the dependencies apt pulled in purged too, the node is file for file what it was.
    assert.equal(s.nodeInstalled, false);
    assert.deepEqual({ added: now.filter((p) => !was.includes(p)), removed: was.filter((p) => !now.includes(p)) }, { added: [], removed: [] });
    return /^purged dependencies: (.*)$/m.exec(out)?.[1];
  });

  return { release: node.release, steps, bench, totalSeconds: (Date.now() - t0) / 1000 };
}
