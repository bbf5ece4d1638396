import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/common/core/config-text.js';
import { checkOverrides, normaliseOverrides } from '../../../src/common/core/overrides-guard.js';

const GOOD = `devices {
  device {
    vendor "NETAPP"      # comment with } and {
    product "LUN.*"
    hardware_handler "1 alua"
  }
}
blacklist {
  devnode "^(ram|zram)[0-9]*"
  wwid "{weird}"
}
blacklist_exceptions {
  property "(SCSI_IDENT_|ID_WWN)"
}
overrides {
  no_path_retry queue
}
defaults {
  polling_interval 7
}
`;

describe('checkOverrides', () => {
  it('accepts every allowed top-level section, comments and braces inside quotes', () => {
    expect(checkOverrides(GOOD)).toEqual([]);
    expect(checkOverrides('')).toEqual([]);
  });

  const BAD: Array<[string, string, RegExp, number | undefined]> = [
    ['missing closing brace', 'devices {\n  device {\n    vendor "X"\n  }\n', /not closed/, undefined],
    ['stray closing brace', 'devices {\n}\n}\n', /without an open section/, 3],
    ['multipaths block', 'multipaths {\n  multipath {\n    wwid 1\n  }\n}\n', /generated from cluster.luns/, 1],
    ['unknown section', 'foo {\n}\n', /unknown top-level section 'foo'/, 1],
    ['nested multipaths', 'devices {\n  multipaths {\n  }\n}\n', /generated/, 2],
    ['brace on its own line', 'devices\n{\n}\n', /text outside any section|"\{" must end/, 1],
    ['closing brace after a value', 'devices {\n  device {\n    vendor "X" }\n}\n', /must stand alone/, 3],
    ['text outside a section', 'polling_interval 5\n', /outside any section/, 1],
    ['control character', 'defaults {\n  polling_interval\u00075\n}\n', /control character/, 2],
  ];
  for (const [name, text, message, line] of BAD) {
    it(`rejects: ${name}`, () => {
      const problems = checkOverrides(text);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.map((p) => p.message).join('\n')).toMatch(message);
      expect(problems[0]!.line).toBe(line);
    });
  }

  it('reports bad overrides as config errors at cluster.overrides', () => {
    const r = parseConfigText('cluster:\n  overrides: |\n    multipaths {\n    }\n', 'c.yml');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors[0]!.path).toBe('cluster.overrides');
      expect(r.errors[0]!.message).toMatch(/^override line 1: 'multipaths' is generated/);
    }
  });
});

describe('normaliseOverrides', () => {
  it('trims trailing whitespace per line and at the end', () => {
    expect(normaliseOverrides('devices {  \n\tdevice {\t\n\t}\n}\n\n\n  ')).toBe('devices {\n\tdevice {\n\t}\n}\n');
    expect(normaliseOverrides('  \n \n')).toBe('');
  });
});
