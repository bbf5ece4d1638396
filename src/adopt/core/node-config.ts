// The parsed files of one node -> the configuration multipath-tools 0.9.4 builds from them (pure):
// /etc/multipath.conf first, then conf.d/*.conf in name order; `defaults` and `overrides` keywords
// overwrite (the last one read wins), `device` entries with the same vendor/product/revision strings
// merge into the last one (libmultipath/config.c, factorize_hwtable), `multipath` entries merge by
// WWID (merge_mptable), `protocol` entries by type, blacklist entries accumulate in order.
import { canonicalKeyword } from './keywords.js';
import { type ConfFile, type ConfProblem, type ConfSection, isEffectiveKeyword } from './multipath-conf.js';

export interface Setting {
  value: string;
  file: string;
  line: number;
}

/** Canonical keyword -> its value and where it was set. */
export type Settings = Map<string, Setting>;

export type ListItem =
  | { keyword: 'devnode' | 'wwid' | 'property' | 'protocol'; value: string; file: string; line: number }
  | { keyword: 'device'; settings: Settings; file: string; line: number };

export interface NodeConf {
  defaults: Settings;
  blacklist: ListItem[];
  blacklistExceptions: ListItem[];
  /** In the order multipath-tools keeps them (later entries take precedence when several match). */
  devices: Settings[];
  /** `undefined` when no file has an `overrides` section. */
  overrides?: Settings;
  protocols: Settings[];
  /** WWID -> the merged `multipath` entry (alias included). */
  multipaths: Map<string, Settings>;
}

/** The conf.d names multipath-tools reads, in its order: ending in `.conf`, sorted bytewise (alphasort, C locale). */
export function confDirOrder(names: readonly string[]): string[] {
  return names.filter((n) => n.endsWith('.conf') && n !== '.conf').sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function settingsOf(section: ConfSection, file: string): Settings {
  const out: Settings = new Map();
  for (const child of section.children) {
    if (child.type === 'keyword' && isEffectiveKeyword(section.path, child.keyword)) {
      out.set(canonicalKeyword(child.keyword), { value: child.value, file, line: child.line });
    }
  }
  return out;
}

/** Later settings win; earlier ones fill the gaps (merge_hwe, merge_mpe). */
function mergeInto(earlier: Settings, later: Settings): Settings {
  return new Map([...earlier, ...later]);
}

/** Entries merged by a key, each at the position of its last occurrence (factorize_hwtable). */
function mergeByKey(entries: Settings[], keyOf: (s: Settings) => string): Settings[] {
  const merged = new Map<string, { settings: Settings; last: number }>();
  entries.forEach((entry, index) => {
    const key = keyOf(entry);
    const before = merged.get(key);
    merged.set(key, { settings: before ? mergeInto(before.settings, entry) : entry, last: index });
  });
  return [...merged.values()].sort((a, b) => a.last - b.last).map((m) => m.settings);
}

function listItems(section: ConfSection, file: string): ListItem[] {
  const out: ListItem[] = [];
  for (const child of section.children) {
    if (child.type === 'section') out.push({ keyword: 'device', settings: settingsOf(child, file), file, line: child.line });
    else if (isEffectiveKeyword(section.path, child.keyword)) {
      out.push({ keyword: child.keyword as 'devnode', value: child.value, file, line: child.line });
    }
  }
  return out;
}

/** The files of one node, in the order multipath-tools reads them, -> its configuration. */
export function mergeNodeFiles(files: readonly ConfFile[]): { conf: NodeConf; warnings: ConfProblem[] } {
  const warnings: ConfProblem[] = [];
  const conf: NodeConf = { defaults: new Map(), blacklist: [], blacklistExceptions: [], devices: [], protocols: [], multipaths: new Map() };
  const devices: Settings[] = [];
  const protocols: Settings[] = [];
  const multipaths: Settings[] = [];
  for (const { file, sections } of files) {
    for (const section of sections) {
      const subsections = section.children.filter((c): c is ConfSection => c.type === 'section');
      switch (section.name) {
        case 'defaults':
          conf.defaults = mergeInto(conf.defaults, settingsOf(section, file));
          break;
        case 'blacklist':
          conf.blacklist.push(...listItems(section, file));
          break;
        case 'blacklist_exceptions':
          conf.blacklistExceptions.push(...listItems(section, file));
          break;
        case 'overrides':
          conf.overrides = mergeInto(conf.overrides ?? new Map(), settingsOf(section, file));
          for (const p of subsections) {
            const s = settingsOf(p, file);
            if (s.has('type')) protocols.push(s);
            else warnings.push({ file, line: p.line, message: 'protocol section without "type"; multipath-tools drops it' });
          }
          break;
        case 'devices':
          for (const d of subsections) {
            const s = settingsOf(d, file);
            if (s.has('vendor') && s.has('product')) devices.push(s);
            else warnings.push({ file, line: d.line, message: 'device section without vendor or product; multipath-tools drops it' });
          }
          break;
        case 'multipaths':
          for (const m of subsections) {
            const s = settingsOf(m, file);
            if (s.has('wwid')) multipaths.push(s);
            else warnings.push({ file, line: m.line, message: 'multipath section without "wwid"; multipath-tools drops it' });
          }
          break;
      }
    }
  }
  conf.devices = mergeByKey(devices, (s) => ['vendor', 'product', 'revision'].map((k) => s.get(k)?.value ?? '\u0000').join('\u0001'));
  conf.protocols = mergeByKey(protocols, (s) => s.get('type')!.value);
  for (const entry of multipaths) {
    const wwid = entry.get('wwid')!;
    const before = conf.multipaths.get(wwid.value);
    if (before) {
      const first = before.get('wwid')!;
      warnings.push({ file: wwid.file, line: wwid.line, message: `second multipath section for ${wwid.value} (first: ${first.file} line ${first.line}); multipath-tools merges them, the later values win` });
    }
    conf.multipaths.set(wwid.value, before ? mergeInto(before, entry) : entry);
  }
  return { conf, warnings };
}
