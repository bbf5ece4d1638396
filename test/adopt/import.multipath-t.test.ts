// Proof of equivalence with the real parser: for every fixture cluster and node, what multipath -t
// (multipath-tools 0.9.4) makes of the node's original files equals what it makes of the drop-ins
// rendered from the imported config, for every managed key of every allow-listed WWID, the defaults
// and the override-able sections. Every difference that remains is listed below with its reason.
// Then `plan` against the original files changes only our drop-ins and removes no WWID.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planOnce } from '../../src/apply/io/apply.js';
import { renderDropIns } from '../../src/apply/core/render-config.js';
import { parseConfigText } from '../../src/common/core/config-text.js';
import { isExpectedOn, type Config } from '../../src/common/core/config.js';
import { LUN_KNOB_NAMES } from '../../src/common/core/multipath-knobs.js';
import { loadNode, type NodeFiles } from '../../src/adopt/core/load-node.js';
import { importCluster, type ImportOptions } from '../../src/adopt/core/merge-cluster.js';
import { importedConfigYaml } from '../../src/adopt/core/write-yaml.js';
import { parseBindings } from '../../src/adopt/core/state-files.js';
import { readNodeDirectories } from '../../src/adopt/io/read-nodes.js';
import { makeRoot } from '../support/apply-root.js';
import { dumpedKnobs, dumpedMultipaths, dumpedSection, multipathT } from '../support/multipath-t.js';
import { REPO } from '../support/repo.js';

const CONFIG_PATH = '/etc/multipath-exporter/config.yml';

interface Scenario {
  name: string;
  options: ImportOptions;
  /** `node section key` -> why multipath -t shows a different value after the import. */
  differences: Record<string, string>;
  /** `node section` -> lines of a section that the import may replace (every other line must stay). */
  replacedLines?: Record<string, string[]>;
}

const MIXED_PREFERRED = 'alpha wins every disagreement (--prefer alpha, then --resolve majority)';
const SCENARIOS: Scenario[] = [
  { name: 'fc-alua-netapp', options: {}, differences: {} },
  {
    name: 'iscsi-friendly-names',
    options: { prefer: 'node1' },
    differences: {
      'node1 defaults user_friendly_names': 'the managed baseline names maps by alias: each bindings name became the LUN alias',
      'node2 defaults user_friendly_names': 'the managed baseline names maps by alias: each bindings name became the LUN alias',
      'node3 defaults user_friendly_names': 'the managed baseline names maps by alias: each bindings name became the LUN alias',
      'node3 36001405a1b2c3d4e5f60718293a4b5c6 alias': 'node3 had bound mpathb to it; --prefer node1 gives it node1\'s name mpatha on every node',
      'node3 36001405b2c3d4e5f60718293a4b5c6d7 alias': 'node3 had bound mpatha to it; --prefer node1 gives it node1\'s name mpathb on every node',
    },
  },
  {
    name: 'mixed-disagreement',
    options: { prefer: 'alpha', majority: true },
    differences: {
      'charlie defaults no_path_retry': `charlie queued 18 intervals; ${MIXED_PREFERRED}: queue`,
      'charlie defaults max_sectors_kb': `only charlie capped max_sectors_kb; ${MIXED_PREFERRED}: unset`,
      'charlie devices': `charlie's PURE entry had dev_loss_tmo 30; ${MIXED_PREFERRED}: 60`,
      'charlie 3624a93701c0d5e8c3a1b4c5e00011a2b alias': `charlie called it database01; ${MIXED_PREFERRED}: db01`,
      'bravo 3624a93701c0d5e8c3a1b4c5e00011a2b no_path_retry': `only alpha set no_path_retry 30 on db01; ${MIXED_PREFERRED}: 30`,
      'charlie 3624a93701c0d5e8c3a1b4c5e00011a2b no_path_retry': `only alpha set no_path_retry 30 on db01; ${MIXED_PREFERRED}: 30`,
      'charlie 3624a93701c0d5e8c3a1b4c5e00011a2e alias': 'alpha and bravo use the alias "backup" for another WWID; --prefer alpha keeps it there, so this LUN loses it',
      // What charlie's own defaults gave every map there:
      'charlie 3624a93701c0d5e8c3a1b4c5e00011a2b max_sectors_kb': 'inherited from charlie\'s defaults max_sectors_kb 4096 (see above)',
      'charlie 3624a93701c0d5e8c3a1b4c5e00011a2c max_sectors_kb': 'inherited from charlie\'s defaults max_sectors_kb 4096 (see above)',
      'charlie 3624a93701c0d5e8c3a1b4c5e00011a2e max_sectors_kb': 'inherited from charlie\'s defaults max_sectors_kb 4096 (see above)',
      'charlie 3624a93701c0d5e8c3a1b4c5e00011a2c no_path_retry': 'inherited from charlie\'s defaults no_path_retry 18 (see above)',
      'charlie 3624a93701c0d5e8c3a1b4c5e00011a2e no_path_retry': 'inherited from charlie\'s defaults no_path_retry 18 (see above)',
      // Not carried over (reported UNRESOLVED by the import):
      'alpha 3624a93701c0d5e8c3a1b4c5e00011a2d reservation_key': 'the cluster config has no per-LUN reservation_key and overrides may not hold a multipaths section',
      'bravo 3624a93701c0d5e8c3a1b4c5e00011a2d reservation_key': 'the cluster config has no per-LUN reservation_key and overrides may not hold a multipaths section',
    },
    replacedLines: { 'charlie devices': ['dev_loss_tmo 30'] },
  },
  {
    name: 'boot-from-san-blacklist',
    options: {},
    differences: {
      'blade1 blacklist': "blade2's local disk WWID is blacklisted too (it matches no WWID of the cluster)",
      'blade2 blacklist': "blade1's local disk WWID is blacklisted too (it matches no WWID of the cluster)",
    },
  },
];

