import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { desiredWwids, formatPlan, nextOwned, parseWwids, planApply, planIsEmpty, type PlanInput } from '../../../src/apply/core/apply-plan.js';
import type { StateRead } from '../../../src/apply/core/owned-state.js';
import { Config } from '../../../src/common/core/config.js';

const A = '3600a098038314c6f6b5d4f2d41434b31';
const B = '36001405a3f9c2e7d1b84c0e9d2f6a7b1';
const C = '3600a0b80005a1b2c0000d8e75f3a1c2d';
const D = '36001405dddddddddddddddddddddddd4';

const HEADER = '# Multipath wwids, Version : 1.0\n# NOTE: This file is automatically maintained by multipath and multipathd.\n# You should not need to edit this file in normal circumstances.\n#\n# Valid WWIDs:\n';
const wwidsFile = (...lines: string[]): string => HEADER + lines.map((l) => `${l}\n`).join('');

interface Situation extends Partial<Pick<PlanInput, 'desiredFiles' | 'currentFiles' | 'wwidsText' | 'usage'>> {
  /** LUNs of the config, all expected on this node. */
  desiredWwids?: string[];
  ownedWwids?: string[];
  state?: StateRead;
  /** WWID -> mount on its map. */
  mounted?: Map<string, string>;
  /** WWID -> what holds its map. */
  held?: Map<string, string>;
  /** `apply` settings (adopt, allowRemovingInUse, maxRemovalFraction, confDir). */
  apply?: Record<string, unknown>;
}

function input(over: Situation): PlanInput {
  const config = Config.parse({ apply: over.apply ?? {}, cluster: { luns: (over.desiredWwids ?? []).map((wwid) => ({ wwid })) } });
  return {
    desiredFiles: over.desiredFiles ?? [],
    currentFiles: over.currentFiles ?? {},
    wwidsText: over.wwidsText ?? null,
    config,
    node: 'pve1',
    state: over.state ?? { ok: true, owned: over.ownedWwids ?? [] },
    usage: over.usage ?? { ok: true, mounted: over.mounted ?? new Map(), held: over.held ?? new Map() },
    patch: createTwoFilesPatch,
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
        apply: { confDir: '/etc/multipath/conf.d' },
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
    const plan = planApply(input({ desiredFiles: [{ fileName: 'n.conf', content: 'a\n' }], apply: { confDir: '/c/' } }));
    expect(plan.files[0]!.diff).toMatch(/--- \/dev\/null\n\+\+\+ \/c\/n\.conf\n@@ -0,0 \+1,1 @@\n\+a\n/);
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
    expect(planApply(input({ wwidsText: text, apply: { adopt: [C] } })).removeWwids).toEqual([C]);
    expect(planApply(input({ wwidsText: text, apply: { adopt: [D] } })).removeWwids).toEqual([]);
    expect(planApply(input({ wwidsText: text, apply: { adopt: 'all', maxRemovalFraction: 1 } })).removeWwids).toEqual([C, B].sort());
    expect(planApply(input({ wwidsText: text, apply: { adopt: 'all' }, desiredWwids: [B] })).owned).toEqual([C, B].sort());
  });

  it('never removes a WWID carrying a mounted filesystem, even when owned or adopted', () => {
    const plan = planApply(
      input({ wwidsText: wwidsFile(`/${B}/`, `/${C}/`), ownedWwids: [B], apply: { adopt: 'all', allowRemovingInUse: [B, C] }, mounted: new Map([[B, '/ (ext4) on dm-4'], [C, '/srv (xfs) on dm-7']]) }),
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
    expect(nextOwned(plan, [A], [B])).toEqual([A, C].sort());
    // A's add failed: not owned
    expect(nextOwned(plan, [], [])).toEqual([B, C].sort());
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
    expect(text).toContain('+++ /etc/multipath/conf.d/f.conf');
    expect(text).toContain(`+ wwid ${A} (multipath -a)\n`);
    expect(text).toContain(`- wwid ${B} (multipath -w)\n`);
    expect(text).toContain(`! wwid ${C} kept: not added`);
    expect(text).not.toContain('nothing to change');
  });
});

