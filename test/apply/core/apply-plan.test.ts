import { describe, expect, it } from 'vitest';
import { formatPlan, nextOwned, parseWwids, planApply, planIsEmpty, type PlanInput } from '../../../src/apply/core/apply-plan.js';

const A = '3600a098038314c6f6b5d4f2d41434b31';
const B = '36001405a3f9c2e7d1b84c0e9d2f6a7b1';
const C = '3600a0b80005a1b2c0000d8e75f3a1c2d';
const D = '36001405dddddddddddddddddddddddd4';

const HEADER = '# Multipath wwids, Version : 1.0\n# NOTE: This file is automatically maintained by multipath and multipathd.\n# You should not need to edit this file in normal circumstances.\n#\n# Valid WWIDs:\n';
const wwidsFile = (...lines: string[]): string => HEADER + lines.map((l) => `${l}\n`).join('');

function input(over: Partial<PlanInput>): PlanInput {
  return {
    desiredFiles: [],
    currentFiles: {},
    wwidsText: null,
    desiredWwids: [],
    ownedWwids: [],
    adopt: [],
    protectedWwids: new Map(),
    ...over,
  };
}

describe('parseWwids', () => {
  it('reads active lines only; commented-out (removed) lines do not count', () => {
    expect(parseWwids(wwidsFile(`/${A}/`, `#${B}/`, `/${C}/`, `/${A}/`))).toEqual([A, C]);
    expect(parseWwids(null)).toEqual([]);
  });
});

describe('planApply: files', () => {
  it('writes new and changed files with a unified diff, removes emptied ones, leaves equal ones', () => {
    const plan = planApply(
      input({
        confDir: '/etc/multipath/conf.d',
        desiredFiles: [
          { fileName: 'x-10-defaults.conf', content: 'defaults {\n\tpolling_interval "5"\n}\n' },
          { fileName: 'x-20-multipaths.conf', content: null },
          { fileName: 'x-90-overrides.conf', content: 'same\n' },
        ],
        currentFiles: {
          'x-10-defaults.conf': 'defaults {\n\tpolling_interval "10"\n}\n',
          'x-20-multipaths.conf': 'multipaths {\n}\n',
          'x-90-overrides.conf': 'same\n',
          'x-30-old.conf': 'old\n',
        },
      }),
    );
    expect(plan.files.map((f) => [f.fileName, f.action])).toEqual([
      ['x-10-defaults.conf', 'write'],
      ['x-20-multipaths.conf', 'remove'],
      ['x-30-old.conf', 'remove'],
    ]);
    expect(plan.files[0]!.diff).toContain('--- /etc/multipath/conf.d/x-10-defaults.conf\n+++ /etc/multipath/conf.d/x-10-defaults.conf\n');
    expect(plan.files[0]!.diff).toContain('-\tpolling_interval "10"\n+\tpolling_interval "5"\n');
    expect(plan.files[1]!.diff).toContain('+++ /dev/null');
  });

  it('a new file diffs from /dev/null', () => {
    const plan = planApply(input({ desiredFiles: [{ fileName: 'n.conf', content: 'a\n' }] }));
    expect(plan.files[0]!.diff).toMatch(/--- \/dev\/null\n\+\+\+ n\.conf\n@@ -0,0 \+1,1 @@\n\+a\n/);
  });
});

