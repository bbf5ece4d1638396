// One apply pass: render the drop-ins, bring conf.d and the WWID allow-list in line with the
// config, reload multipathd when something changed. Each operation is isolated: one failure is
// reported and retried next pass, the others still converge (docs/config.md, "What a pass does").
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { nextOwned, parseWwids, planApply, type ApplyPlan } from '../core/apply-plan.js';
import { isExpectedOn, nodeNameOf, type Config } from '../../common/core/config.js';
import { mountedMultipathWwids, parseMountinfo, parseSwaps, type BlockDevice } from '../core/mountinfo.js';
import { MANAGED_MARKER, dropInNames, renderDropIns } from '../core/render-config.js';
import type { ApplyReport } from '../../common/core/status.js';
import { readFileOrNull, removeFileDurable, removeStaleTemps, writeFileAtomic } from './atomic-write.js';
import { clientFor } from '../../scrape/io/multipathd-client.js';

export interface ApplyDeps {
  /** This node's name; default `config.node`, else the host name. */
  node?: string;
  /** Sends one command to multipathd and returns its reply; throws when the daemon cannot be reached. Default: the configured transport (clientFor). */
  multipathdCommand?: (cmd: string) => Promise<string>;
  /** Path of the mountinfo file; default /proc/self/mountinfo. */
  mountinfoPath?: string;
  /** Path of the swaps file; default /proc/swaps (a missing file means no swap). */
  swapsPath?: string;
  /** Replaces the mount check (WWID -> description of the mount on it). */
  protectedWwids?: () => Promise<Map<string, string>>;
  now?: () => number;
  /** Test hook passed to every atomic write. */
  beforeRename?: (tempPath: string) => Promise<void> | void;
}

export const STATE_FILE = 'owned-wwids.json';
const MULTIPATH_TIMEOUT_MS = 60_000;

export interface PlanResult {
  plan: ApplyPlan;
  node: string;
  /** WWIDs before the pass (active lines of the wwids file). */
  wwidsBefore: string[];
  /** False when the state file could not be read: no WWID is added or removed then. */
  stateOk: boolean;
  /** The owned WWIDs as the state file holds them. */
  stateWwids: string[];
  /** Problems found while planning (unreadable state file, failed mount check). */
  errors: string[];
}

export function nodeName(config: Config, deps: ApplyDeps = {}): string {
  return deps.node ?? nodeNameOf(config, hostname());
}

/** WWIDs this node should have on its allow-list: the LUNs expected here. */
export function desiredWwids(config: Config, node: string): string[] {
  return config.cluster.luns.filter((lun) => isExpectedOn(lun, config.cluster, node)).map((lun) => lun.wwid);
}

/** Our drop-ins in conf.d: the names we render plus older files of ours (our prefix and marker). */
async function readCurrentFiles(config: Config): Promise<Record<string, string | null>> {
  const { confDir, filePrefix } = config.apply;
  const out: Record<string, string | null> = {};
  for (const name of Object.values(dropInNames(filePrefix))) out[name] = await readFileOrNull(join(confDir, name));
  let names: string[] = [];
  try {
    names = await fs.readdir(confDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of names) {
    if (name in out || !name.startsWith(`${filePrefix}-`) || !name.endsWith('.conf')) continue;
    const text = await readFileOrNull(join(confDir, name));
    if (text?.startsWith(MANAGED_MARKER)) out[name] = text;
  }
  return out;
}

type StateRead = { ok: true; wwids: string[] } | { ok: false; error: string };

async function readState(stateDir: string): Promise<StateRead> {
  const path = join(stateDir, STATE_FILE);
  try {
    const text = await readFileOrNull(path);
    if (text === null) return { ok: true, wwids: [] };
    const data = JSON.parse(text) as { wwids?: unknown };
    if (!Array.isArray(data.wwids) || !data.wwids.every((w) => typeof w === 'string')) throw new Error('no "wwids" string list');
    return { ok: true, wwids: data.wwids as string[] };
  } catch (err) {
    return { ok: false, error: `state file ${path} unreadable (${(err as Error).message}); no WWID is added or removed until it is fixed or deleted` };
  }
}

async function writeState(stateDir: string, wwids: string[], beforeRename?: ApplyDeps['beforeRename']): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o755 });
  const text = `${JSON.stringify({ version: 1, comment: 'WWIDs multipath-exporter added to the wwids file (or adopted); only these are ever removed', wwids }, null, 2)}\n`;
  await writeFileAtomic(join(stateDir, STATE_FILE), text, { mode: 0o644, beforeRename });
}

