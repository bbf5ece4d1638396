import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ConfigError, formatConfigError, formatYamlPath, parseYamlWithSchema } from '../../../src/common/core/yaml-schema.js';

const Schema = z.strictObject({
  name: z.string().min(1),
  mode: z.enum(['fast', 'slow']).default('fast'),
  items: z
    .array(z.strictObject({ id: z.number().int(), tags: z.array(z.string()).default([]) }))
    .default([]),
  nested: z.strictObject({ deep: z.strictObject({ value: z.boolean() }).optional() }).optional(),
});

const FILE = '/etc/x.yml';
const errorsOf = (text: string): ConfigError[] => {
  const r = parseYamlWithSchema(text, FILE, Schema);
  return r.ok ? [] : r.errors;
};

describe('parseYamlWithSchema', () => {
  it('returns the validated value with defaults applied', () => {
    const r = parseYamlWithSchema('name: a\nitems:\n  - id: 1\n', FILE, Schema);
    expect(r.ok && r.data).toEqual({ name: 'a', mode: 'fast', items: [{ id: 1, tags: [] }] });
  });

  it('an empty document validates as an empty map', () => {
    expect(errorsOf('')).toEqual([{ file: FILE, path: 'name', line: undefined, message: expect.any(String) }]);
  });

  it('names the line and YAML path of a wrong value, down into lists', () => {
    expect(errorsOf('name: a\nitems:\n  - id: 1\n  - id: two\n')).toEqual([{ file: FILE, path: 'items[1].id', line: 4, message: expect.stringMatching(/number/) }]);
  });

  it('lists the allowed values of an enum', () => {
    expect(errorsOf('name: a\nmode: medium\n')).toEqual([{ file: FILE, path: 'mode', line: 2, message: 'must be one of fast, slow' }]);
  });

  it('points an unknown key at its own line and lists the allowed keys, also through optional wrappers', () => {
    expect(errorsOf('name: a\nnested:\n  deep:\n    value: true\n    colour: red\n')).toEqual([
      { file: FILE, path: 'nested.deep', line: 5, message: 'unknown key(s) "colour"; allowed: value' },
    ]);
    expect(errorsOf('name: a\nnmae: b\n')).toEqual([{ file: FILE, path: '', line: 2, message: 'unknown key(s) "nmae"; allowed: items, mode, name, nested' }]);
  });

  it('YAML syntax errors and duplicate keys carry their line', () => {
    expect(errorsOf('name: a\nmode: x\n  bad: indent\nitems: []\n')[0]).toEqual({ file: FILE, path: '', line: 2, message: expect.stringMatching(/^YAML syntax: /) });
    // An unclosed bracket is found where the input ends.
    expect(errorsOf('name: a\nitems: [\n')[0]).toMatchObject({ line: 3, message: expect.stringMatching(/^YAML syntax: .*end with a \]/) });
    expect(errorsOf('name: a\nname: b\n')).toEqual([{ file: FILE, path: '', line: 2, message: expect.stringMatching(/^YAML syntax: .*unique/i) }]);
  });

  it('lineOf finds the deepest node that exists on a path', () => {
    const r = parseYamlWithSchema('name: a\nitems:\n  - id: 1\n  - id: 2\n    tags: [x]\n', FILE, Schema);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.lineOf(['items', 1, 'tags'])).toBe(5);
    expect(r.lineOf(['items', 1, 'missing'])).toBe(4);
    expect(r.lineOf(['name'])).toBe(1);
  });
});

describe('formatting', () => {
  it('formatYamlPath writes keys with dots and indexes in brackets', () => {
    expect(formatYamlPath(['cluster', 'luns', 1, 'alias'])).toBe('cluster.luns[1].alias');
    expect(formatYamlPath([])).toBe('');
  });

  it('formatConfigError leaves out what it does not know', () => {
    expect(formatConfigError({ file: FILE, path: 'a.b', line: 3, message: 'bad' })).toBe('/etc/x.yml: line 3: a.b: bad');
    expect(formatConfigError({ file: FILE, path: '', message: 'bad' })).toBe('/etc/x.yml: bad');
  });
});
