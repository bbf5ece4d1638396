// A process killed (SIGKILL) at random points mid-apply leaves every drop-in either old or new,
// never half-written, and WWID ownership right; the next pass cleans up the temp files it left.
import { REPO } from '../../support/repo.js';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/common/core/config-text.js';
import { renderDropIns } from '../../../src/apply/core/render-config.js';
import { applyOnce, planOnce } from '../../../src/apply/io/apply.js';
import { bigConfigYaml } from '../../support/big-config.js';
import { makeRoot, WWIDS_HEADER } from '../../support/apply-root.js';

const CONFIG_PATH = '/etc/multipath-exporter/config.yml';
const root = makeRoot();
const CHILD = join(REPO, 'node_modules/.cache/multipath-exporter-test/apply-child.mjs');
afterAll(() => root.cleanup());
beforeAll(async () => {
  // Bundle the child (packages stay external and resolve from node_modules) so it starts in ~0.2 s.
  await build({ entryPoints: [join(REPO, 'test/support/apply-child.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: CHILD, logLevel: 'error' });
  for (const v of ['A', 'B'] as const) writeFileSync(join(root.dir, `config-${v}.json`), JSON.stringify(config(v)));
});

function config(variant: 'A' | 'B') {
  const r = parseConfigText(bigConfigYaml(variant, { confDir: root.confDir, stateDir: root.stateDir, wwidsFile: root.wwidsFile }), 'big.yml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

/** When to kill the child after it says ready: after a delay, or once a condition holds (polled;
 * at the latest after WHEN_TIMEOUT_MS, so a writer that never meets it does not run on). */
type KillPoint = { delayMs: number } | { when: () => boolean };
const WHEN_TIMEOUT_MS = 10_000;
const children = new Set<number>();
afterAll(() => {
  for (const pid of children) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function runAndKill(at: KillPoint, configFiles = [join(root.dir, 'config-A.json'), join(root.dir, 'config-B.json')]): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its own process group, killed whole as systemd kills the service's cgroup: a multipath(8)
    // child dies with it instead of finishing behind the next pass's back.
    const child = spawn(process.execPath, [CHILD, ...configFiles], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(child.pid!);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.stdout.on('data', (d) => {
      if (!String(d).includes('ready')) return;
      const kill = () => process.kill(-child.pid!, 'SIGKILL');
      if ('delayMs' in at) setTimeout(kill, at.delayMs);
      else {
        poll = setInterval(() => at.when() && kill(), 1);
        giveUp = setTimeout(kill, WHEN_TIMEOUT_MS);
      }
    });
    let poll: NodeJS.Timeout | undefined;
    let giveUp: NodeJS.Timeout | undefined;
    child.on('exit', (code, signal) => {
      children.delete(child.pid!);
      clearInterval(poll);
      clearTimeout(giveUp);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
}

describe('atomicity under SIGKILL', () => {
  it('every drop-in is always entirely old or entirely new', async () => {
    const a = renderDropIns(config('A'), CONFIG_PATH);
    const b = renderDropIns(config('B'), CONFIG_PATH);
    for (let i = 0; i < 3; i++) expect(a[i]!.content).not.toBe(b[i]!.content);
    expect(a[2]!.content!.length).toBeGreaterThan(2_000_000);

    let killedMidWrite = 0;
    const outcomes = new Set<string>();
    // At least 8 kills, and go on (up to 40) until two of them landed while a temp file was being
    // written. Every other kill is aimed at the write window (once a temp file is seen, polled each
    // millisecond): on a fast disk the writes are too short for random delays alone to hit them.
    const writing = () => readdirSync(root.confDir).some((n) => n.includes('.tmp-'));
    for (let round = 0; round < 40 && (round < 8 || killedMidWrite < 2); round++) {
      await runAndKill(round % 2 ? { when: writing } : { delayMs: Math.floor(Math.random() * 300) });
      const names = readdirSync(root.confDir);
      if (names.some((n) => n.includes('.tmp-'))) killedMidWrite++;
      // multipath reads only *.conf: exactly our three, each entirely A or entirely B
      expect(names.filter((n) => n.endsWith('.conf')).sort()).toEqual(a.map((d) => d.fileName));
      for (let i = 0; i < 3; i++) {
        const text = readFileSync(join(root.confDir, a[i]!.fileName), 'utf8');
        const which = text === a[i]!.content ? 'A' : text === b[i]!.content ? 'B' : `torn(${text.length})`;
        expect(which, `${a[i]!.fileName} after kill ${round}`).toMatch(/^[AB]$/);
        outcomes.add(`${i}${which}`);
      }
    }
    // the kills really landed while writing
    expect(killedMidWrite).toBeGreaterThanOrEqual(2);
    expect(outcomes.size).toBeGreaterThan(3);

    // the next pass removes the dead writer's temp files and converges
    const report = await applyOnce(config('A'), CONFIG_PATH, { multipathdCommand: async () => 'x', mapUsage: async () => ({ ok: true, mounted: new Map(), held: new Map() }) });
    expect(report.success).toBe(true);
    expect(readdirSync(root.confDir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    for (const d of a) expect(readFileSync(join(root.confDir, d.fileName), 'utf8')).toBe(d.content);
    expect(existsSync(root.stateDir)).toBe(false); // no WWID was ever ours
  });
});

describe('WWID ownership under SIGKILL', () => {
  const own = makeRoot();
  afterAll(() => own.cleanup());
  const X = '36001405ffffffffffffffffffffffff9'; // listed before, by hand: never ours
  const luns = Array.from({ length: 12 }, (_, i) => `3600a0980${String(i).padStart(24, '0')}`);
  const all = own.config(`cluster:\n  luns: [${luns.map((w) => `{ wwid: ${w} }`).join(', ')}]\n`);
  const none = own.config('cluster: {}\n', { maxRemovalFraction: 1 });
  const usage = { mapUsage: async () => ({ ok: true as const, mounted: new Map(), held: new Map() }) };

  it('killed anywhere around multipath -a/-w, a later pass may remove every WWID it added and never claims one it did not', async () => {
    writeFileSync(own.wwidsFile, `${WWIDS_HEADER}/${X}/\n`);
    const files = ['all', 'none'].map((n) => join(own.dir, `config-${n}.json`));
    writeFileSync(files[0]!, JSON.stringify(all));
    writeFileSync(files[1]!, JSON.stringify(none));
    const calls = () => own.calls().length;
    // Each child's first pass adds the 12 LUNs; later passes remove and re-add them. The kill lands
    // after a number of multipath calls (counted, not timed, so a loaded machine hits the same
    // points), stepping from the first -a to the third pass.
    let killedAfterCalls = 0;
    for (let round = 0; round < 12; round++) {
      const before = calls();
      const after = 1 + round * 3;
      await runAndKill({ when: () => calls() >= before + after }, files);
      if (calls() > before + luns.length) killedAfterCalls++;
      // What the next pass would do with no LUN configured: remove every WWID but X.
      const { plan, errors } = await planOnce(none, CONFIG_PATH, usage);
      expect(errors).toEqual([]);
      const present = own.wwids();
      expect(present, `round ${round}`).toContain(X);
      expect(plan.owned, `round ${round}`).not.toContain(X);
      expect(plan.refused, `round ${round}`).toEqual([{ wwid: X, reason: expect.stringMatching(/^not added by multipath-exporter/) }]);
      expect(plan.removeWwids.sort(), `round ${round}`).toEqual(present.filter((w) => w !== X).sort());
    }
    expect(killedAfterCalls).toBeGreaterThanOrEqual(6);
    // and that pass does remove them all
    const report = await applyOnce(none, CONFIG_PATH, usage);
    expect(report.errors).toEqual([]);
    expect(own.wwids()).toEqual([X]);
  });
});
