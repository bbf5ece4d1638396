import { describe, expect, it } from 'vitest';
import { parseSectionConfig } from '../../../../src/common/core/pve/section-config.js';

describe('SectionConfig text', () => {
  it('reads headers, indented properties, bare flags, and skips comment lines anywhere', () => {
    const parsed = parseSectionConfig('# top\nlvm: vg-db\n\tvgname vg_db\n# inside a section\n\tdisable\n  content images,rootdir  \n\nmultipath: san-a\n\tnodes pve1,pve2\n');
    expect(parsed.problems).toEqual([]);
    expect(parsed.sections).toEqual([
      {
        type: 'lvm',
        id: 'vg-db',
        line: 2,
        properties: [
          { key: 'vgname', value: 'vg_db', line: 3 },
          { key: 'disable', value: undefined, line: 5 },
          { key: 'content', value: 'images,rootdir', line: 6 },
        ],
      },
      { type: 'multipath', id: 'san-a', line: 8, properties: [{ key: 'nodes', value: 'pve1,pve2', line: 9 }] },
    ]);
  });

  it('a value keeps its inner spaces; CRLF line ends are accepted', () => {
    const parsed = parseSectionConfig('wwid: 3600abc\r\n\tpath-selector service-time 0\r\n');
    expect(parsed.sections[0]!.properties).toEqual([{ key: 'path-selector', value: 'service-time 0', line: 2 }]);
  });

  it('reports a duplicate section with both lines, and keeps only the first', () => {
    const parsed = parseSectionConfig('wwid: 3600abc\n\talias a\n\nwwid: 3600abc\n\talias b\n');
    expect(parsed.problems).toEqual([{ line: 4, message: 'duplicate section "3600abc" (also line 1)' }]);
    expect(parsed.sections.map((s) => s.properties[0]!.value)).toEqual(['a']);
  });

  it('section IDs are one namespace across types, as in PVE', () => {
    expect(parseSectionConfig('defaults: defaults\n\nwwid: defaults\n').problems).toEqual([{ line: 3, message: 'duplicate section "defaults" (also line 1)' }]);
  });

  it('reports a key set twice, a header without a blank line before it, and a stray line', () => {
    const parsed = parseSectionConfig('wwid: 3600abc\n\talias a\n\talias b\nwwid: 3600def\n\nstray text\n');
    expect(parsed.problems).toEqual([
      { line: 3, message: '"alias" is set twice in section "wwid: 3600abc" (also line 2)' },
      { line: 4, message: 'a section header needs a blank line before it (section "wwid: 3600abc"), got "wwid: 3600def"' },
      { line: 6, message: 'expected a "<type>: <id>" section header, got "stray text"' },
    ]);
  });
});
