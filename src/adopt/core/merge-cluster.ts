// N nodes' multipath configuration -> one cluster config, and every place where the nodes disagree
// (pure). A disagreement is settled only by an explicit choice (prefer a node, or the majority);
// otherwise the value is left out and reported, so nothing changes silently.
import { ALIAS_PATTERN, MANAGED_DEFAULTS, defaultsOnlyKnobShape, lunOnlyKnobShape, sharedKnobShape } from '../../common/core/multipath-knobs.js';
import type { NodeConf } from './node-config.js';
import { renderDefaultsBlock, renderList, renderListItem, renderOverrideSections } from './render-sections.js';
import type { Binding, SavedMap } from './state-files.js';

export interface NodeInput {
  name: string;
  conf: NodeConf;
  /** Active WWIDs of the node's wwids file (empty when it has none). */
  wwids: readonly string[];
  bindings: readonly Binding[];
  /** The saved `show maps json`, when there is one. */
  maps?: readonly SavedMap[];
}

export interface ImportOptions {
  /** Settle every disagreement with this node's value, where it has one. */
  prefer?: string;
  /** Settle the remaining disagreements by a strict majority of the nodes involved. */
  majority?: boolean;
}

export type IssueSeverity = 'unresolved' | 'resolved' | 'note';

export interface Issue {
  /** Where it belongs: `cluster`, `defaults`, `overrides`, or `lun:<WWID>`. */
  at: string;
  severity: IssueSeverity;
  message: string;
}

export interface ImportedLun {
  wwid: string;
  alias?: string;
  nodes?: string[];
  paths?: number;
  knobs: Record<string, string>;
}

export interface ImportedCluster {
  nodes: string[];
  defaults: Record<string, string>;
  luns: ImportedLun[];
  overrides: string;
  /** Sections left out because the nodes disagree: variant text -> the nodes that have it. */
  overrideVariants: Array<{ section: string; variants: Array<{ nodes: string[]; text: string | undefined }> }>;
}

/**
 * What multipath-tools 0.9.4 (Debian 12 build) uses for a defaults knob nobody set, as `multipath -t`
 * prints it (test/adopt checks this table against the real binary). Knobs without a fixed default
 * (no_path_retry, dev_loss_tmo, max_polling_interval: 4 x polling_interval, ...) are absent.
 */
export const BUILTIN_DEFAULTS: Readonly<Record<string, string>> = {
  path_grouping_policy: 'failover',
  failback: 'manual',
  path_selector: 'service-time 0',
  rr_min_io_rq: '1',
  rr_weight: 'uniform',
  features: '0',
  prio: 'const',
  flush_on_last_del: 'no',
  user_friendly_names: 'no',
  deferred_remove: 'no',
  skip_kpartx: 'no',
  marginal_path_err_sample_time: 'no',
  marginal_path_err_rate_threshold: 'no',
  marginal_path_err_recheck_gap_time: 'no',
  marginal_path_double_failed_time: 'no',
  delay_watch_checks: 'no',
  delay_wait_checks: 'no',
  find_multipaths: 'strict',
  polling_interval: '5',
  path_checker: 'tur',
  fast_io_fail_tmo: '5',
  queue_without_daemon: 'no',
  detect_prio: 'yes',
  detect_checker: 'yes',
  retain_attached_hw_handler: 'yes',
  uxsock_timeout: '4000',
};

const DEFAULTS_SHAPE: Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues: Array<{ message: string }> } } }> = {
  ...sharedKnobShape,
  ...defaultsOnlyKnobShape,
};
const LUN_SHAPE: typeof DEFAULTS_SHAPE = { ...sharedKnobShape, ...lunOnlyKnobShape };

/** A knob value in the spelling the drop-ins use, or the reason the cluster config rejects it. */
function normalise(shape: typeof DEFAULTS_SHAPE, key: string, value: string): { ok: true; value: string } | { ok: false; message: string } {
  const schema = shape[key];
  if (!schema) return { ok: true, value };
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: String(r.data) } : { ok: false, message: r.error?.issues[0]?.message ?? 'invalid' };
}

const UNSET = '(unset)';
type Opinion = { node: string; value: string | undefined };

function describe(opinions: readonly Opinion[]): string {
  const groups = new Map<string, string[]>();
  for (const o of opinions) {
    const key = o.value === undefined ? UNSET : JSON.stringify(o.value);
    groups.set(key, [...(groups.get(key) ?? []), o.node]);
  }
  return [...groups].map(([v, nodes]) => `${nodes.join(', ')}: ${v}`).join('; ');
}

