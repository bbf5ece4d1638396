// Desired state vs what is on disk -> what one apply pass does (pure). The plan is what `plan`
// prints and what `apply` executes; every safety rule about the WWID allow-list lives here.
import type { createTwoFilesPatch } from 'diff';
import { isExpectedOn, type Config } from '../../common/core/config.js';
import { settleIntent, type StateRead } from './owned-state.js';
import type { DropIn } from './render-config.js';

export interface FileChange {
  fileName: string;
  action: 'write' | 'remove';
  /** The new content (empty for a removal). */
  content: string;
  /** Unified diff from the current to the new content. */
  diff: string;
}

export interface RefusedRemoval {
  wwid: string;
  reason: string;
}

export interface ApplyPlan {
  files: FileChange[];
  /** WWIDs to add with `multipath -a`, sorted. */
  addWwids: string[];
  /** WWIDs to remove with `multipath -w`, sorted: only ones we own and that nothing uses. */
  removeWwids: string[];
  /** Removals not done, with the reason (not ours, in use, too many at once). */
  refused: RefusedRemoval[];
  /** The owned set before any operation: the state file, its settled intent, and what `apply.adopt` takes over. */
  owned: string[];
  /** Active WWIDs of the wwids file before the pass. */
  present: string[];
  /** Why no WWID is added or removed this pass (ownership unknown), else undefined. */
  wwidsBlocked?: string;
  /** What the settling of an interrupted operation found (see owned-state.ts). */
  notes: string[];
}

/** What holds each multipath map, by WWID, or why that could not be found out. */
export type MapUsage =
  | {
      ok: true;
      /** WWID -> a mounted filesystem or active swap on the map (or on anything stacked on it). */
      mounted: Map<string, string>;
      /** WWID -> what holds the map open (sysfs holders: LVM, partitions, dm-crypt). */
      held: Map<string, string>;
    }
  | { ok: false; error: string };

export interface PlanInput {
  desiredFiles: DropIn[];
  /** Current content of each of our drop-ins by file name (`null`/absent: no such file). */
  currentFiles: Record<string, string | null>;
  /** Current wwids file text; `null` when it does not exist. */
  wwidsText: string | null;
  /** The config in force: which LUNs belong here and the apply safety settings. */
  config: Pick<Config, 'cluster' | 'apply'>;
  /** This node's name. */
  node: string;
  /** The state file as read. */
  state: StateRead;
  usage: MapUsage;
  /**
   * The diff library's createTwoFilesPatch, to put unified diffs in the plan; without it the diffs
   * are empty (an apply pass does not need them, so only `plan` loads the library).
   */
  patch?: TwoFilesPatch;
}

export type TwoFilesPatch = typeof createTwoFilesPatch;

/** WWIDs this node should have on its allow-list: the LUNs expected here. */
export function desiredWwids(config: Pick<Config, 'cluster'>, node: string): string[] {
  return config.cluster.luns.filter((lun) => isExpectedOn(lun, config.cluster, node)).map((lun) => lun.wwid);
}

