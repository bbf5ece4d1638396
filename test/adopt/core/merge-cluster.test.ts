import { describe, expect, it } from 'vitest';
import { loadNode } from '../../../src/adopt/core/load-node.js';
import { importCluster, type ImportOptions, type NodeInput } from '../../../src/adopt/core/merge-cluster.js';
import { importedConfigYaml } from '../../../src/adopt/core/write-yaml.js';
import { parseConfigText } from '../../../src/common/core/config-text.js';

const W1 = '3600a098038314c6f6b5d4f2d41434b31';
const W2 = '3600a098038314c6f6b5d4f2d41434b32';

function node(name: string, conf: string, extra: { wwids?: string[]; bindings?: string; maps?: string } = {}): NodeInput {
  const r = loadNode({
    name,
    confFiles: [{ path: `${name}/multipath.conf`, text: conf }],
    wwids: { path: `${name}/wwids`, text: (extra.wwids ?? []).map((w) => `/${w}/\n`).join('') },
    bindings: extra.bindings === undefined ? undefined : { path: `${name}/bindings`, text: extra.bindings },
    maps: extra.maps === undefined ? undefined : { path: `${name}/maps.json`, text: extra.maps },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.input;
}

function run(inputs: NodeInput[], options: ImportOptions = {}) {
  const result = importCluster(inputs, options);
  const yaml = importedConfigYaml(result.cluster, result.issues, { source: 'test' });
  const parsed = parseConfigText(yaml, 'imported.yml');
  if (!parsed.ok) throw new Error(`${yaml}\n${JSON.stringify(parsed.errors)}`);
  return { ...result, yaml, config: parsed.config, open: result.issues.filter((i) => i.severity === 'unresolved') };
}

const mp = (entries: string) => `multipaths {\n${entries}}\n`;
const entry = (wwid: string, body: string) => ` multipath {\n  wwid ${wwid}\n${body} }\n`;

describe('importCluster', () => {
  it('agreeing nodes: defaults that differ from the baseline, aliases, knobs, nodes omitted when everywhere', () => {
    const conf = `defaults {\n no_path_retry 0\n find_multipaths yes\n polling_interval 5\n}\n${mp(entry(W1, '  alias data\n  failback 30\n'))}`;
    const { config, open } = run([node('a', conf, { wwids: [W1] }), node('b', conf, { wwids: [W1] })]);
    expect(open).toEqual([]);
    expect(config.cluster.nodes).toEqual(['a', 'b']);
    expect(config.cluster.defaults).toEqual({ no_path_retry: 'fail', find_multipaths: 'on' });
    expect(config.cluster.luns).toEqual([{ wwid: W1, alias: 'data', failback: '30' }]);
  });

  it('a knob with two values stays out and is UNRESOLVED, in the YAML and the issues, until a flag settles it', () => {
    const inputs = [node('a', 'defaults {\n no_path_retry queue\n}\n'), node('b', 'defaults {\n no_path_retry queue\n}\n'), node('c', 'defaults {\n no_path_retry 18\n}\n')];
    const open = run(inputs);
    expect(open.config.cluster.defaults.no_path_retry).toBeUndefined();
    expect(open.open.map((i) => i.message)).toEqual(['defaults no_path_retry: nodes disagree (a, b: "queue"; c: "18"); left out: choose with --prefer NODE or --resolve majority, or set it by hand']);
    expect(open.yaml).toContain('# UNRESOLVED: defaults no_path_retry: nodes disagree (a, b: "queue"; c: "18")');
    expect(run(inputs, { majority: true }).config.cluster.defaults.no_path_retry).toBe('queue');
    expect(run(inputs, { prefer: 'c' }).config.cluster.defaults.no_path_retry).toBe('18');
    expect(run(inputs, { prefer: 'c' }).issues.find((i) => i.severity === 'resolved')?.message).toContain('"18" chosen by --prefer c');
  });

  it('majority needs more than half: a three-way split stays open', () => {
    const inputs = ['queue', 'fail', '18'].map((v, i) => node(`n${i}`, `defaults {\n no_path_retry ${v}\n}\n`));
    expect(run(inputs, { majority: true }).open).toHaveLength(1);
  });

  it('a bindings alias is the LUN alias only with user_friendly_names on, and only where no multipaths alias exists', () => {
    const ufn = 'defaults {\n user_friendly_names yes\n}\n';
    const a = run([node('a', ufn, { wwids: [W1, W2], bindings: `mpatha ${W1}\nmpathb ${W2}\n` })]);
    expect(a.config.cluster.luns.map((l) => l.alias)).toEqual(['mpatha', 'mpathb']);
    expect(a.config.cluster.defaults.user_friendly_names).toBeUndefined();
    const withMp = run([node('a', ufn + mp(entry(W1, '  alias db\n')), { wwids: [W1], bindings: `mpatha ${W1}\n` })]);
    expect(withMp.config.cluster.luns[0]!.alias).toBe('db');
    const off = run([node('a', '', { wwids: [W1], bindings: `mpatha ${W1}\n` })]);
    expect(off.config.cluster.luns[0]!.alias).toBeUndefined();
    expect(off.issues.map((i) => i.message)).toContain('bindings name not used: user_friendly_names is off on a');
  });

  it('friendly names that differ between nodes: UNRESOLVED; with --prefer the renames on the other node are listed', () => {
    const ufn = 'defaults {\n user_friendly_names yes\n}\n';
    const inputs = [node('a', ufn, { wwids: [W1, W2], bindings: `mpatha ${W1}\nmpathb ${W2}\n` }), node('b', ufn, { wwids: [W1, W2], bindings: `mpatha ${W2}\nmpathb ${W1}\n` })];
    expect(run(inputs).open.map((i) => i.at)).toEqual([`lun:${W1}`, `lun:${W2}`]);
    const preferred = run(inputs, { prefer: 'a' });
    expect(preferred.open).toEqual([]);
    expect(preferred.config.cluster.luns.map((l) => l.alias)).toEqual(['mpatha', 'mpathb']);
    expect(preferred.issues.filter((i) => i.message.startsWith('the map is renamed')).map((i) => i.message)).toEqual([
      'the map is renamed on b: "mpathb" -> "mpatha"',
      'the map is renamed on b: "mpatha" -> "mpathb"',
    ]);
  });

  it('one alias for two WWIDs on different nodes: left off both until a flag picks one', () => {
    const inputs = [node('a', mp(entry(W1, '  alias backup\n')), { wwids: [W1] }), node('b', mp(entry(W2, '  alias backup\n')), { wwids: [W2] })];
    const open = run(inputs);
    expect(open.config.cluster.luns.map((l) => l.alias)).toEqual([undefined, undefined]);
    expect(open.open).toHaveLength(2);
    const preferred = run(inputs, { prefer: 'b' });
    expect(preferred.config.cluster.luns.map((l) => [l.wwid, l.alias, l.nodes])).toEqual([
      [W1, undefined, ['a']],
      [W2, 'backup', ['b']],
    ]);
  });

  it('a per-LUN keyword the cluster config cannot hold is reported, never dropped silently', () => {
    const r = run([node('a', mp(entry(W1, '  reservation_key 0x5a17\n  alias x\n')), { wwids: [W1] })]);
    expect(r.open.map((i) => i.message)).toEqual(['reservation_key "0x5a17" is not carried over: the cluster config has no per-LUN reservation_key, and cluster.overrides may not contain a multipaths section']);
    expect(r.yaml).toContain('# UNRESOLVED: reservation_key "0x5a17" is not carried over');
  });

  it('a defaults keyword without a knob goes into overrides; a value the schema rejects is reported', () => {
    const r = run([node('a', 'defaults {\n alias_prefix san\n polling_interval 10s\n}\n')]);
    expect(r.config.cluster.overrides).toBe('defaults {\n\talias_prefix "san"\n}\n');
    expect(r.open.map((i) => i.message)).toEqual([expect.stringContaining('defaults polling_interval "10s" is not carried over: must be an integer from 1 to 3600')]);
  });

  it('nodes and paths come from where the WWID is seen; a WWID seen nowhere is expected nowhere', () => {
    const maps = (paths: number) => `{\n   "major_version": 0,\n   "minor_version": 1,\n   "maps": [{\n      "name" : "${W1}",\n      "uuid" : "${W1}",\n      "path_groups": [{\n         "paths": [${Array.from({ length: paths }, (_, i) => `{ "dev" : "sd${i}" }`).join(',')}]\n      }]\n   }]\n}\n`;
    const r = run([node('a', mp(entry(W2, '  alias lonely\n')), { maps: maps(4) }), node('b', '', { maps: maps(2) }), node('c', '')]);
    const [one, two] = r.config.cluster.luns;
    expect(one).toEqual({ wwid: W1, nodes: ['a', 'b'], paths: 4 });
    expect(two).toEqual({ wwid: W2, alias: 'lonely', nodes: [] });
    expect(r.issues.map((i) => i.message)).toEqual(expect.arrayContaining([
      'paths: 4 expected (the most any node has); fewer now on b (2)',
      'configured (a) but in no node\'s wwids file or saved maps: expected on no node; list nodes to allow-list it',
    ]));
  });

  it('override sections: identical ones are carried; different ones are UNRESOLVED with each version as a comment', () => {
    const dev = (tmo: number) => `devices {\n device {\n  vendor PURE\n  product FlashArray\n  dev_loss_tmo ${tmo}\n }\n}\n`;
    const same = run([node('a', dev(60)), node('b', dev(60))]);
    expect(same.config.cluster.overrides).toBe('devices {\n\tdevice {\n\t\tvendor "PURE"\n\t\tproduct "FlashArray"\n\t\tdev_loss_tmo "60"\n\t}\n}\n');
    const differ = run([node('a', dev(60)), node('b', dev(30))]);
    expect(differ.config.cluster.overrides).toBe('');
    expect(differ.open.map((i) => i.message)).toEqual([expect.stringContaining('the devices section differs between nodes (a: dev_loss_tmo "60"; b: dev_loss_tmo "30")')]);
    expect(differ.yaml).toContain('# devices on b:\n  #   devices {');
  });

  it('blacklists that differ only in wwid entries matching no LUN are united; any other difference is not', () => {
    const bl = (entry: string) => `blacklist {\n devnode "^nvme"\n ${entry}\n}\n`;
    const united = run([node('a', bl('wwid "^3600508b1001c01$"'), { wwids: [W1] }), node('b', bl('wwid "^3600508b1001c02$"'), { wwids: [W1] })]);
    expect(united.config.cluster.overrides).toBe('blacklist {\n\tdevnode "^nvme"\n\twwid "^3600508b1001c01$"\n\twwid "^3600508b1001c02$"\n}\n');
    expect(united.open).toEqual([]);
    expect(run([node('a', bl(`wwid "^${W1}$"`), { wwids: [W1] }), node('b', bl('wwid "^x$"'), { wwids: [W1] })]).open).toHaveLength(1);
    expect(run([node('a', bl('devnode "^sdz"')), node('b', bl('wwid "^x$"'))]).open).toHaveLength(1);
  });

  it('--prefer with a node that does not exist is reported', () => {
    expect(run([node('a', '')], { prefer: 'zz' }).open.map((i) => i.message)).toEqual(['--prefer zz: no such node (nodes: a)']);
  });
});
