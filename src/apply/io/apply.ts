// One apply pass: render the drop-ins, bring conf.d and the WWID allow-list in line with the
// config, reload multipathd when something changed. Each operation is isolated: one failure is
// reported and retried next pass, the others still converge (docs/config.md, "What a pass does").
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { nextOwned, planApply, type ApplyPlan, type MapUsage } from '../core/apply-plan.js';
import type { Config } from '../../common/core/config.js';
import { nodeName } from '../../common/io/config-file.js';
import { heldMultipathWwids, mountedMultipathWwids, parseMountinfo, parseSwaps } from '../core/mountinfo.js';
import { parseOwnedState, renderOwnedState, stateUnreadable, type StateRead, type WwidIntent } from '../core/owned-state.js';
import { MANAGED_MARKER, dropInNames, renderDropIns } from '../core/render-config.js';
import type { ApplyReport } from '../../common/core/status.js';
import { readFileOrNull, removeFileDurable, removeStaleTemps, writeFileAtomic } from './atomic-write.js';
import { clientFor } from '../../scrape/io/multipathd-client.js';
import { parseDaemonReply } from '../../scrape/core/parse-multipathd.js';
import { readBlockDevices } from '../../scrape/io/sysfs.js';

export interface ApplyDeps {
  /** This node's name; default `config.node`, else the host name. */
  node?: string;
  /** Sends one command to multipathd and returns its reply; throws when the daemon cannot be reached. Default: the configured transport (clientFor). */
  multipathdCommand?: (cmd: string) => Promise<string>;
  /** Path of the mountinfo file; default /proc/self/mountinfo. */
  mountinfoPath?: string;
  /** Path of the swaps file; default /proc/swaps (a missing file means no swap). */
  swapsPath?: string;
  /** Replaces the in-use check (mounts, swaps and sysfs holders). */
  mapUsage?: () => Promise<MapUsage>;
  now?: () => number;
  /** Test hook passed to every atomic write. */
  beforeRename?: (tempPath: string) => Promise<void> | void;
}

export const STATE_FILE = 'owned-wwids.json';
const MULTIPATH_TIMEOUT_MS = 60_000;

export interface PlanResult {
  plan: ApplyPlan;
  node: string;
  /** The state file as read, before the plan settled its intent. */
  state: StateRead;
  /** Problems found while planning (unreadable state file, failed in-use check). */
  errors: string[];
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

/**
 * What to do when the drop-in directory cannot be written: the packaged unit monitors only, with
 * a read-only /etc (ProtectSystem=strict), where even a missing conf.d reads ENOENT, not EACCES.
 */
function notWritableHint(err: unknown, dir: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (!code || !['ENOENT', 'EROFS', 'EACCES', 'EPERM'].includes(code)) return '';
  return ` (${dir} is not writable for this process: the packaged unit only monitors; install its apply-mode.conf drop-in to apply, see docs/install.md, or set apply.enabled: false)`;
}

async function writeState(stateDir: string, owned: readonly string[], intent: WwidIntent | undefined, beforeRename?: ApplyDeps['beforeRename']): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(join(stateDir, STATE_FILE), renderOwnedState(owned, intent), { mode: 0o644, beforeRename });
}

/** Mounts, swaps and sysfs holders -> what uses each multipath map. */
async function readMapUsage(config: Config, deps: ApplyDeps): Promise<MapUsage> {
  if (deps.mapUsage) return deps.mapUsage();
  try {
    const mountinfo = await fs.readFile(deps.mountinfoPath ?? '/proc/self/mountinfo', 'utf8');
    const swaps = (await readFileOrNull(deps.swapsPath ?? '/proc/swaps')) ?? '';
    const devices = readBlockDevices(config.sysfsRoot);
    return { ok: true, mounted: mountedMultipathWwids([...parseMountinfo(mountinfo), ...parseSwaps(swaps)], devices), held: heldMultipathWwids(devices) };
  } catch (err) {
    return { ok: false, error: `mounts and holders unreadable: ${(err as Error).message}` };
  }
}

