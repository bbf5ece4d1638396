import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, formatConfProblem, parseMultipathConf, tokenize } from '../../../src/adopt/core/multipath-conf.js';

const words = (line: string) => tokenize(line).map((t) => (t.quote ? '<q>' : t.text));

function errorsOf(text: string) {
  const r = parseMultipathConf(text, 'n1/multipath.conf');
  if (r.ok) throw new Error('expected errors');
  return r.errors.map(formatConfProblem);
}

describe('tokenize (alloc_strvec of multipath-tools 0.9.4)', () => {
  it('splits words, quotes, braces; comments outside quotes end the line', () => {
    expect(words('\tdevices {')).toEqual(['devices', '{']);
    expect(words('defaults{')).toEqual(['defaults', '{']);
    expect(words('  vendor "NETAPP"   # why')).toEqual(['vendor', '<q>', 'NETAPP', '<q>']);
    expect(words('  product "a # b ! c {}"')).toEqual(['product', '<q>', 'a # b ! c {}', '<q>']);
    expect(words('path_checker tur!comment')).toEqual(['path_checker', 'tur']);
    expect(words('   # only a comment')).toEqual([]);
    expect(words('! also a comment')).toEqual([]);
  });

  it('"" inside quotes is one quote; "" alone is the empty string', () => {
    expect(words('alias "a""b"')).toEqual(['alias', '<q>', 'a"b', '<q>']);
    expect(words('prio_args ""')).toEqual(['prio_args', '<q>', '<q>']);
  });

  it('bytes outside ASCII separate words outside quotes and are kept inside', () => {
    expect(words('vendor\u00a0X')).toEqual(['vendor', 'X']);
    expect(words('vendor "Ä B"')).toEqual(['vendor', '<q>', 'Ä B', '<q>']);
  });
});

describe('parseMultipathConf', () => {
  it('nested sections with their lines, keywords and values', () => {
    const r = parseMultipathConf('devices {\n\tdevice {\n\t\tvendor "PURE"\n\t\tproduct FlashArray\n\t}\n}\nmultipaths {\n multipath {\n  wwid 36001\n }\n}\n', 'f');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.conf.sections.map((s) => s.name)).toEqual(['devices', 'multipaths']);
    const device = r.conf.sections[0]!.children[0]!;
    expect(device).toMatchObject({ type: 'section', path: 'devices/device', line: 2 });
    expect(device.type === 'section' && device.children).toEqual([
      { type: 'keyword', keyword: 'vendor', value: 'PURE', line: 3 },
      { type: 'keyword', keyword: 'product', value: 'FlashArray', line: 4 },
    ]);
  });

  it('CRLF line ends and a CR in mid-line end the line as multipath-tools does', () => {
    const r = parseMultipathConf('defaults {\r\n\tverbosity 2\rignored text\r\n}\r\n', 'f');
    expect(r.ok && r.conf.sections[0]!.children).toEqual([{ type: 'keyword', keyword: 'verbosity', value: '2', line: 2 }]);
  });

  it('unknown keywords, deprecated ones and repeats are reported with file and line, and kept', () => {
    const r = parseMultipathConf('defaults {\n\tpolling_intervall 10\n\tconfig_dir /etc/x\n\tverbosity 2\n\tverbosity 3\n}\n', 'n1/multipath.conf');
    if (!r.ok) throw new Error('parse failed');
    expect(r.warnings.map(formatConfProblem)).toEqual([
      'n1/multipath.conf: line 2: unknown keyword "polling_intervall" in the defaults section; multipath-tools 0.9.4 ignores it',
      'n1/multipath.conf: line 3: "config_dir" is deprecated and ignored by multipath-tools 0.9.4',
      'n1/multipath.conf: line 5: "verbosity" is set twice in this section (also line 4); the last value wins',
    ]);
    expect(r.conf.sections[0]!.children).toHaveLength(4);
  });

  it('unbalanced braces: a section never closed, a stray "}"', () => {
    expect(errorsOf('defaults {\n\tverbosity 2\n')).toEqual(['n1/multipath.conf: line 1: section "defaults" opened here is never closed (missing "}")']);
    expect(errorsOf('defaults {\n}\n}\n')).toEqual(['n1/multipath.conf: line 3: "}" without an open section']);
    expect(errorsOf('devices {\n\tdevice {\n\t\tvendor X\n}\n')).toEqual(['n1/multipath.conf: line 1: section "devices" opened here is never closed (missing "}")']);
  });

  it('an unknown section, or a section where it does not belong', () => {
    expect(errorsOf('default {\n}\n')[0]).toBe('n1/multipath.conf: line 1: unknown section "default"; multipath-tools 0.9.4 knows defaults, blacklist, blacklist_exceptions, devices, overrides, multipaths');
    expect(errorsOf('devices {\n\tmultipath {\n\t}\n}\n')).toEqual(['n1/multipath.conf: line 2: section "multipath" is not allowed in "devices"; allowed: device']);
  });

  it('a line over the limit multipath-tools reads in one piece', () => {
    const long = `defaults {\n\talias_prefix "${'x'.repeat(MAX_LINE_BYTES)}"\n}\n`;
    expect(errorsOf(long)).toEqual([`n1/multipath.conf: line 2: line is ${MAX_LINE_BYTES + 16} bytes long; multipath-tools 0.9.4 reads at most ${MAX_LINE_BYTES} per line and would split it`]);
    const fits = `defaults {\n\tprio_args "${'x'.repeat(MAX_LINE_BYTES - 13)}"\n}\n`;
    expect(parseMultipathConf(fits, 'f').ok).toBe(true);
  });

  it('what multipath-tools would guess at is an error: missing brace, missing quote, extra words, no value', () => {
    expect(errorsOf('defaults\n{\n}\n')).toEqual([
      'n1/multipath.conf: line 1: "defaults" opens a section: write "defaults {" on one line',
      'n1/multipath.conf: line 2: "{" must follow the section name on the same line',
      'n1/multipath.conf: line 3: "}" without an open section',
    ]);
    expect(errorsOf('defaults {\n\tpath_selector service-time 0\n\tprio_args "open\n\tverbosity\n\t} x\n}\n')).toEqual([
      'n1/multipath.conf: line 2: more than one value for "path_selector" (multipath-tools would ignore everything after "service-time"); quote a value that contains spaces',
      'n1/multipath.conf: line 3: missing closing quote in the value of "prio_args"',
      'n1/multipath.conf: line 4: missing value for "verbosity" (or "{" after a section name)',
      'n1/multipath.conf: line 5: "}" must stand alone on its line (found more after it)',
    ]);
    expect(errorsOf('verbosity 2\n')).toEqual(['n1/multipath.conf: line 1: "verbosity" outside any section']);
    expect(errorsOf('devices {\n\tdevice\n}\n')).toEqual(['n1/multipath.conf: line 2: "device" opens a section: write "device {" on one line']);
  });
});
