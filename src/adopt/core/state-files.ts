// The node-local state files multipath-tools keeps next to multipath.conf (pure): the bindings file
// (user_friendly_names aliases, libmultipath/alias.c) and a saved `multipathd show maps json`.
// The wwids file has one parser in the project: parseWwids (apply/core/apply-plan.ts).
import { parseMapsReply } from '../../scrape/core/parse-multipathd.js';
import type { ConfProblem } from './multipath-conf.js';

export interface Binding {
  alias: string;
  wwid: string;
  line: number;
}

/**
 * `alias wwid` lines; `#` starts a comment, blank lines are skipped. As multipath-tools reads it, the
 * first line for a WWID is the one used, and a second line binding an alias already bound to another
 * WWID is discarded: both are reported.
 */
export function parseBindings(text: string, file: string): { bindings: Binding[]; warnings: ConfProblem[] } {
  const bindings: Binding[] = [];
  const warnings: ConfProblem[] = [];
  const byAlias = new Map<string, Binding>();
  const byWwid = new Map<string, Binding>();
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const content = raw.split(/[#\r]/)[0]!;
    const [alias, wwid, extra] = content.split(/[ \t]+/).filter(Boolean);
    if (alias === undefined) return;
    if (wwid === undefined) {
      warnings.push({ file, line, message: `"${alias}" has no WWID; multipath-tools ignores the line` });
      return;
    }
    if (extra !== undefined) warnings.push({ file, line, message: `extra text "${extra}" after the WWID is ignored` });
    const other = byAlias.get(alias);
    if (other && other.wwid !== wwid) {
      warnings.push({ file, line, message: `alias "${alias}" is already bound to ${other.wwid} on line ${other.line}; multipath-tools discards this binding to ${wwid}` });
      return;
    }
    const earlier = byWwid.get(wwid);
    if (earlier) {
      if (earlier.alias !== alias) warnings.push({ file, line, message: `${wwid} is already bound to "${earlier.alias}" on line ${earlier.line}; multipath-tools uses the first line` });
      return;
    }
    const binding = { alias, wwid, line };
    byAlias.set(alias, binding);
    byWwid.set(wwid, binding);
    bindings.push(binding);
  });
  return { bindings, warnings };
}

export interface SavedMap {
  wwid: string;
  name: string;
  /** Every path of the map, whatever its state when the maps were saved. */
  paths: number;
  vendor?: string;
  product?: string;
}

/** A saved `multipathd show maps json` -> its maps, or an error naming the file. */
export function parseSavedMaps(text: string, file: string): { ok: true; maps: SavedMap[] } | { ok: false; error: ConfProblem } {
  const parsed = parseMapsReply(text);
  if (!parsed.ok) return { ok: false, error: { file, message: `not a saved "multipathd show maps json": ${parsed.message}` } };
  return {
    ok: true,
    maps: parsed.value.maps.map((m) => ({ wwid: m.wwid, name: m.name, paths: m.pathsTotal, vendor: m.vendor, product: m.product })),
  };
}
