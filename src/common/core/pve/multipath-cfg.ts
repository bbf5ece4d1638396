// /etc/pve/multipath.cfg, Proxmox VE's cluster-wide multipath config: a SectionConfig with one
// `defaults: defaults` section (global knobs) and one `wwid: <WWID>` section per allow-listed LUN
// (alias and per-LUN knobs). Keys are multipath.conf's keywords in kebab-case (`no-path-retry`);
// each value is checked with the same knob rules as the YAML config. Pure.
import type { z } from 'zod';
import { LunKnobs, Wwid } from '../config.js';
import { DEFAULTS_KNOB_NAMES, DefaultsKnobs, LUN_KNOB_NAMES } from '../multipath-knobs.js';
import type { ConfigError } from '../yaml-schema.js';
import { parseSectionConfig, type Section } from './section-config.js';

/** A `wwid` section, knobs in our (snake_case) spelling and still as written. */
export interface PveLun {
  wwid: string;
  knobs: Record<string, string>;
  /** Line of the section header and of each knob (snake_case key), for errors found later. */
  line: number;
  knobLines: Record<string, number>;
}

export interface PveMultipathCfg {
  defaults: Record<string, string>;
  luns: PveLun[];
}

export type PveMultipathCfgResult = { ok: true; value: PveMultipathCfg } | { ok: false; errors: ConfigError[] };

const SECTION_KNOBS: Record<string, { names: readonly string[]; schema: z.ZodType }> = {
  defaults: { names: DEFAULTS_KNOB_NAMES, schema: DefaultsKnobs },
  wwid: { names: LUN_KNOB_NAMES, schema: LunKnobs },
};

const kebab = (name: string) => name.replaceAll('_', '-');

/** The section's knobs (snake_case key -> value), or the errors of its keys and values. */
function sectionKnobs(section: Section, file: string, errors: ConfigError[]): { knobs: Record<string, string>; knobLines: Record<string, number> } {
  const { names, schema } = SECTION_KNOBS[section.type]!;
  const where = `${section.type}: ${section.id}`;
  const knobs: Record<string, string> = {};
  const knobLines: Record<string, number> = {};
  for (const { key, value, line } of section.properties) {
    const name = key.replaceAll('-', '_');
    if (key.includes('_') || !names.includes(name)) {
      const hint = key.includes('_') && names.includes(key) ? ` (keys are kebab-case here: ${kebab(key)})` : '';
      errors.push({ file, line, path: where, message: `unknown key "${key}"${hint}; allowed in a ${section.type} section: ${names.map(kebab).join(', ')}` });
    } else if (value === undefined) {
      errors.push({ file, line, path: where, message: `"${key}" needs a value` });
    } else {
      knobs[name] = value;
      knobLines[name] = line;
    }
  }
  const checked = schema.safeParse(knobs);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const name = String(issue.path[0] ?? '');
      const message = issue.code === 'invalid_value' && 'values' in issue ? `must be one of ${(issue.values as unknown[]).map(String).join(', ')}` : issue.message;
      errors.push({ file, line: knobLines[name] ?? section.line, path: where, message: `${kebab(name)}: ${message}` });
    }
  }
  return { knobs, knobLines };
}

export function parseMultipathCfg(text: string, file: string): PveMultipathCfgResult {
  const parsed = parseSectionConfig(text);
  const errors: ConfigError[] = parsed.problems.map((p) => ({ file, line: p.line, path: '', message: p.message }));
  const value: PveMultipathCfg = { defaults: {}, luns: [] };
  for (const section of parsed.sections) {
    const where = `${section.type}: ${section.id}`;
    if (!(section.type in SECTION_KNOBS)) {
      errors.push({ file, line: section.line, path: where, message: `unknown section type "${section.type}"; allowed: defaults, wwid` });
      continue;
    }
    if (section.type === 'defaults' && section.id !== 'defaults') {
      errors.push({ file, line: section.line, path: where, message: 'the defaults section is named "defaults" ("defaults: defaults")' });
      continue;
    }
    if (section.type === 'wwid') {
      const wwid = Wwid.safeParse(section.id);
      if (!wwid.success) {
        errors.push({ file, line: section.line, path: where, message: `bad WWID "${section.id}": ${wwid.error.issues[0]!.message}` });
        continue;
      }
    }
    const { knobs, knobLines } = sectionKnobs(section, file, errors);
    if (section.type === 'defaults') value.defaults = knobs;
    else value.luns.push({ wwid: section.id, knobs, line: section.line, knobLines });
  }
  return errors.length > 0 ? { ok: false, errors: errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) } : { ok: true, value };
}