/** The active WWIDs of a wwids file: lines `/<wwid>/...`; `#<wwid>/` lines are removed ones. */
export function parseWwids(text: string | null): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of (text ?? '').split('\n')) {
    const m = /^\/([^/]+)\//.exec(line);
    if (m && !seen.has(m[1]!)) {
      seen.add(m[1]!);
      out.push(m[1]!);
    }
  }
  return out;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Above this many changed lines the diff is summarised (Myers' diff is quadratic in the worst case). */
const MAX_EDIT_LENGTH = 5000;

export function unifiedDiff(patchOf: TwoFilesPatch, name: string, oldText: string | null, newText: string | null): string {
  const oldName = oldText === null ? '/dev/null' : name;
  const newName = newText === null ? '/dev/null' : name;
  const patch = patchOf(oldName, newName, oldText ?? '', newText ?? '', undefined, undefined, {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  // jsdiff starts with an `Index`-style `====` rule: drop it, so the output is a plain unified diff.
  if (patch !== undefined) return patch.replace(/^(?:Index: .*\n)?=+\n/, '');
  const count = (t: string | null) => (t ? t.split('\n').length - (t.endsWith('\n') ? 1 : 0) : 0);
  return `--- ${oldName}\n+++ ${newName}\n(more than ${MAX_EDIT_LENGTH} lines differ: ${count(oldText)} lines replaced by ${count(newText)})\n`;
}

export function planApply(input: PlanInput): ApplyPlan {
  const files = planFiles(input);
  const present = parseWwids(input.wwidsText);
  const presentSet = new Set(present);
  if (!input.state.ok) {
    return { files, addWwids: [], removeWwids: [], refused: [], owned: [], present, wwidsBlocked: input.state.error, notes: [] };
  }
  const { adopt, allowRemovingInUse, maxRemovalFraction } = input.config.apply;
  const settled = settleIntent(input.state.owned, input.state.intent, presentSet);
  const adopted = adopt === 'all' ? present : adopt.filter((w) => presentSet.has(w));
  const owned = new Set([...settled.owned, ...adopted]);
  const desired = new Set(desiredWwids(input.config, input.node));
  const mayRemoveInUse = new Set(allowRemovingInUse);

  const addWwids = [...desired].filter((w) => !presentSet.has(w)).sort(byText);
  let removeWwids: string[] = [];
  const refused: RefusedRemoval[] = [];
  const usage = input.usage;
  for (const wwid of present.filter((w) => !desired.has(w)).sort(byText)) {
    const refuse = (reason: string) => refused.push({ wwid, reason });
    if (!owned.has(wwid)) {
      refuse('not added by multipath-exporter (it was there before or added by hand); list it in apply.adopt to let it be removed');
    } else if (!usage.ok) {
      refuse(`cannot tell whether its map is in use (${usage.error})`);
    } else if (usage.mounted.has(wwid)) {
      refuse(`its map carries a mounted filesystem (${usage.mounted.get(wwid)})`);
    } else if (usage.held.has(wwid) && !mayRemoveInUse.has(wwid)) {
      refuse(`its map is in use (${usage.held.get(wwid)}); list it in apply.allowRemovingInUse to remove it anyway`);
    } else {
      removeWwids.push(wwid);
    }
  }
  // A truncated or wrong config must not unassemble the SAN in one pass; one WWID at a time may go.
  if (removeWwids.length > 1 && removeWwids.length > maxRemovalFraction * owned.size) {
    const reason = `this pass would remove ${removeWwids.length} of the ${owned.size} owned WWIDs, more than apply.maxRemovalFraction (${maxRemovalFraction}) allows; check the config, or raise apply.maxRemovalFraction for this change`;
    refused.push(...removeWwids.map((wwid) => ({ wwid, reason })));
    refused.sort((a, b) => byText(a.wwid, b.wwid));
    removeWwids = [];
  }
  return { files, addWwids, removeWwids, refused, owned: [...owned].sort(byText), present, notes: settled.note ? [settled.note] : [] };
}

function planFiles(input: PlanInput): FileChange[] {
  const files: FileChange[] = [];
  const desiredNames = new Set(input.desiredFiles.map((f) => f.fileName));
  const prefix = `${input.config.apply.confDir.replace(/\/+$/, '')}/`;
  const unifiedDiffIf = (name: string, oldText: string | null, newText: string | null): string =>
    input.patch ? unifiedDiff(input.patch, name, oldText, newText) : '';
  for (const file of input.desiredFiles) {
    const current = input.currentFiles[file.fileName] ?? null;
    if (file.content === current) continue;
    if (file.content === null) {
      files.push({ fileName: file.fileName, action: 'remove', content: '', diff: unifiedDiffIf(prefix + file.fileName, current, null) });
    } else {
      files.push({ fileName: file.fileName, action: 'write', content: file.content, diff: unifiedDiffIf(prefix + file.fileName, current, file.content) });
    }
  }
  // Our own files under names we no longer render (e.g. a renamed drop-in): remove them.
  for (const [name, current] of Object.entries(input.currentFiles).sort(([a], [b]) => byText(a, b))) {
    if (desiredNames.has(name) || current === null) continue;
    files.push({ fileName: name, action: 'remove', content: '', diff: unifiedDiffIf(prefix + name, current, null) });
  }
  return files;
}

export function planIsEmpty(plan: ApplyPlan): boolean {
  return plan.files.length === 0 && plan.addWwids.length === 0 && plan.removeWwids.length === 0;
}

/**
 * The owned set after a pass: what we owned (state + adopted), plus WWIDs added, minus WWIDs
 * removed, minus owned WWIDs that vanished from the wwids file by other means.
 */
export function nextOwned(plan: ApplyPlan, added: readonly string[], removed: readonly string[]): string[] {
  const present = new Set(plan.present);
  const out = new Set(plan.owned.filter((w) => present.has(w)));
  for (const w of added) out.add(w);
  for (const w of removed) out.delete(w);
  return [...out].sort(byText);
}

/** Human-readable plan, as `plan` prints it. */
export function formatPlan(plan: ApplyPlan): string {
  const out: string[] = [];
  for (const f of plan.files) out.push(f.diff.replace(/\n?$/, '\n'));
  for (const w of plan.addWwids) out.push(`+ wwid ${w} (multipath -a)\n`);
  for (const w of plan.removeWwids) out.push(`- wwid ${w} (multipath -w)\n`);
  for (const r of plan.refused) out.push(`! wwid ${r.wwid} kept: ${r.reason}\n`);
  if (plan.wwidsBlocked) out.push(`! no WWID is added or removed: ${plan.wwidsBlocked}\n`);
  for (const note of plan.notes) out.push(`note: ${note}\n`);
  if (planIsEmpty(plan)) out.push('nothing to change\n');
  return out.join('');
}