const SECTIONS = ['blacklist', 'blacklist_exceptions', 'devices', 'overrides'] as const;

function sectionOrEmpty(stdout: string, name: string): string {
  try {
    return dumpedSection(stdout, name);
  } catch {
    return '';
  }
}

/** What a WWID's map gets from the dump: its multipaths entry, else overrides, else defaults; the name as multipath-tools picks it. */
function effectiveFor(stdout: string, wwid: string, bindingsText: string | undefined): Record<string, string | undefined> {
  const entries = sectionOrEmpty(stdout, 'multipaths') ? dumpedMultipaths(stdout) : new Map<string, Record<string, string>>();
  const entry = entries.get(wwid) ?? {};
  const overrides = dumpedKnobs(dumpedSection(stdout, 'overrides'));
  const defaults = dumpedKnobs(dumpedSection(stdout, 'defaults'));
  const out: Record<string, string | undefined> = {};
  for (const key of LUN_KNOB_NAMES) if (key !== 'alias') out[key] = entry[key] ?? overrides[key] ?? defaults[key];
  // Keywords the cluster config has no knob for count too: losing one must show up here.
  for (const [key, value] of Object.entries(entry)) if (!(key in out) && key !== 'wwid' && key !== 'alias') out[key] = value;
  const binding = parseBindings(bindingsText ?? '', 'bindings').bindings.find((b) => b.wwid === wwid);
  out.alias = entry.alias ?? (out.user_friendly_names === 'yes' ? binding?.alias : undefined);
  // user_friendly_names only matters through the name, compared above.
  delete out.user_friendly_names;
  return out;
}

async function importScenario(name: string, options: ImportOptions) {
  const files = await readNodeDirectories(join(REPO, 'fixtures/adopt', name));
  const inputs = files.map((f) => {
    const loaded = loadNode(f);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    return loaded.input;
  });
  const result = importCluster(inputs, options);
  const yaml = importedConfigYaml(result.cluster, result.issues, { source: name });
  const parsed = parseConfigText(yaml, 'imported.yml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return { files, config: parsed.config, yaml, issues: result.issues };
}

/** Lines of a dumped section that are gone after the import (a section is carried whole, so only chosen values may go). */
function lostLines(original: string, ours: string): string[] {
  const kept = new Set(ours.split('\n').map((l) => l.trim()));
  return [...new Set(original.split('\n').map((l) => l.trim()))].filter((l) => l !== '' && !kept.has(l));
}

function differencesOf(node: NodeFiles, config: Config, original: string, ours: string): Record<string, string> {
  const out: Record<string, string> = {};
  const before = dumpedKnobs(dumpedSection(original, 'defaults'));
  const after = dumpedKnobs(dumpedSection(ours, 'defaults'));
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[key] !== after[key]) out[`${node.name} defaults ${key}`] = `${before[key]} -> ${after[key]}`;
  }
  for (const section of SECTIONS) {
    const [was, now] = [sectionOrEmpty(original, section), sectionOrEmpty(ours, section)];
    if (was !== now) out[`${node.name} ${section}`] = JSON.stringify(lostLines(was, now));
  }
  for (const lun of config.cluster.luns.filter((l) => isExpectedOn(l, config.cluster, node.name))) {
    const was = effectiveFor(original, lun.wwid, node.bindings?.text);
    const now = effectiveFor(ours, lun.wwid, node.bindings?.text);
    for (const key of new Set([...Object.keys(was), ...Object.keys(now)])) if (was[key] !== now[key]) out[`${node.name} ${lun.wwid} ${key}`] = `${was[key]} -> ${now[key]}`;
  }
  return out;
}