type Resolution = { agreed: true; value: string | undefined } | { agreed: false; value: string | undefined; how: string } | { agreed: false; unresolved: true };

/** The nodes' values -> one value: agreed, or settled by the options, or not at all. */
function resolve(opinions: readonly Opinion[], options: ImportOptions): Resolution {
  const distinct = new Set(opinions.map((o) => o.value));
  if (distinct.size <= 1) return { agreed: true, value: opinions[0]?.value };
  const preferred = opinions.find((o) => o.node === options.prefer);
  if (preferred) return { agreed: false, value: preferred.value, how: `--prefer ${preferred.node}` };
  if (options.majority) {
    const counts = new Map<string | undefined, number>();
    for (const o of opinions) counts.set(o.value, (counts.get(o.value) ?? 0) + 1);
    const [value, count] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    if (count * 2 > opinions.length) return { agreed: false, value, how: `--resolve majority (${count} of ${opinions.length})` };
  }
  return { agreed: false, unresolved: true };
}

const show = (v: string | undefined): string => (v === undefined ? UNSET : JSON.stringify(v));

/** Records a disagreement; returns the settled value, or `null` when it stays open. */
function settle(issues: Issue[], at: string, what: string, opinions: readonly Opinion[], options: ImportOptions): { value: string | undefined } | null {
  const r = resolve(opinions, options);
  if (r.agreed) return { value: r.value };
  if ('unresolved' in r) {
    issues.push({ at, severity: 'unresolved', message: `${what}: nodes disagree (${describe(opinions)}); left out: choose with --prefer NODE or --resolve majority, or set it by hand` });
    return null;
  }
  issues.push({ at, severity: 'resolved', message: `${what}: nodes disagree (${describe(opinions)}); ${show(r.value)} chosen by ${r.how}` });
  return { value: r.value };
}

function userFriendlyFor(conf: NodeConf, wwid: string): boolean {
  const value = conf.multipaths.get(wwid)?.get('user_friendly_names')?.value ?? conf.overrides?.get('user_friendly_names')?.value ?? conf.defaults.get('user_friendly_names')?.value ?? 'no';
  return value === 'yes' || value === '1';
}

/** A node's aliases as multipath-tools applies them: of two entries with one alias, the lowest WWID keeps it. */
function effectiveAliases(conf: NodeConf): Map<string, string> {
  const byAlias = new Map<string, string>();
  for (const [wwid, s] of [...conf.multipaths].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const alias = s.get('alias')?.value;
    if (alias && !byAlias.has(alias)) byAlias.set(alias, wwid);
  }
  return new Map([...byAlias].map(([alias, wwid]) => [wwid, alias]));
}

/** The name a node's configuration gives a WWID's map: undefined = the WWID itself; null = not known. */
function configuredName(node: NodeInput, aliases: Map<string, string>, wwid: string): string | undefined | null {
  const alias = aliases.get(wwid);
  if (alias) return alias;
  if (!userFriendlyFor(node.conf, wwid)) return undefined;
  const binding = node.bindings.find((b) => b.wwid === wwid);
  // A bindings alias that a multipaths alias of another WWID claims is dropped by multipath-tools.
  if (binding && ![...aliases].some(([w, a]) => a === binding.alias && w !== wwid)) return binding.alias;
  return null;
}