describe('planApply: WWIDs', () => {
  it('adds desired WWIDs that are missing, including commented-out ones', () => {
    const plan = planApply(input({ wwidsText: wwidsFile(`/${A}/`, `#${B}/`), desiredWwids: [B, A, C], ownedWwids: [] }));
    expect(plan.addWwids).toEqual([B, C].sort());
    expect(plan.removeWwids).toEqual([]);
  });

  it('removes only WWIDs it owns; pre-existing ones are refused with a reason', () => {
    const plan = planApply(input({ wwidsText: wwidsFile(`/${A}/`, `/${B}/`, `/${C}/`), desiredWwids: [A], ownedWwids: [B] }));
    expect(plan.removeWwids).toEqual([B]);
    expect(plan.refused).toEqual([{ wwid: C, reason: expect.stringMatching(/not added by multipath-exporter.*apply\.adopt/) }]);
  });

  it('adopt: a listed WWID may be removed; "all" takes every present WWID over', () => {
    const text = wwidsFile(`/${B}/`, `/${C}/`);
    expect(planApply(input({ wwidsText: text, adopt: [C] })).removeWwids).toEqual([C]);
    expect(planApply(input({ wwidsText: text, adopt: [D] })).removeWwids).toEqual([]);
    expect(planApply(input({ wwidsText: text, adopt: 'all' })).removeWwids).toEqual([C, B].sort());
    expect(planApply(input({ wwidsText: text, adopt: 'all', desiredWwids: [B] })).owned).toEqual([C, B].sort());
  });

  it('never removes a WWID carrying a mounted filesystem, even when owned or adopted', () => {
    const plan = planApply(
      input({ wwidsText: wwidsFile(`/${B}/`, `/${C}/`), ownedWwids: [B], adopt: 'all', protectedWwids: new Map([[B, '/ (ext4) on dm-4'], [C, '/srv (xfs) on dm-7']]) }),
    );
    expect(plan.removeWwids).toEqual([]);
    expect(plan.refused).toEqual([
      { wwid: C, reason: 'its map carries a mounted filesystem (/srv (xfs) on dm-7)' },
      { wwid: B, reason: 'its map carries a mounted filesystem (/ (ext4) on dm-4)' },
    ].sort((x, y) => (x.wwid < y.wwid ? -1 : 1)));
  });

  it('nothing pending when converged; refusals alone are not pending', () => {
    const plan = planApply(input({ wwidsText: wwidsFile(`/${A}/`, `/${C}/`), desiredWwids: [A], ownedWwids: [A] }));
    expect(planIsEmpty(plan)).toBe(true);
    expect(plan.refused).toHaveLength(1);
    expect(formatPlan(plan)).toBe(`! wwid ${C} kept: ${plan.refused[0]!.reason}\nnothing to change\n`);
  });
});

describe('nextOwned', () => {
  it('adds what was added, drops what was removed or vanished, keeps failed removals', () => {
    const plan = planApply(input({ wwidsText: wwidsFile(`/${B}/`, `/${C}/`), desiredWwids: [A], ownedWwids: [B, C, D] }));
    // B removed, C's removal failed, D vanished from the file by other means, A added
    expect(nextOwned(plan, [B, C], [A], [B])).toEqual([A, C].sort());
    // A's add failed: not owned
    expect(nextOwned(plan, [B, C], [], [])).toEqual([B, C].sort());
  });
});

describe('formatPlan', () => {
  it('lists diffs, adds, removals and refusals', () => {
    const plan = planApply(
      input({
        desiredFiles: [{ fileName: 'f.conf', content: 'x\n' }],
        wwidsText: wwidsFile(`/${B}/`, `/${C}/`),
        desiredWwids: [A],
        ownedWwids: [B],
      }),
    );
    const text = formatPlan(plan);
    expect(text).toContain('+++ f.conf');
    expect(text).toContain(`+ wwid ${A} (multipath -a)\n`);
    expect(text).toContain(`- wwid ${B} (multipath -w)\n`);
    expect(text).toContain(`! wwid ${C} kept: not added`);
    expect(text).not.toContain('nothing to change');
  });
});

describe('unifiedDiff', () => {
  it('is a plain unified diff; a huge rewrite is summarised instead of diffed', async () => {
    const { unifiedDiff } = await import('../../../src/apply/core/apply-plan.js');
    expect(unifiedDiff('f', 'a\nb\n', 'a\nc\n')).toBe('--- f\n+++ f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n');
    const big = (p: string) => Array.from({ length: 20_000 }, (_, i) => `${p}${i}`).join('\n') + '\n';
    const started = Date.now();
    expect(unifiedDiff('f', big('x'), big('y'))).toBe('--- f\n+++ f\n(more than 5000 lines differ: 20000 lines replaced by 20000)\n');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
