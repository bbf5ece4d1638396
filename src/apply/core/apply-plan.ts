// Desired state vs what is on disk -> what one apply pass does (pure). The plan is what `plan`
// prints and what `apply` executes; every safety rule about the WWID allow-list lives here.
import { createTwoFilesPatch } from 'diff';
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
  /** WWIDs to remove with `multipath -w`, sorted: only ones we own and that carry no mounted fs. */
  removeWwids: string[];
  /** Removals not done, with the reason (not ours, or in use). */
  refused: RefusedRemoval[];
  /** The owned set before any operation: the state file plus what `apply.adopt` takes over. */
  owned: string[];
}

export interface PlanInput {
  desiredFiles: DropIn[];
  /** Current content of each of our drop-ins by file name (`null`/absent: no such file). */
  currentFiles: Record<string, string | null>;
  /** Current wwids file text; `null` when it does not exist. */
  wwidsText: string | null;
  /** WWIDs this node should have on its allow-list. */
  desiredWwids: string[];
  /** WWIDs this tool added earlier (the state file). */
  ownedWwids: string[];
  /** `apply.adopt`: pre-existing WWIDs we may take over. */
  adopt: 'all' | string[];
  /** WWIDs whose map carries a mounted filesystem, with a description of the mount. */
  protectedWwids: Map<string, string>;
  /** Used in diff headers, e.g. the conf.d directory. */
  confDir?: string;
  /** Compute unified diffs (default true; an apply pass does not need them). */
  diffs?: boolean;
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

export function unifiedDiff(name: string, oldText: string | null, newText: string | null): string {
  const oldName = oldText === null ? '/dev/null' : name;
  const newName = newText === null ? '/dev/null' : name;
  const patch = createTwoFilesPatch(oldName, newName, oldText ?? '', newText ?? '', undefined, undefined, {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  // jsdiff starts with an `Index`-style `====` rule: drop it, so the output is a plain unified diff.
  if (patch !== undefined) return patch.replace(/^(?:Index: .*\n)?=+\n/, '');
  const count = (t: string | null) => (t ? t.split('\n').length - (t.endsWith('\n') ? 1 : 0) : 0);
  return `--- ${oldName}\n+++ ${newName}\n(more than ${MAX_EDIT_LENGTH} lines differ: ${count(oldText)} lines replaced by ${count(newText)})\n`;
}

export function planApply(input: PlanInput): ApplyPlan {
  const files: FileChange[] = [];
  const desiredNames = new Set(input.desiredFiles.map((f) => f.fileName));
  const prefix = input.confDir ? `${input.confDir.replace(/\/+$/, '')}/` : '';
  const unifiedDiffIf = (name: string, oldText: string | null, newText: string | null): string =>
    input.diffs === false ? '' : unifiedDiff(name, oldText, newText);
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

  const current = parseWwids(input.wwidsText);
  const currentSet = new Set(current);
  const desired = new Set(input.desiredWwids);
  const adopted = input.adopt === 'all' ? current : input.adopt.filter((w) => currentSet.has(w));
  const owned = new Set([...input.ownedWwids, ...adopted]);

  const addWwids = [...desired].filter((w) => !currentSet.has(w)).sort(byText);
  const removeWwids: string[] = [];
  const refused: RefusedRemoval[] = [];
  for (const wwid of [...currentSet].filter((w) => !desired.has(w)).sort(byText)) {
    const mount = input.protectedWwids.get(wwid);
    if (!owned.has(wwid)) {
      refused.push({
        wwid,
        reason: 'not added by multipath-exporter (it was there before or added by hand); list it in apply.adopt to let it be removed',
      });
    } else if (mount !== undefined) {
      refused.push({ wwid, reason: `its map carries a mounted filesystem (${mount})` });
    } else {
      removeWwids.push(wwid);
    }
  }
  return { files, addWwids, removeWwids, refused, owned: [...owned].sort(byText) };
}

export function planIsEmpty(plan: ApplyPlan): boolean {
  return plan.files.length === 0 && plan.addWwids.length === 0 && plan.removeWwids.length === 0;
}

/**
 * The owned set after a pass: what we owned (state + adopted), plus WWIDs added, minus WWIDs
 * removed, minus owned WWIDs that vanished from the wwids file by other means.
 */
export function nextOwned(plan: ApplyPlan, wwidsBefore: string[], added: string[], removed: string[]): string[] {
  const present = new Set(wwidsBefore);
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
  if (planIsEmpty(plan)) out.push('nothing to change\n');
  return out.join('');
}