/** What a pass would do; changes nothing. */
export async function planOnce(config: Config, configPath: string, deps: ApplyDeps = {}, options: { diffs?: boolean } = {}): Promise<PlanResult> {
  const node = deps.node ?? nodeName(config);
  const statePath = join(config.apply.stateDir, STATE_FILE);
  const [currentFiles, wwidsText, state, usage] = await Promise.all([
    readCurrentFiles(config),
    readFileOrNull(config.apply.wwidsFile),
    readFileOrNull(statePath).then(
      (text) => parseOwnedState(text, statePath),
      (err: Error) => stateUnreadable(statePath, err.message),
    ),
    readMapUsage(config, deps),
  ]);
  // Loaded here, not at startup: only `plan` shows diffs, and the library costs memory in every serve.
  const patch = options.diffs === false ? undefined : (await import('diff')).createTwoFilesPatch;
  const plan = planApply({ desiredFiles: renderDropIns(config, configPath), currentFiles, wwidsText, config, node, state, usage, patch });
  const errors: string[] = [];
  if (!state.ok) errors.push(state.error);
  if (!usage.ok) errors.push(`cannot tell which maps are in use (${usage.error}); no WWID is removed`);
  return { plan, node, state, errors };
}

/** The last non-empty line of a command's output: where multipath(8) puts its verdict. */
function lastNonEmptyLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
}

async function runMultipath(config: Config, flag: '-a' | '-w', wwid: string): Promise<string | undefined> {
  const [file, ...args] = config.apply.multipath;
  // Loaded on first use: a monitor-only exporter never runs multipath(8).
  const { execa } = await import('execa');
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
  const said = lastNonEmptyLine(String(result.stderr ?? '')) || lastNonEmptyLine(String(result.stdout ?? ''));
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
        errors.push(`${file.action === 'write' ? 'writing' : 'removing'} ${path} failed: ${(err as Error).message}${notWritableHint(err, confDir)}`);
      }
    }

    // 2. The allow-list, one WWID at a time through multipath itself. Before each operation the
    // state file records it as the intent, so a crash mid-operation leaves ownership recoverable.
    changes.push(...plan.notes);
    const added: string[] = [];
    const removed: string[] = [];
    const statePath = join(stateDir, STATE_FILE);
    for (const [flag, list, done, verb] of [
      ['-a', plan.addWwids, added, 'added'],
      ['-w', plan.removeWwids, removed, 'removed'],
    ] as const) {
      for (const wwid of list) {
        const doing = `${verb === 'added' ? 'adding' : 'removing'} WWID ${wwid}`;
        try {
          await writeState(stateDir, nextOwned(plan, added, removed), { action: flag === '-a' ? 'add' : 'remove', wwid }, deps.beforeRename);
        } catch (err) {
          errors.push(`${doing} skipped: recording the intent in ${statePath} failed: ${(err as Error).message}`);
          continue;
        }
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
          errors.push(`${doing} (multipath ${flag}) failed: ${failure}`);
        }
      }
    }

    // 3. Remember what we own, and that no operation is under way.
    if (!plan.wwidsBlocked) {
      const owned = nextOwned(plan, added, removed);
      const intentsWritten = plan.addWwids.length + plan.removeWwids.length > 0;
      const recorded = planned.state.ok ? planned.state : { owned: [], intent: undefined };
      if (intentsWritten || recorded.intent || owned.join('\n') !== [...recorded.owned].sort().join('\n')) {
        try {
          await writeState(stateDir, owned, undefined, deps.beforeRename);
        } catch (err) {
          errors.push(`writing state file ${statePath} failed: ${(err as Error).message}`);
        }
      }
    }

    // 4. Reload the daemon for whatever did converge, even if some operations failed.
    if (changed) {
      const command = deps.multipathdCommand ?? ((cmd: string) => clientFor(config).command(cmd));
      let running = false;
      try {
        running = parseDaemonReply(await command('show daemon')).ok;
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
