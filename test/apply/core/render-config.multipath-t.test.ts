// The real multipath-tools 0.9.4 parser accepts what we write, and shows our values.
import { REPO } from '../../support/repo.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/common/core/config-text.js';
import { effectiveDefaults, lunKnobs, renderDropIns } from '../../../src/apply/core/render-config.js';
import { checkOverrides } from '../../../src/common/core/overrides-guard.js';
import { KNOB_INDENT, knobLine, MAX_CONF_LINE_BYTES } from '../../../src/common/core/multipath-knobs.js';
import { dumpedKnobs, dumpedMultipaths, dumpedSection, multipathT, paddedToChunks } from '../../support/multipath-t.js';

const FIXTURES = join(REPO, 'fixtures/config');
const CONFIG_PATH = '/etc/multipath-exporter/config.yml';

function scenario(name: string) {
  const file = join(FIXTURES, name, 'config.yml');
  const r = parseConfigText(readFileSync(file, 'utf8'), file);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

function fromYaml(text: string) {
  const r = parseConfigText(text, 'inline.yml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

const SPELLINGS = `
cluster:
  defaults:
    find_multipaths: yes
    no_path_retry: 0
    fast_io_fail_tmo: "off"
    dev_loss_tmo: 600
    user_friendly_names: yes
    failback: 15
    delay_watch_checks: 0
    path_selector: "historical-service-time 0"
    features: "2 pg_init_retries 50"
  luns:
    - wwid: 36001405bbbbbbbbbbbbbbbbbbbbbbbb2
      alias: x
      no_path_retry: 0
      failback: manual
      path_grouping_policy: group_by_serial
      delay_wait_checks: false
      marginal_path_err_rate_threshold: 1000
      rr_weight: priorities
`;

describe('multipath -t (multipath-tools 0.9.4) accepts the rendered drop-ins', () => {
  for (const name of ['minimal', 'full', 'luns-without-knobs', 'vendor-knobs', 'inline:spellings', 'examples/config.yml']) {
    it(`${name}: no diagnostics, and the dump shows every value we set`, async () => {
      const config =
        name === 'inline:spellings'
          ? fromYaml(SPELLINGS)
          : name === 'examples/config.yml'
            ? fromYaml(readFileSync(join(REPO, 'examples/config.yml'), 'utf8'))
            : scenario(name);
      const dropIns = renderDropIns(config, CONFIG_PATH);
      const result = await multipathT(dropIns);
      expect(result.errorsForFiles).toEqual([]);
      expect(result.diagnostics).toEqual([]);

      const defaults = dumpedKnobs(dumpedSection(result.stdout, 'defaults'));
      for (const [key, value] of Object.entries(effectiveDefaults(config))) {
        expect(defaults[key], `defaults ${key}`).toBe(value);
      }
      const luns = config.cluster.luns.filter((l) => Object.keys(lunKnobs(l)).length > 0);
      if (luns.length > 0) {
        const entries = dumpedMultipaths(result.stdout);
        for (const lun of luns) {
          const entry = entries.get(lun.wwid);
          expect(entry, lun.wwid).toBeDefined();
          for (const [key, value] of Object.entries(lunKnobs(lun))) expect(entry![key], `${lun.wwid} ${key}`).toBe(value);
        }
      }
    });
  }

  it('full: shows no_path_retry "queue" and our alias in the multipaths section, verbatim', async () => {
    const result = await multipathT(renderDropIns(scenario('full'), CONFIG_PATH));
    expect(dumpedSection(result.stdout, 'defaults')).toContain('\tno_path_retry "queue"\n');
    expect(dumpedSection(result.stdout, 'multipaths')).toContain('\t\talias "san-a-lun0"\n');
    expect(dumpedSection(result.stdout, 'blacklist')).toContain('\tdevnode "^nvme"\n');
  });

  it('the overrides file sorts last and wins over the managed baseline', async () => {
    const config = fromYaml('cluster:\n  defaults: { polling_interval: 9 }\n  overrides: |\n    defaults {\n      polling_interval 7\n    }\n');
    const result = await multipathT(renderDropIns(config, CONFIG_PATH));
    expect(result.diagnostics).toEqual([]);
    expect(dumpedKnobs(dumpedSection(result.stdout, 'defaults')).polling_interval).toBe('7');
  });

  it('negative control: the check catches a bad drop-in and names the file', async () => {
    const dropIns = renderDropIns(scenario('full'), CONFIG_PATH);
    const bad = dropIns.map((d) =>
      d.fileName.endsWith('-10-defaults.conf')
        ? { ...d, content: d.content!.replace('no_path_retry "queue"', 'no_path_retry "forever"').replace('path_selector "service-time 0"', 'path_selector service-time 0') }
        : d,
    );
    const result = await multipathT(bad);
    const name = dropIns[0]!.fileName;
    expect(result.errorsForFiles.some((l) => l.includes(`${name} line`) && l.includes('invalid value for no_path_retry: "forever"'))).toBe(true);
    expect(result.errorsForFiles.some((l) => l.includes('missing argument count for path_selector'))).toBe(true);
    // and the bad value is not in force
    expect(dumpedKnobs(dumpedSection(result.stdout, 'defaults')).no_path_retry).not.toBe('forever');
  });

  it('negative control: a knob in the wrong section is reported for the multipaths file', async () => {
    const dropIns = renderDropIns(scenario('full'), CONFIG_PATH);
    const bad = dropIns.map((d) =>
      d.fileName.endsWith('-20-multipaths.conf') ? { ...d, content: d.content!.replace('\t\talias "san-a-lun0"\n', '\t\talias "san-a-lun0"\n\t\tpath_checker "tur"\n') } : d,
    );
    const result = await multipathT(bad);
    expect(result.errorsForFiles.join('\n')).toMatch(/-20-multipaths\.conf line \d+, invalid keyword in the multipath section: path_checker/);
  });

  it('why polling_interval is validated by us: multipath -t silently turns "10s" into 4294967294', async () => {
    const [defaults] = renderDropIns(scenario('minimal'), CONFIG_PATH);
    const result = await multipathT([{ ...defaults!, content: defaults!.content!.replace('polling_interval "5"', 'polling_interval "10s"') }]);
    expect(dumpedKnobs(dumpedSection(result.stdout, 'defaults')).polling_interval).toBe('4294967294');
    expect(parseConfigText('cluster:\n  defaults: { polling_interval: 10s }\n', 'x.yml').ok).toBe(false);
  });
});

const VICTIM = '3600a098038314c6f6b5d4f2d41434b31';
const INJECTED = '36001405eeeeeeeeeeeeeeeeeeeeeeee7';

/** A `features` value of valid-looking words whose line, cut by multipath-tools, closes its sections and blacklists every device. */
function blacklistEverythingFeatures(): string {
  const prefix = `${KNOB_INDENT.multipath}features "NN `;
  const words = paddedToChunks(prefix, ['}', '}', 'blacklist {', 'devnode .*', '}']);
  const count = words.split(' ').length;
  expect(String(count)).toHaveLength(2);
  return `${count} ${words}`;
}

/** Override text whose long `vendor` line, cut by multipath-tools, opens a `multipaths` section. */
function multipathsInjectingOverrides(): string {
  const prefix = '    vendor "';
  const padded = paddedToChunks(prefix, ['}', '}', 'multipaths {', 'multipath {', `wwid ${INJECTED}`, 'alias evil', '}', '}']);
  return `devices {\n  device {\n${prefix}${padded}"\n    product "LUN.*"\n  }\n}\n`;
}

describe("multipath-tools' line limit (1023 bytes): a value cannot escape its line", () => {
  it('a padded per-LUN features value, written as the renderer writes knobs, blacklists every device in multipath -t', async () => {
    const line = knobLine(KNOB_INDENT.multipath, 'features', blacklistEverythingFeatures());
    expect(line.length).toBeGreaterThan(4 * MAX_CONF_LINE_BYTES);
    const multipaths = `multipaths {\n\tmultipath {\n${knobLine(KNOB_INDENT.multipath, 'wwid', VICTIM)}\n${line}\n\t}\n}\n`;
    const result = await multipathT([{ fileName: 'multipath-exporter-20-multipaths.conf', content: multipaths }]);
    expect(dumpedSection(result.stdout, 'blacklist')).toContain('\tdevnode ".*"\n');
  });

  it('check-config rejects that LUN, naming the LUN, the knob and the limit; the renderer refuses it too', () => {
    const yamlText = `cluster:\n  luns:\n    - wwid: ${VICTIM}\n      features: "${blacklistEverythingFeatures()}"\n`;
    const r = parseConfigText(yamlText, 'c.yml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      expect.objectContaining({
        path: 'cluster.luns[0].features',
        line: 4,
        message: expect.stringMatching(new RegExp(`^LUN ${VICTIM}: the rendered line "features \\.\\.\\." is \\d+ bytes, over multipath-tools' limit of 1023 bytes per line`)),
      }),
    ]);
    // the same value slipped past validation still never reaches a file
    const config = fromYaml(`cluster:\n  luns: [{ wwid: ${VICTIM}, features: "0" }]\n`);
    config.cluster.luns[0]!.features = blacklistEverythingFeatures();
    expect(() => renderDropIns(config, CONFIG_PATH)).toThrow(/refusing to render multipath-exporter-20-multipaths\.conf: line \d+ is \d+ bytes, over multipath-tools' limit of 1023/);
  });

  it('padded overrides pass the brace guard line by line but inject a multipaths section in multipath -t; the guard now rejects the line', async () => {
    const overrides = multipathsInjectingOverrides();
    const result = await multipathT([{ fileName: 'multipath-exporter-90-overrides.conf', content: overrides }]);
    expect(dumpedMultipaths(result.stdout).get(INJECTED)).toMatchObject({ alias: 'evil' });
    expect(checkOverrides(overrides)).toEqual([{ line: 3, message: expect.stringMatching(/^the line is \d+ bytes, over multipath-tools' limit of 1023 bytes per line/) }]);
    const r = parseConfigText(`cluster:\n  overrides: ${JSON.stringify(overrides)}\n`, 'c.yml');
    expect(!r.ok && r.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([expect.stringMatching(/^cluster\.overrides: override line 3: the line is \d+ bytes/)]);
  });

  it('the limit is exact: a 1023-byte line is read whole and accepted, a 1024-byte one is cut and rejected', async () => {
    const features = (lineBytes: number) => `1 ${'q'.repeat(lineBytes - knobLine(KNOB_INDENT.defaults, 'features', '1 ').length)}`;
    for (const bytes of [1023, 1024]) {
      const value = features(bytes);
      expect(knobLine(KNOB_INDENT.defaults, 'features', value)).toHaveLength(bytes);
      const result = await multipathT([{ fileName: 'x.conf', content: `defaults {\n${knobLine(KNOB_INDENT.defaults, 'features', value)}\n}\n` }]);
      const accepted = parseConfigText(`cluster:\n  defaults: { features: "${value}" }\n`, 'c.yml').ok;
      expect({ bytes, diagnostics: result.diagnostics.length > 0, accepted }).toEqual({ bytes, diagnostics: bytes > 1023, accepted: bytes <= 1023 });
    }
  });
});
