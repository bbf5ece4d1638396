import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatConfigError } from '../../../../src/common/core/yaml-schema.js';
import { parseMultipathCfg } from '../../../../src/common/core/pve/multipath-cfg.js';
import { FIXTURES } from '../../../support/fixtures.js';

const FILE = '/etc/pve/multipath.cfg';
const roundTrip = (name: string) => readFileSync(`${FIXTURES}pve/section-config-round-trip/${name}`, 'utf8');

function errorsOf(text: string): string[] {
  const result = parseMultipathCfg(text, FILE);
  return result.ok ? [] : result.errors.map(formatConfigError);
}

describe('/etc/pve/multipath.cfg', () => {
  it("reads the PVE test's config: defaults knobs, one LUN per wwid section, kebab-case to our keys", () => {
    const result = parseMultipathCfg(roundTrip('multipath.cfg'), FILE);
    expect(result.ok && result.value).toEqual({
      defaults: { find_multipaths: 'strict', no_path_retry: 'queue' },
      luns: [
        { wwid: '3600def', knobs: { alias: 'san-b-lun0' }, line: 5, knobLines: { alias: 6 } },
        { wwid: '3600abc', knobs: { alias: 'san-a-lun0', no_path_retry: '18' }, line: 8, knobLines: { alias: 9, no_path_retry: 10 } },
      ],
    });
  });

  it("round-trips: PVE's write_config output and a hand-edited copy (other order, comments, spaces) read the same", () => {
    const knobsOf = (name: string) => {
      const result = parseMultipathCfg(roundTrip(name), FILE);
      if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
      return { defaults: result.value.defaults, luns: Object.fromEntries(result.value.luns.map((l) => [l.wwid, l.knobs])) };
    };
    const original = knobsOf('multipath.cfg');
    expect(knobsOf('written.cfg')).toEqual(original);
    expect(knobsOf('hand-edited.cfg')).toEqual(original);
  });

  it('an empty file is an empty config', () => {
    expect(parseMultipathCfg('', FILE)).toEqual({ ok: true, value: { defaults: {}, luns: [] } });
  });

  it('an unknown section type is an error with file and line', () => {
    expect(errorsOf('defaults: defaults\n\tpolling-interval 5\n\nlun: 3600abc\n\talias a\n')).toEqual([
      '/etc/pve/multipath.cfg: line 4: lun: 3600abc: unknown section type "lun"; allowed: defaults, wwid',
    ]);
  });

  it('a bad WWID is an error with file and line', () => {
    expect(errorsOf('wwid: -3600abc\n\talias a\n')).toEqual([
      expect.stringMatching(/^\/etc\/pve\/multipath\.cfg: line 1: wwid: -3600abc: bad WWID "-3600abc": must be a WWID as multipathd prints it/),
    ]);
  });

  it('a duplicate section is an error with file and line', () => {
    expect(errorsOf('wwid: 3600abc\n\talias a\n\nwwid: 3600abc\n\talias b\n')).toEqual(['/etc/pve/multipath.cfg: line 4: duplicate section "3600abc" (also line 1)']);
  });

  it('the defaults section must be "defaults: defaults"', () => {
    expect(errorsOf('defaults: global\n\tpolling-interval 5\n')).toEqual(['/etc/pve/multipath.cfg: line 1: defaults: global: the defaults section is named "defaults" ("defaults: defaults")']);
  });

  it('an unknown key, a knob in the wrong section and a snake_case key are errors on their own line, listing what is allowed', () => {
    const errors = errorsOf('defaults: defaults\n\talias nope\n\tpath_checker tur\n\nwwid: 3600abc\n\tpolling-interval 5\n\tfrobnicate 1\n');
    expect(errors.map((e) => e.split('; allowed')[0])).toEqual([
      '/etc/pve/multipath.cfg: line 2: defaults: defaults: unknown key "alias"',
      '/etc/pve/multipath.cfg: line 3: defaults: defaults: unknown key "path_checker" (keys are kebab-case here: path-checker)',
      '/etc/pve/multipath.cfg: line 6: wwid: 3600abc: unknown key "polling-interval"',
      '/etc/pve/multipath.cfg: line 7: wwid: 3600abc: unknown key "frobnicate"',
    ]);
    expect(errors[0]).toContain('allowed in a defaults section: no-path-retry, path-grouping-policy,');
    expect(errors[2]).toContain('alias');
  });

  it('values go through the same knob rules as the YAML (and a bare key has none)', () => {
    expect(errorsOf('defaults: defaults\n\tpolling-interval 10s\n\tno-path-retry forever\n\nwwid: 3600abc\n\tpath-grouping-policy round-robin\n\tpath-selector service-time\n\talias\n')).toEqual([
      '/etc/pve/multipath.cfg: line 2: defaults: defaults: polling-interval: must be an integer from 1 to 3600 (multipathd turns anything else into garbage), got "10s"',
      '/etc/pve/multipath.cfg: line 3: defaults: defaults: no-path-retry: must be one of queue, fail or an integer >= 0, got "forever"',
      '/etc/pve/multipath.cfg: line 6: wwid: 3600abc: path-grouping-policy: must be one of failover, multibus, group_by_serial, group_by_prio, group_by_node_name',
      expect.stringMatching(/^\/etc\/pve\/multipath\.cfg: line 7: wwid: 3600abc: path-selector: must be "<selector> <argument count> \[args\.\.\.\]"/),
      '/etc/pve/multipath.cfg: line 8: wwid: 3600abc: "alias" needs a value',
    ]);
  });
});
