// The state file (`<stateDir>/owned-wwids.json`, pure): which WWIDs this tool added (or adopted),
// and the one WWID operation under way. The intent is written (and fsynced) before `multipath -a`
// or `-w` runs, so a crash at any point leaves ownership recoverable: the next pass reads the
// intent against the wwids file (docs/config.md, "Adoption and safety rules").
import { z } from 'zod';

export const WwidIntent = z.strictObject({ action: z.enum(['add', 'remove']), wwid: z.string().min(1) });
export type WwidIntent = z.infer<typeof WwidIntent>;

const StateFile = z.object({
  wwids: z.array(z.string()),
  /** The operation started and not yet recorded as done (absent between passes). */
  intent: WwidIntent.optional(),
});

export type StateRead = { ok: true; owned: string[]; intent?: WwidIntent } | { ok: false; error: string };

/** The state file's text (`null`: no file, nothing owned yet) -> owned WWIDs and pending intent. */
export function parseOwnedState(text: string | null, path: string): StateRead {
  if (text === null) return { ok: true, owned: [] };
  let why: string;
  try {
    const parsed = StateFile.safeParse(JSON.parse(text));
    if (parsed.success) return { ok: true, owned: parsed.data.wwids, intent: parsed.data.intent };
    why = parsed.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ');
  } catch (err) {
    why = (err as Error).message;
  }
  return stateUnreadable(path, why);
}

export function stateUnreadable(path: string, why: string): StateRead {
  return { ok: false, error: `state file ${path} unreadable (${why}); no WWID is added or removed until it is fixed or deleted` };
}

export function renderOwnedState(owned: readonly string[], intent?: WwidIntent): string {
  const data = {
    version: 2,
    comment: 'WWIDs multipath-exporter added to the wwids file (or adopted); only these are ever removed',
    wwids: owned,
    ...(intent ? { intent } : {}),
  };
  return `${JSON.stringify(data, null, 2)}\n`;
}

/**
 * The owned set once an interrupted operation is settled against the wwids file: an `add` whose
 * WWID is now listed did run (the plan only adds a WWID that was absent), so it is ours; a
 * `remove` whose WWID is gone did run, so it is no longer ours. Otherwise the operation did not
 * happen and ownership is as recorded.
 */
export function settleIntent(owned: readonly string[], intent: WwidIntent | undefined, present: ReadonlySet<string>): { owned: string[]; note?: string } {
  const out = new Set(owned);
  if (!intent) return { owned: [...out] };
  const listed = present.has(intent.wwid);
  if (intent.action === 'add' && listed) {
    out.add(intent.wwid);
    return { owned: [...out], note: `WWID ${intent.wwid}: the last pass stopped while adding it; it is in the wwids file, so it is owned` };
  }
  if (intent.action === 'remove' && !listed) {
    out.delete(intent.wwid);
    return { owned: [...out], note: `WWID ${intent.wwid}: the last pass stopped while removing it; it is gone from the wwids file` };
  }
  return { owned: [...out], note: `WWID ${intent.wwid}: the last pass stopped before ${intent.action === 'add' ? 'adding' : 'removing'} it took effect; nothing changed` };
}