describe('unifiedDiff', () => {
  it('is a plain unified diff; a huge rewrite is summarised instead of diffed', async () => {
    const { unifiedDiff } = await import('../../../src/apply/core/apply-plan.js');
    expect(unifiedDiff(createTwoFilesPatch, 'f', 'a\nb\n', 'a\nc\n')).toBe('--- f\n+++ f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n');
    const big = (p: string) => Array.from({ length: 20_000 }, (_, i) => `${p}${i}`).join('\n') + '\n';
    const started = Date.now();
    expect(unifiedDiff(createTwoFilesPatch, 'f', big('x'), big('y'))).toBe('--- f\n+++ f\n(more than 5000 lines differ: 20000 lines replaced by 20000)\n');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('planApply: the rules moved out of the I/O', () => {
  it('desiredWwids: the LUNs expected on this node (own nodes, else cluster.nodes, else every node)', () => {
    const config = Config.parse({ cluster: { nodes: ['pve1', 'pve2'], luns: [{ wwid: A }, { wwid: B, nodes: ['pve2'] }, { wwid: C, nodes: ['pve1', 'pve3'] }] } });
    expect(desiredWwids(config, 'pve1')).toEqual([A, C]);
    expect(desiredWwids(config, 'pve3')).toEqual([C]);
    expect(desiredWwids(Config.parse({ cluster: { luns: [{ wwid: D }] } }), 'anywhere')).toEqual([D]);
  });

  it('an unreadable state file: no WWID is added or removed (ownership unknown), files still converge', () => {
    const plan = planApply(
      input({ desiredFiles: [{ fileName: 'f.conf', content: 'x\n' }], wwidsText: wwidsFile(`/${B}/`), desiredWwids: [A], state: { ok: false, error: 'state file s unreadable (x)' }, apply: { adopt: 'all' } }),
    );
    expect(plan).toMatchObject({ addWwids: [], removeWwids: [], refused: [], wwidsBlocked: 'state file s unreadable (x)' });
    expect(plan.files).toHaveLength(1);
    expect(formatPlan(plan)).toContain('! no WWID is added or removed: state file s unreadable (x)\n');
  });
});

describe('planApply: maps in use', () => {
  const text = wwidsFile(`/${A}/`, `/${B}/`, `/${C}/`);

  it('refuses removing an owned WWID whose map has holders, unless apply.allowRemovingInUse lists it', () => {
    const held = new Map([[B, 'dm-3 is held by dm-5 (LVM)']]);
    const plan = planApply(input({ wwidsText: text, ownedWwids: [A, B, C], desiredWwids: [A, C], held }));
    expect(plan.removeWwids).toEqual([]);
    expect(plan.refused).toEqual([{ wwid: B, reason: 'its map is in use (dm-3 is held by dm-5 (LVM)); list it in apply.allowRemovingInUse to remove it anyway' }]);
    expect(planApply(input({ wwidsText: text, ownedWwids: [A, B, C], desiredWwids: [A, C], held, apply: { allowRemovingInUse: [B] } })).removeWwids).toEqual([B]);
  });

  it('a mounted map is never removed, even when listed in apply.allowRemovingInUse', () => {
    const plan = planApply(input({ wwidsText: text, ownedWwids: [A, B, C], desiredWwids: [A, C], mounted: new Map([[B, '/ (ext4) on dm-3']]), apply: { allowRemovingInUse: [B] } }));
    expect(plan.refused).toEqual([{ wwid: B, reason: 'its map carries a mounted filesystem (/ (ext4) on dm-3)' }]);
  });

  it('when usage cannot be read, no removal happens (adds still do)', () => {
    const plan = planApply(input({ wwidsText: text, ownedWwids: [B], desiredWwids: [D], usage: { ok: false, error: 'EACCES' } }));
    expect(plan.addWwids).toEqual([D]);
    expect(plan.removeWwids).toEqual([]);
    expect(plan.refused.find((r) => r.wwid === B)?.reason).toBe('cannot tell whether its map is in use (EACCES)');
  });
});

describe('planApply: apply.maxRemovalFraction', () => {
  const four = wwidsFile(`/${A}/`, `/${B}/`, `/${C}/`, `/${D}/`);
  const owned = [A, B, C, D];

  it('a pass that would remove more than half of the owned WWIDs removes none, and says why for each', () => {
    const plan = planApply(input({ wwidsText: four, ownedWwids: owned, desiredWwids: [A] }));
    expect(plan.removeWwids).toEqual([]);
    expect(plan.refused.map((r) => r.wwid)).toEqual([B, C, D].sort());
    expect(plan.refused[0]!.reason).toBe(
      'this pass would remove 3 of the 4 owned WWIDs, more than apply.maxRemovalFraction (0.5) allows; check the config, or raise apply.maxRemovalFraction for this change',
    );
  });

  it('half is allowed; raising the fraction allows more; one WWID may always go', () => {
    expect(planApply(input({ wwidsText: four, ownedWwids: owned, desiredWwids: [A, B] })).removeWwids).toEqual([C, D].sort());
    expect(planApply(input({ wwidsText: four, ownedWwids: owned, desiredWwids: [A], apply: { maxRemovalFraction: 0.75 } })).removeWwids).toEqual([B, C, D].sort());
    expect(planApply(input({ wwidsText: four, ownedWwids: owned, desiredWwids: [], apply: { maxRemovalFraction: 1 } })).removeWwids).toHaveLength(4);
    expect(planApply(input({ wwidsText: wwidsFile(`/${A}/`), ownedWwids: [A] })).removeWwids).toEqual([A]);
  });
});

describe('planApply: an operation interrupted by a crash (the intent in the state file)', () => {
  it('an add whose WWID is in the wwids file is owned, so it can be removed later', () => {
    const plan = planApply(input({ wwidsText: wwidsFile(`/${A}/`), state: { ok: true, owned: [], intent: { action: 'add', wwid: A } } }));
    expect(plan.owned).toEqual([A]);
    expect(plan.removeWwids).toEqual([A]);
    expect(plan.notes).toEqual([`WWID ${A}: the last pass stopped while adding it; it is in the wwids file, so it is owned`]);
  });

  it('an add that did not land claims nothing; a WWID someone else listed stays theirs', () => {
    const plan = planApply(input({ wwidsText: wwidsFile(`/${B}/`), state: { ok: true, owned: [], intent: { action: 'add', wwid: A } } }));
    expect(plan.owned).toEqual([]);
    expect(plan.refused).toEqual([{ wwid: B, reason: expect.stringMatching(/^not added by multipath-exporter/) }]);
  });

  it('a removal that landed is no longer owned; one that did not stays owned', () => {
    expect(planApply(input({ wwidsText: wwidsFile(`#${A}/`), state: { ok: true, owned: [A], intent: { action: 'remove', wwid: A } } })).owned).toEqual([]);
    expect(planApply(input({ wwidsText: wwidsFile(`/${A}/`), desiredWwids: [A], state: { ok: true, owned: [A], intent: { action: 'remove', wwid: A } } })).owned).toEqual([A]);
  });
});