export function importCluster(inputs: readonly NodeInput[], options: ImportOptions = {}): { cluster: ImportedCluster; issues: Issue[] } {
  const issues: Issue[] = [];
  const nodes = inputs.map((n) => n.name);
  if (options.prefer !== undefined && !nodes.includes(options.prefer)) {
    issues.push({ at: 'cluster', severity: 'unresolved', message: `--prefer ${options.prefer}: no such node (nodes: ${nodes.join(', ')})` });
  }

  // defaults: each node's effective value (what it sets, else the built-in default).
  const defaults: Record<string, string> = {};
  const passThrough = new Map<string, string>();
  const defaultKeys = [...new Set(inputs.flatMap((n) => [...n.conf.defaults.keys()]))].sort();
  for (const key of defaultKeys) {
    const opinions = inputs.map((n): Opinion => {
      const raw = n.conf.defaults.get(key)?.value ?? BUILTIN_DEFAULTS[key];
      if (raw === undefined) return { node: n.name, value: undefined };
      const norm = normalise(DEFAULTS_SHAPE, key, raw);
      return { node: n.name, value: norm.ok ? norm.value : raw };
    });
    if (key === 'user_friendly_names') {
      const on = opinions.filter((o) => o.value === 'yes').map((o) => o.node);
      if (on.length > 0) {
        issues.push({
          at: 'defaults',
          severity: 'note',
          message: `user_friendly_names yes (${on.join(', ')}) is not carried over: map names come from each LUN's alias (its bindings name where no multipaths alias exists), the same on every node`,
        });
      }
      continue;
    }
    const settled = settle(issues, 'defaults', `defaults ${key}`, opinions, options);
    if (!settled || settled.value === undefined) continue;
    const value = settled.value;
    if (value === (MANAGED_DEFAULTS[key] ?? BUILTIN_DEFAULTS[key])) continue;
    if (!(key in DEFAULTS_SHAPE)) {
      passThrough.set(key, value);
      continue;
    }
    const norm = normalise(DEFAULTS_SHAPE, key, value);
    if (norm.ok) defaults[key] = norm.value;
    else issues.push({ at: 'defaults', severity: 'unresolved', message: `defaults ${key} ${JSON.stringify(value)} is not carried over: ${norm.message}` });
  }
  for (const key of Object.keys(MANAGED_DEFAULTS)) {
    if (!(key in defaults) && key !== 'user_friendly_names' && !defaultKeys.includes(key) && MANAGED_DEFAULTS[key] !== BUILTIN_DEFAULTS[key]) {
      issues.push({ at: 'defaults', severity: 'note', message: `${key} becomes ${JSON.stringify(MANAGED_DEFAULTS[key])} (the managed baseline; multipath-tools' default is ${show(BUILTIN_DEFAULTS[key])})` });
    }
  }

  // Every WWID any node lists in wwids, multipaths, bindings or its saved maps.
  const wwids = new Set<string>();
  for (const n of inputs) {
    for (const w of n.wwids) wwids.add(w);
    for (const w of n.conf.multipaths.keys()) wwids.add(w);
    for (const b of n.bindings) wwids.add(b.wwid);
    for (const m of n.maps ?? []) wwids.add(m.wwid);
  }

  // devices, blacklist, blacklist_exceptions, overrides: carried as text when every node has the same.
  const rendered = inputs.map((n) => ({ node: n.name, sections: renderOverrideSections(n.conf) }));
  const overrideParts: string[] = passThrough.size > 0 ? [renderDefaultsBlock(passThrough)] : [];
  const overrideVariants: ImportedCluster['overrideVariants'] = [];
  for (const section of ['blacklist', 'blacklist_exceptions', 'devices', 'overrides'] as const) {
    const opinions = rendered.map((r): Opinion => ({ node: r.node, value: r.sections[section] }));
    const union = section === 'blacklist' ? nodeSpecificBlacklistUnion(inputs, wwids) : undefined;
    if (union) {
      issues.push({ at: 'overrides', severity: 'resolved', message: `the blacklist differs between nodes only in wwid entries that match no WWID of the cluster (${union.extra.join(', ')}): all of them are kept, so each node still ignores its own local disks` });
      overrideParts.push(union.text);
      continue;
    }
    const r = resolve(opinions, options);
    const variants = () => {
      const byText = new Map<string | undefined, string[]>();
      for (const o of opinions) byText.set(o.value, [...(byText.get(o.value) ?? []), o.node]);
      return [...byText].map(([text, ns]) => ({ nodes: ns, text }));
    };
    const who = () => differingLines(variants());
    if (r.agreed || !('unresolved' in r)) {
      if (!r.agreed) issues.push({ at: 'overrides', severity: 'resolved', message: `the ${section} section differs between nodes (${who()}); ${r.value === undefined ? 'none' : 'one version'} chosen by ${r.how}` });
      if (r.value !== undefined) overrideParts.push(r.value);
    } else {
      issues.push({ at: 'overrides', severity: 'unresolved', message: `the ${section} section differs between nodes (${who()}); left out (the versions are below): choose with --prefer NODE or --resolve majority, or merge them by hand` });
      overrideVariants.push({ section, variants: variants() });
    }
  }
  const devicesWithNames = inputs.filter((n) => n.conf.devices.some((d) => d.has('user_friendly_names')) || n.conf.devices.some((d) => d.has('alias_prefix')));
  if (devicesWithNames.length > 0) {
    issues.push({ at: 'overrides', severity: 'note', message: `a device section sets user_friendly_names or alias_prefix (${devicesWithNames.map((n) => n.name).join(', ')}); map names were taken from the multipaths, overrides and defaults sections only` });
  }

  // LUNs.
  const aliasesOf = new Map(inputs.map((n) => [n.name, effectiveAliases(n.conf)]));
  const aliasOpen = new Set<string>();
  const luns: ImportedLun[] = [];
  for (const wwid of [...wwids].sort()) {
    const at = `lun:${wwid}`;
    const seenOn = inputs.filter((n) => n.wwids.includes(wwid) || n.maps?.some((m) => m.wwid === wwid));
    const configuredOn = inputs.filter((n) => n.conf.multipaths.has(wwid) || n.bindings.some((b) => b.wwid === wwid));
    const involved = seenOn.length > 0 ? seenOn : configuredOn;
    const lun: ImportedLun = { wwid, knobs: {} };

    // The alias: the name each involved node gives the map today.
    const names: Opinion[] = [];
    for (const n of involved) {
      const name = configuredName(n, aliasesOf.get(n.name)!, wwid);
      const live = n.maps?.find((m) => m.wwid === wwid)?.name;
      const liveName = live === undefined || live === wwid ? (live === undefined ? null : undefined) : live;
      if (name === null && liveName === null) {
        issues.push({ at, severity: 'note', message: `${n.name}: user_friendly_names is on but the bindings file has no name for it (and no saved map shows one); it is left out of the naming` });
        continue;
      }
      if (name !== null && liveName !== null && name !== liveName) {
        issues.push({ at, severity: 'note', message: `${n.name}: the map is named ${show(liveName ?? wwid)} in the saved maps but its configuration names it ${show(name ?? wwid)} (a reconfigure would rename it)` });
      }
      names.push({ node: n.name, value: name === null ? (liveName ?? undefined) : name });
    }
    const stale = inputs.filter((n) => n.bindings.some((b) => b.wwid === wwid) && !userFriendlyFor(n.conf, wwid) && !aliasesOf.get(n.name)!.has(wwid));
    if (stale.length > 0) issues.push({ at, severity: 'note', message: `bindings name not used: user_friendly_names is off on ${stale.map((n) => n.name).join(', ')}` });
    const alias = settle(issues, at, 'alias (map name)', names, options);
    if (alias === null) aliasOpen.add(wwid);
    if (alias?.value !== undefined) {
      if (ALIAS_PATTERN.test(alias.value)) lun.alias = alias.value;
      else issues.push({ at, severity: 'unresolved', message: `alias ${JSON.stringify(alias.value)} is not carried over: the cluster config allows letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)` });
    }

    // Per-LUN knobs from the multipaths entries, among the nodes that see or configure the WWID.
    const knobNodes = inputs.filter((n) => seenOn.includes(n) || n.conf.multipaths.has(wwid));
    const keys = [...new Set(knobNodes.flatMap((n) => [...(n.conf.multipaths.get(wwid)?.keys() ?? [])]))].filter((k) => k !== 'wwid' && k !== 'alias').sort();
    for (const key of keys) {
      const opinions = knobNodes.map((n): Opinion => {
        const raw = n.conf.multipaths.get(wwid)?.get(key)?.value;
        const norm = raw === undefined ? undefined : normalise(LUN_SHAPE, key, raw);
        return { node: n.name, value: norm === undefined ? undefined : norm.ok ? norm.value : raw };
      });
      const settled = settle(issues, at, key, opinions, options);
      if (!settled || settled.value === undefined) continue;
      if (!(key in LUN_SHAPE)) {
        issues.push({ at, severity: 'unresolved', message: `${key} ${JSON.stringify(settled.value)} is not carried over: the cluster config has no per-LUN ${key}, and cluster.overrides may not contain a multipaths section` });
        continue;
      }
      const norm = normalise(LUN_SHAPE, key, settled.value);
      if (norm.ok) lun.knobs[key] = norm.value;
      else issues.push({ at, severity: 'unresolved', message: `${key} ${JSON.stringify(settled.value)} is not carried over: ${norm.message}` });
    }

    if (seenOn.length === 0) {
      lun.nodes = [];
      issues.push({ at, severity: 'note', message: `configured (${configuredOn.map((n) => n.name).join(', ')}) but in no node's wwids file or saved maps: expected on no node; list nodes to allow-list it` });
    } else if (seenOn.length < inputs.length) {
      lun.nodes = seenOn.map((n) => n.name);
    }
    const pathCounts = inputs.flatMap((n) => {
      const m = n.maps?.find((x) => x.wwid === wwid);
      return m ? [{ node: n.name, paths: m.paths }] : [];
    });
    if (pathCounts.length > 0) {
      const max = Math.max(...pathCounts.map((p) => p.paths));
      if (max > 0) lun.paths = Math.min(max, 1024);
      const fewer = pathCounts.filter((p) => p.paths < max);
      if (fewer.length > 0) issues.push({ at, severity: 'note', message: `paths: ${max} expected (the most any node has); fewer now on ${fewer.map((p) => `${p.node} (${p.paths})`).join(', ')}` });
    }
    luns.push(lun);
  }

  // One alias may name one map only.
  const byAlias = new Map<string, ImportedLun[]>();
  for (const lun of luns) if (lun.alias) byAlias.set(lun.alias, [...(byAlias.get(lun.alias) ?? []), lun]);
  for (const [alias, holders] of byAlias) {
    if (holders.length < 2) continue;
    const holdersOn = (node: string) => holders.filter((l) => inputs.find((n) => n.name === node) && configuredName(inputs.find((n) => n.name === node)!, aliasesOf.get(node)!, l.wwid) === alias);
    const preferred = options.prefer ? holdersOn(options.prefer) : [];
    let keeper: ImportedLun | undefined = preferred.length === 1 ? preferred[0] : undefined;
    if (!keeper && options.majority) {
      const counts = holders.map((l) => ({ lun: l, count: nodes.filter((node) => holdersOn(node).includes(l)).length })).sort((a, b) => b.count - a.count);
      if (counts[0]!.count > counts[1]!.count) keeper = counts[0]!.lun;
    }
    const list = holders.map((l) => l.wwid).join(', ');
    for (const lun of holders) {
      if (lun === keeper) continue;
      delete lun.alias;
      if (!keeper) aliasOpen.add(lun.wwid);
      issues.push({
        at: `lun:${lun.wwid}`,
        severity: keeper ? 'resolved' : 'unresolved',
        message: keeper
          ? `alias "${alias}" names ${list} on different nodes; it stays with ${keeper.wwid} (${options.prefer && preferred.length === 1 ? `--prefer ${options.prefer}` : '--resolve majority'}), this LUN gets no alias`
          : `alias "${alias}" names ${list} on different nodes; left out of all of them: choose with --prefer NODE or --resolve majority, or set aliases by hand`,
      });
    }
  }

  // What each node would call each map afterwards: every rename is listed.
  for (const lun of luns.filter((l) => !aliasOpen.has(l.wwid))) {
    for (const n of inputs) {
      if (!(n.wwids.includes(lun.wwid) || n.maps?.some((m) => m.wwid === lun.wwid))) continue;
      const now = configuredName(n, aliasesOf.get(n.name)!, lun.wwid);
      if (now === null) continue;
      const after = lun.alias;
      if (now !== after) issues.push({ at: `lun:${lun.wwid}`, severity: 'note', message: `the map is renamed on ${n.name}: ${show(now ?? lun.wwid)} -> ${show(after ?? lun.wwid)}` });
    }
  }

  const overrides = overrideParts.join('');
  return { cluster: { nodes, defaults, luns, overrides, overrideVariants }, issues };
}

