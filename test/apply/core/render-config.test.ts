import { readdirSync } from 'node:fs';
import { DROP_IN_FIXTURES, DROP_IN_SCENARIOS, expectedDir, GOLDEN_CONFIG_PATH, goldenDropIn, loadScenario, renderScenario } from '../../support/golden-drop-ins.js';
import { describe, expect, it } from 'vitest';
import { dropInNames, renderDropIns } from '../../../src/apply/core/render-config.js';
import { quoteValue } from '../../../src/common/core/multipath-knobs.js';
import { Config } from '../../../src/common/core/config.js';

const CONFIG_PATH = GOLDEN_CONFIG_PATH;

describe('golden drop-ins', () => {
  it('every scenario directory is covered', () => {
    const dirs = readdirSync(DROP_IN_FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(dirs.sort()).toEqual([...DROP_IN_SCENARIOS].sort());
  });

  for (const scenario of DROP_IN_SCENARIOS) {
    it(scenario, () => {
      const dropIns = renderScenario(scenario);
      expect(dropIns.map((d) => d.fileName)).toEqual(Object.values(dropInNames('multipath-exporter')));
      const written = readdirSync(expectedDir(scenario)).sort();
      expect(written, `${scenario}: no stale golden file`).toEqual(dropIns.filter((d) => d.content !== null).map((d) => d.fileName).sort());
      for (const d of dropIns) expect(d.content, `${scenario}/${d.fileName}`).toEqual(goldenDropIn(scenario, d.fileName));
    });
  }
});

describe('rendering rules', () => {
  it('file names sort baseline < multipaths < overrides, so the overrides win', () => {
    const names = Object.values(dropInNames('x'));
    expect([...names].sort()).toEqual([names[0], names[1], names[2]]);
  });

  it('applies the managed baseline where the config leaves a knob unset, and lets the config win', () => {
    const [defaults] = renderDropIns(loadScenario('minimal'), CONFIG_PATH);
    expect(defaults!.content).toContain('\tfind_multipaths "strict"\n');
    expect(defaults!.content).toContain('\tuser_friendly_names "no"\n');
    expect(defaults!.content).toContain('\tpolling_interval "5"\n');
    const [full] = renderDropIns(loadScenario('full'), CONFIG_PATH);
    expect(full!.content).toContain('\tpolling_interval "10"\n');
    expect(full!.content).not.toContain('polling_interval "5"');
  });

  it('names the config file to edit in a managed-by header', () => {
    for (const d of renderDropIns(loadScenario('full'), '/srv/cfg/exporter.yml')) {
      expect(d.content).toMatch(/^# Managed by multipath-exporter - do not edit by hand\.\n# Edit .* in \/srv\/cfg\/exporter\.yml instead/);
    }
  });

  it('skips LUNs with nothing to set and sorts by WWID', () => {
    const [, multipaths] = renderDropIns(loadScenario('full'), CONFIG_PATH);
    const wwids = [...multipaths!.content!.matchAll(/wwid "([^"]+)"/g)].map((m) => m[1]);
    expect(wwids).toEqual(['3600140500a1b2c3d4e5f6a7b8c9d0e1f', '3600a098038314c6f6b5d4f2d41434b31']);
  });

  it('removes the files of empty blocks', () => {
    const [, multipaths, overrides] = renderDropIns(loadScenario('luns-without-knobs'), CONFIG_PATH);
    expect(multipaths!.content).toBeNull();
    expect(overrides!.content).toBeNull();
  });

  it('keeps the overrides verbatim but trims trailing whitespace', () => {
    const [, , overrides] = renderDropIns(loadScenario('full'), CONFIG_PATH);
    expect(overrides!.content).toContain('blacklist {\n  devnode "^nvme"\n}\n');
    expect(overrides!.content).toContain('hardware_handler "1 alua"');
    expect(overrides!.content).not.toMatch(/[ \t]+\n/);
  });

  it('double-quotes every value and doubles embedded quotes', () => {
    expect(quoteValue('service-time 0')).toBe('"service-time 0"');
    expect(quoteValue('a"b#c')).toBe('"a""b#c"');
    for (const d of renderDropIns(loadScenario('vendor-knobs'), CONFIG_PATH)) {
      for (const line of (d.content ?? '').split('\n')) {
        if (/^\t+[a-z_]+ /.test(line) && !line.endsWith('{')) expect(line, line).toMatch(/^\t+[a-z_]+ "[^"]*"$/);
      }
    }
  });

  it('is deterministic: equal config gives equal bytes', () => {
    expect(renderDropIns(loadScenario('full'), CONFIG_PATH)).toEqual(renderDropIns(loadScenario('full'), CONFIG_PATH));
  });
});

describe('renderDropIns: line limit', () => {
  it('a very long config path is shortened in the header comment, so the header line still fits', () => {
    const path = `/${'ü/'.repeat(600)}config.yml`;
    const [defaults] = renderDropIns(Config.parse({}), path);
    const editLine = defaults!.content!.split('\n')[1]!;
    expect(editLine).toMatch(/^# Edit cluster\.defaults in \.\.\..*\/config\.yml instead;/);
    expect(Buffer.byteLength(editLine)).toBeLessThanOrEqual(1023);
  });
});

describe('drop-in headers name where to edit', () => {
  it('our YAML, or with cluster.source pve the cluster file that holds it', () => {
    const yaml = renderDropIns(loadScenario('full'), CONFIG_PATH);
    for (const d of yaml) if (d.content !== null) expect(d.content).toContain(`in ${CONFIG_PATH} instead`);
    const full = loadScenario('full');
    const pve = renderDropIns({ ...full, cluster: { ...full.cluster, source: 'pve', dir: '/etc/pve' } }, CONFIG_PATH);
    const [defaults, multipaths, overrides] = pve.map((d) => d.content ?? '');
    expect(defaults).toContain('Edit the `defaults: defaults` section in /etc/pve/multipath.cfg instead');
    expect(multipaths).toContain('Edit the `wwid:` sections in /etc/pve/multipath.cfg instead');
    expect(overrides).toContain('Edit the overrides in /etc/pve/multipath-overrides.conf instead');
    for (const d of pve) expect(d.content ?? '').not.toContain(CONFIG_PATH);
  });
});