/** The sysfs block devices (`<sysfsRoot>/class/block/*`): dev, holders and dm uuid/name. */
export async function readBlockDevices(sysfsRoot: string): Promise<BlockDevice[]> {
  const base = join(sysfsRoot, 'class', 'block');
  const names = await fs.readdir(base);
  const out: BlockDevice[] = [];
  for (const name of names) {
    const dir = join(base, name);
    const dev = (await readFileOrNull(join(dir, 'dev')))?.trim();
    if (!dev) continue;
    const holders = await fs.readdir(join(dir, 'holders')).catch(() => [] as string[]);
    const dmUuid = (await readFileOrNull(join(dir, 'dm', 'uuid')).catch(() => null))?.trim();
    const dmName = (await readFileOrNull(join(dir, 'dm', 'name')).catch(() => null))?.trim();
    out.push({ name, dev, holders, dmUuid: dmUuid || undefined, dmName: dmName || undefined });
  }
  return out;
}

async function findProtected(config: Config, deps: ApplyDeps): Promise<Map<string, string>> {
  if (deps.protectedWwids) return deps.protectedWwids();
  const mountinfo = await fs.readFile(deps.mountinfoPath ?? '/proc/self/mountinfo', 'utf8');
  const devices = await readBlockDevices(config.sysfsRoot).catch((err: NodeJS.ErrnoException) => {
    // No block class at all (a container without /sys/class/block): no dm map can be mounted here.
    if (err.code === 'ENOENT') return [] as BlockDevice[];
    throw err;
  });
  const swaps = (await readFileOrNull(deps.swapsPath ?? '/proc/swaps')) ?? '';
  return mountedMultipathWwids([...parseMountinfo(mountinfo), ...parseSwaps(swaps)], devices);
}

/** What a pass would do; changes nothing. */
export async function planOnce(config: Config, configPath: string, deps: ApplyDeps = {}, options: { diffs?: boolean } = {}): Promise<PlanResult> {
  const node = nodeName(config, deps);
  const errors: string[] = [];
  const currentFiles = await readCurrentFiles(config);
  const wwidsText = await readFileOrNull(config.apply.wwidsFile);
  const wwidsBefore = parseWwids(wwidsText);
  const state = await readState(config.apply.stateDir);
  if (!state.ok) errors.push(state.error);
  let protectedWwids: Map<string, string>;
  try {
    protectedWwids = await findProtected(config, deps);
  } catch (err) {
    const why = `mount check failed (${(err as Error).message}), so it may be in use`;
    errors.push(`cannot tell which maps carry a mounted filesystem: ${(err as Error).message}; no WWID is removed`);
    protectedWwids = new Map(wwidsBefore.map((w) => [w, why]));
  }
  const plan = planApply({
    desiredFiles: renderDropIns(config, configPath),
    currentFiles,
    wwidsText,
    desiredWwids: desiredWwids(config, node),
    ownedWwids: state.ok ? state.wwids : [],
    adopt: config.apply.adopt,
    protectedWwids,
    confDir: config.apply.confDir,
    diffs: options.diffs,
  });
  if (!state.ok) {
    plan.addWwids = [];
    plan.removeWwids = [];
  }
  return { plan, node, wwidsBefore, stateOk: state.ok, stateWwids: state.ok ? state.wwids : [], errors };
}

function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
}

async function runMultipath(config: Config, flag: '-a' | '-w', wwid: string): Promise<string | undefined> {
  const [file, ...args] = config.apply.multipath;
  const result = await execa(file!, [...args, flag, wwid], {
    reject: false,
    timeout: MULTIPATH_TIMEOUT_MS,
    stdin: 'ignore',
    all: false,
  });
  if (result.exitCode === 0 && !result.timedOut) return undefined;
  const why = result.timedOut
    ? `timed out after ${MULTIPATH_TIMEOUT_MS / 1000}s`
    : result.exitCode === undefined
      ? (result.originalMessage ?? result.shortMessage)
      : `exit ${result.exitCode}`;
  const said = firstLine(String(result.stderr ?? '')) || firstLine(String(result.stdout ?? ''));
  return said ? `${why}: ${said}` : why;
}