/** For each version of a section: the lines only some versions have, with the nodes that have them. */
function differingLines(variants: ReadonlyArray<{ nodes: string[]; text: string | undefined }>): string {
  const linesOf = (t: string | undefined) => (t ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '' && l !== '{' && l !== '}' && !l.endsWith('{'));
  const all = variants.map((v) => new Set(linesOf(v.text)));
  return variants
    .map((v, i) => {
      const own = [...all[i]!].filter((l) => !all.every((s) => s.has(l)));
      return `${v.nodes.join(', ')}: ${v.text === undefined ? 'no such section' : own.length ? own.join(', ') : 'a subset of the others'}`;
    })
    .join('; ');
}

/**
 * The blacklist of every node together, when the nodes differ only in `wwid` entries that match no
 * WWID of the cluster: each node blacklists its own local disks (root RAID volume, boot SSD), and
 * ignoring another node's local disk is harmless. Any other difference stays a disagreement.
 */
function nodeSpecificBlacklistUnion(inputs: readonly NodeInput[], clusterWwids: ReadonlySet<string>): { text: string; extra: string[] } | undefined {
  const perNode = inputs.map((n) => ({ items: n.conf.blacklist, texts: n.conf.blacklist.map(renderListItem) }));
  const union: string[] = [];
  const extra: string[] = [];
  for (const { items, texts } of perNode) {
    texts.forEach((text, i) => {
      if (union.includes(text)) return;
      union.push(text);
      if (perNode.every((p) => p.texts.includes(text))) return;
      const item = items[i]!;
      if (item.keyword !== 'wwid') return extra.push('\u0000');
      let pattern: RegExp;
      try {
        pattern = new RegExp(item.value);
      } catch {
        return extra.push('\u0000');
      }
      extra.push([...clusterWwids].some((w) => pattern.test(w)) ? '\u0000' : JSON.stringify(item.value));
    });
  }
  if (extra.length === 0 || extra.includes('\u0000')) return undefined;
  return { text: renderList('blacklist', union)!, extra };
}