describe('import: multipath -t (0.9.4) reads the imported config as it read the original files', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: every managed key matches on every node, except the listed differences`, async () => {
      const { files, config } = await importScenario(scenario.name, scenario.options);
      const dropIns = renderDropIns(config, CONFIG_PATH);
      const ours = await multipathT(dropIns);
      expect(ours.diagnostics, 'the rendered drop-ins are clean').toEqual([]);
      const found: Record<string, string> = {};
      for (const node of files) {
        const main = node.confFiles.find((f) => f.path.endsWith('/multipath.conf'));
        const confd = node.confFiles.filter((f) => f !== main).map((f) => ({ fileName: f.path.split('/').pop()!, content: f.text }));
        const original = await multipathT(confd, { mainConfig: main?.text });
        Object.assign(found, differencesOf(node, config, original.stdout, ours.stdout));
      }
      expect(Object.keys(found).sort(), JSON.stringify(found, null, 1)).toEqual(Object.keys(scenario.differences).sort());
      for (const key of Object.keys(found).filter((k) => SECTIONS.some((s) => k.endsWith(` ${s}`)))) {
        expect(JSON.parse(found[key]!), `${key}: only the chosen values may go`).toEqual(scenario.replacedLines?.[key] ?? []);
      }
    });
  }

  it('negative control: a knob the import got wrong shows up as a difference', async () => {
    const { files, config } = await importScenario('fc-alua-netapp', {});
    const wrong = { ...config, cluster: { ...config.cluster, luns: config.cluster.luns.map((l) => (l.alias === 'backup01' ? { ...l, no_path_retry: '31' } : l)) } };
    const ours = await multipathT(renderDropIns(wrong, CONFIG_PATH));
    const node = files[0]!;
    const main = node.confFiles.find((f) => f.path.endsWith('/multipath.conf'))!;
    const confd = node.confFiles.filter((f) => f !== main).map((f) => ({ fileName: f.path.split('/').pop()!, content: f.text }));
    const original = await multipathT(confd, { mainConfig: main.text });
    expect(differencesOf(node, wrong, original.stdout, ours.stdout)).toEqual({ 'pve1 3600a098038314c6f6b5d4f2d41434b33 no_path_retry': '30 -> 31' });
  });
});

describe('import: plan against the original files', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: only our drop-ins are written, and no WWID a node had is removed`, async () => {
      const { files, yaml } = await importScenario(scenario.name, scenario.options);
      for (const node of files) {
        const root = makeRoot();
        try {
          mkdirSync(root.confDir, { recursive: true });
          const confd = node.confFiles.filter((f) => !f.path.endsWith('/multipath.conf'));
          for (const f of confd) writeFileSync(join(root.confDir, f.path.split('/').pop()!), f.text);
          if (node.wwids) writeFileSync(root.wwidsFile, node.wwids.text);
          const apply = { enabled: true, confDir: root.confDir, wwidsFile: root.wwidsFile, stateDir: root.stateDir, multipath: [root.multipath] };
          const parsed = parseConfigText(`node: ${node.name}\nsysfsRoot: ${JSON.stringify(root.sysfsRoot)}\napply: ${JSON.stringify(apply)}\n${yaml}`, 'imported.yml');
          if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
          const before = root.wwids();
          const { plan } = await planOnce(parsed.config, CONFIG_PATH, { node: node.name, mapUsage: async () => ({ ok: true, mounted: new Map(), held: new Map() }) });
          expect(plan.removeWwids, node.name).toEqual([]);
          expect(plan.refused, node.name).toEqual([]);
          // Every LUN expected here was already on the node's allow-list.
          expect(plan.addWwids, node.name).toEqual([]);
          expect(plan.files.every((f) => f.action === 'write' && f.fileName.startsWith('multipath-exporter-')), node.name).toBe(true);
          expect(before.length).toBeGreaterThan(0);
        } finally {
          root.cleanup();
        }
      }
    });
  }
});

describe('the import reads what multipath -t reads', () => {
  it('BUILTIN_DEFAULTS is what 0.9.4 prints for an empty configuration', async () => {
    const { BUILTIN_DEFAULTS } = await import('../../src/adopt/core/merge-cluster.js');
    const dumped = dumpedKnobs(dumpedSection((await multipathT([])).stdout, 'defaults'));
    for (const [key, value] of Object.entries(BUILTIN_DEFAULTS)) expect(dumped[key], key).toBe(value);
  });

  it('quotes, doubled quotes, # and ! inside quotes, comments after values: the same values as multipath -t', async () => {
    const { parseMultipathConf } = await import('../../src/adopt/core/multipath-conf.js');
    const { mergeNodeFiles } = await import('../../src/adopt/core/node-config.js');
    const text = [
      'defaults {',
      '\talias_prefix "pre#fix!x"   # a comment',
      '\tprio_args "say ""hi"""',
      '\tuid_attribute ID_SERIAL! bang comment',
      '\tpath_selector "round-robin 0"',
      '\tcheckerx tur',
      '\tchecker directio',
      '\tverbosity 3',
      '\tverbosity 2',
      '}',
      '',
    ].join('\n');
    const parsed = parseMultipathConf(text, '/etc/multipath.conf');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const ours = Object.fromEntries([...mergeNodeFiles([parsed.conf]).conf.defaults].map(([k, s]) => [k, s.value]));
    const dumped = dumpedKnobs(dumpedSection((await multipathT([], { mainConfig: text })).stdout, 'defaults'));
    expect(Object.keys(ours).sort()).toEqual(['alias_prefix', 'path_checker', 'path_selector', 'prio_args', 'uid_attribute', 'verbosity']);
    for (const [key, value] of Object.entries(ours)) expect(dumped[key], key).toBe(value);
    expect(ours.prio_args).toBe('say "hi"');
    expect(ours.alias_prefix).toBe('pre#fix!x');
  });
});