/** One pass: converge, report. Never throws for a failed operation; each failure is one error line. */
export async function applyOnce(config: Config, configPath: string, deps: ApplyDeps = {}): Promise<ApplyReport> {
  const now = deps.now ?? Date.now;
  const errors: string[] = [];
  const changes: string[] = [];
  let changed = false;
  let reloadSuccess = true;
  let refused: string[] = [];
  const { confDir, stateDir } = config.apply;

  let planned: PlanResult | undefined;
  try {
    await removeStaleTemps(confDir, config.apply.filePrefix);
    await removeStaleTemps(stateDir, STATE_FILE);
    planned = await planOnce(config, configPath, deps, { diffs: false });
  } catch (err) {
    errors.push(`planning failed: ${(err as Error).message}`);
  }

  if (planned) {
    const { plan } = planned;
    errors.push(...planned.errors);
    refused = plan.refused.map((r) => `${r.wwid}: ${r.reason}`);

    // 1. Drop-ins first, so the WWIDs are added under the new config.
    for (const file of plan.files) {
      const path = join(confDir, file.fileName);
      try {
        if (file.action === 'write') {
          await fs.mkdir(confDir, { recursive: true, mode: 0o755 });
          await writeFileAtomic(path, file.content, { mode: 0o644, beforeRename: deps.beforeRename });
          changes.push(`wrote ${path}`);
        } else {
          await removeFileDurable(path);
          changes.push(`removed ${path}`);
        }
        changed = true;
      } catch (err) {
        errors.push(`${file.action === 'write' ? 'writing' : 'removing'} ${path} failed: ${(err as Error).message}`);
      }
    }

    // 2. The allow-list, one WWID at a time through multipath itself.
    const added: string[] = [];
    const removed: string[] = [];
    for (const [flag, list, done, verb] of [
      ['-a', plan.addWwids, added, 'added'],
      ['-w', plan.removeWwids, removed, 'removed'],
    ] as const) {
      for (const wwid of list) {
        let failure: string | undefined;
        try {
          failure = await runMultipath(config, flag, wwid);
        } catch (err) {
          failure = (err as Error).message;
        }
        if (failure === undefined) {
          done.push(wwid);
          changes.push(`${verb} WWID ${wwid}`);
          changed = true;
        } else {
          errors.push(`${verb === 'added' ? 'adding' : 'removing'} WWID ${wwid} (multipath ${flag}) failed: ${failure}`);
        }
      }
    }

    // 3. Remember what we own.
    if (planned.stateOk) {
      const owned = nextOwned(plan, planned.wwidsBefore, added, removed);
      if (owned.join('\n') !== [...planned.stateWwids].sort().join('\n')) {
        try {
          await writeState(stateDir, owned, deps.beforeRename);
        } catch (err) {
          errors.push(`writing state file ${join(stateDir, STATE_FILE)} failed: ${(err as Error).message}`);
        }
      }
    }

    // 4. Reload the daemon for whatever did converge, even if some operations failed.
    if (changed) {
      const command = deps.multipathdCommand ?? ((cmd: string) => clientFor(config).command(cmd));
      let running = false;
      try {
        running = /\bpid\s+\d+/.test(await command('show daemon'));
      } catch {
        running = false;
      }
      if (running) {
        try {
          const reply = (await command('reconfigure')).trim();
          if (reply !== 'ok') throw new Error(`multipathd replied ${JSON.stringify(reply.slice(0, 200))}`);
          changes.push('multipathd reconfigure');
        } catch (err) {
          reloadSuccess = false;
          errors.push(`multipathd reconfigure failed: ${(err as Error).message}`);
        }
      }
    }
  }

  return { finishedAt: now(), success: errors.length === 0, errors, changes, changed, reloadSuccess, refused };
}
