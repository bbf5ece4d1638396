// Config -> the three multipath.conf drop-ins this tool owns (pure). Separate files because
// multipath-tools merges sections differently within a file and across files (docs/config.md, "Managed baseline"): the
// managed `defaults`, the generated `multipaths` block and the admin overrides verbatim. The file
// names sort so that the overrides come last and win over the baseline.
import { byWwid, DEFAULT_PVE_DIR, type Config } from '../../common/core/config.js';
import { DEFAULTS_KNOB_NAMES, KNOB_INDENT, LUN_KNOB_NAMES, MANAGED_DEFAULTS, knobLine, lineTooLong } from '../../common/core/multipath-knobs.js';
import { normaliseOverrides } from '../../common/core/overrides-guard.js';

/** One drop-in: `content === null` means the file must not exist. */
export interface DropIn {
  /** Base name inside `apply.confDir`. */
  fileName: string;
  content: string | null;
}

/** First line of every drop-in we write; also how we recognise our own files. */
export const MANAGED_MARKER = '# Managed by multipath-exporter';

export function dropInNames(prefix: string): { defaults: string; multipaths: string; overrides: string } {
  return {
    defaults: `${prefix}-10-defaults.conf`,
    multipaths: `${prefix}-20-multipaths.conf`,
    overrides: `${prefix}-90-overrides.conf`,
  };
}

/** The most of the config path the header's comment line shows: 4-byte UTF-8 and all, it fits the line limit. */
const HEADER_PATH_CHARS = 200;

/** Where an admin edits what a drop-in holds: our YAML, or with `cluster.source: pve` the cluster's own file. */
interface Source {
  yaml: string;
  pve: { what: string; file: string };
}

function header(config: Config, configPath: string, source: Source): string {
  const pve = config.cluster.source === 'pve';
  const what = pve ? source.pve.what : source.yaml;
  if (pve) configPath = `${config.cluster.dir ?? DEFAULT_PVE_DIR}/${source.pve.file}`;
  // The config path goes into a comment: keep it on one line, and short enough for the line limit
  // even in 4-byte UTF-8 (a path is shortened from the left).
  const oneLine = configPath.replace(/[\r\n]/g, ' ');
  const path = oneLine.length > HEADER_PATH_CHARS ? `...${oneLine.slice(-HEADER_PATH_CHARS)}` : oneLine;
  return `${MANAGED_MARKER} - do not edit by hand.\n# Edit ${what} in ${path} instead; every node renders the same file.\n`;
}

function renderKnobs(knobs: Record<string, string>, names: readonly string[], indent: string): string {
  let out = '';
  for (const key of [...names].sort()) {
    const value = knobs[key];
    if (value !== undefined) out += `${knobLine(indent, key, value)}\n`;
  }
  return out;
}

/** The managed baseline with the config's `cluster.defaults` on top. */
export function effectiveDefaults(config: Config): Record<string, string> {
  const out: Record<string, string> = { ...MANAGED_DEFAULTS };
  for (const [key, value] of Object.entries(config.cluster.defaults)) {
    if (value !== undefined) out[key] = String(value);
  }
  return out;
}

/** The per-LUN knobs of a LUN (alias included), without our metadata (wwid, nodes, paths, usedBy). */
export function lunKnobs(lun: Config['cluster']['luns'][number]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of LUN_KNOB_NAMES) {
    const value = (lun as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = String(value);
  }
  return out;
}

export function renderDefaults(config: Config, configPath: string): string {
  return `${header(config, configPath, { yaml: 'cluster.defaults', pve: { what: 'the `defaults: defaults` section', file: 'multipath.cfg' } })}\ndefaults {\n${renderKnobs(effectiveDefaults(config), DEFAULTS_KNOB_NAMES, KNOB_INDENT.defaults)}}\n`;
}

/** The `multipaths` block, WWID-sorted; `null` when no LUN sets an alias or a knob. */
export function renderMultipaths(config: Config, configPath: string): string | null {
  const luns = [...config.cluster.luns]
    .map((lun) => ({ wwid: lun.wwid, knobs: lunKnobs(lun) }))
    .filter((l) => Object.keys(l.knobs).length > 0)
    .sort(byWwid);
  if (luns.length === 0) return null;
  let out = `${header(config, configPath, { yaml: 'the aliases and per-LUN knobs (cluster.luns)', pve: { what: 'the `wwid:` sections', file: 'multipath.cfg' } })}\nmultipaths {\n`;
  for (const lun of luns) {
    out += `\tmultipath {\n${knobLine(KNOB_INDENT.multipath, 'wwid', lun.wwid)}\n${renderKnobs(lun.knobs, LUN_KNOB_NAMES, KNOB_INDENT.multipath)}\t}\n`;
  }
  return `${out}}\n`;
}

/** The admin overrides verbatim (trailing whitespace trimmed); `null` when there are none. */
export function renderOverrides(config: Config, configPath: string): string | null {
  const text = normaliseOverrides(config.cluster.overrides);
  if (text === '') return null;
  return `${header(config, configPath, { yaml: 'the overrides (cluster.overrides)', pve: { what: 'the overrides', file: 'multipath-overrides.conf' } })}\n${text}`;
}

/**
 * The last line of defence behind validation: throws when a line of a drop-in would not fit
 * multipath-tools' line buffer, so such a file is never written.
 */
export function assertLinesFit(dropIn: DropIn): DropIn {
  (dropIn.content ?? '').split('\n').forEach((line, i) => {
    const why = lineTooLong(line);
    if (why) throw new Error(`refusing to render ${dropIn.fileName}: line ${i + 1} ${why}`);
  });
  return dropIn;
}

/** The three drop-ins in file-name order. */
export function renderDropIns(config: Config, configPath: string): DropIn[] {
  const names = dropInNames(config.apply.filePrefix);
  return [
    { fileName: names.defaults, content: renderDefaults(config, configPath) },
    { fileName: names.multipaths, content: renderMultipaths(config, configPath) },
    { fileName: names.overrides, content: renderOverrides(config, configPath) },
  ].map(assertLinesFit);
}
