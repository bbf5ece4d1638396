import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clusterDigest } from '../../../src/common/core/config.js';
import type { ApplyReport } from '../../../src/common/core/status.js';
import { createApplyLoop, type ApplyLoop } from '../../../src/apply/io/apply-loop.js';
import { memoryLogger } from '../../../src/common/io/log.js';
import { fakeMultipathd, makeRoot, type TestRoot } from '../../support/apply-root.js';

const A = '3600a098038314c6f6b5d4f2d41434b31';
const B = '3600140500a1b2c3d4e5f6a7b8c9d0e1f';

let root: TestRoot;
let loop: ApplyLoop | undefined;
let configPath: string;
let log: ReturnType<typeof memoryLogger>;
beforeEach(() => {
  root = makeRoot();
  configPath = join(root.dir, 'config.yml');
  log = memoryLogger();
});
afterEach(async () => {
  // A pass still under way would write into the root while it is removed.
  await loop?.stop();
  loop = undefined;
  root.cleanup();
});

function yaml(cluster: string, apply: Record<string, unknown> = {}): string {
  const a = { enabled: true, confDir: root.confDir, wwidsFile: root.wwidsFile, stateDir: root.stateDir, multipath: [root.multipath], ...apply };
  return `node: pve1\napply: ${JSON.stringify(a)}\n${cluster}`;
}

function start(settleMs = 20) {
  const mpd = fakeMultipathd();
  const reports: ApplyReport[] = [];
  loop = createApplyLoop({
    configPath,
    deps: { multipathdCommand: mpd.command, mountinfoPath: root.mountinfo, swapsPath: root.swaps },
    onReport: (r) => reports.push(r),
    log,
    debounceMs: 50,
    settleMs,
  });
  return { mpd, reports };
}

describe('apply loop', () => {
  it('applies at start and exposes the status', async () => {
    writeFileSync(configPath, yaml(`cluster:\n  luns: [{ wwid: ${A} }]\n`));
    const { reports } = start();
    await loop!.start();
    expect(reports).toHaveLength(1);
    expect(root.wwids()).toEqual([A]);
    const status = loop!.status();
    expect(status).toMatchObject({ path: configPath, valid: true, errors: [], applyEnabled: true, digest: clusterDigest(loop!.config().cluster) });
    expect(status.lastApply?.success).toBe(true);
    expect(status.lastChangeAt).toBe(status.lastApply?.finishedAt);
  });

  it('re-applies when the config file changes (fs.watch on its directory)', async () => {
    writeFileSync(configPath, yaml(`cluster:\n  luns: [{ wwid: ${A} }]\n`));
    const { reports } = start();
    await loop!.start();
    writeFileSync(configPath, yaml(`cluster:\n  luns: [{ wwid: ${A} }, { wwid: ${B} }]\n`));
    // The wwids file changes mid-pass, before the pass reports: wait for both.
    await vi.waitFor(
      () => {
        expect(root.wwids().sort()).toEqual([A, B].sort());
        expect(reports.length).toBeGreaterThanOrEqual(2);
      },
      { timeout: 10_000, interval: 50 },
    );
  });

  it('re-checks periodically (apply.recheckInterval) even without a file event', async () => {
    writeFileSync(configPath, yaml('cluster: {}\n', { recheckInterval: '200ms' }));
    const { reports } = start();
    await loop!.start();
    await vi.waitFor(() => expect(reports.length).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 50 });
  });

  it('an invalid config is not applied: the last good one stays in force and the error is reported', async () => {
    writeFileSync(configPath, yaml(`cluster:\n  luns: [{ wwid: ${A}, alias: a }]\n`));
    start();
    await loop!.start();
    const digest = loop!.status().digest;
    writeFileSync(configPath, yaml(`cluster:\n  luns: [{ wwid: ${A}, alias: a }, { wwid: ${B}, alias: a }]\n`));
    await loop!.trigger();
    const status = loop!.status();
    expect(status.valid).toBe(false);
    expect(status.errors[0]).toMatch(/config\.yml: line \d+: cluster\.luns\[1\]\.alias: alias "a" is also used by luns\[0\]/);
    expect(status.digest).toBe(digest);
    expect(status.lastApply?.success).toBe(true);
    expect(root.wwids()).toEqual([A]);
    expect(log.lines.filter((l) => l.includes('keeping the last good config'))).toEqual([expect.stringMatching(/^level=error msg="config is invalid, keeping the last good config" file=\S+config\.yml errors=".*alias \\"a\\" is also used/)]);
    // fixed again: valid, applied
    writeFileSync(configPath, yaml(`cluster:\n  luns: [{ wwid: ${A}, alias: a }, { wwid: ${B}, alias: b }]\n`));
    await loop!.trigger();
    expect(loop!.status()).toMatchObject({ valid: true, errors: [] });
    expect(root.wwids().sort()).toEqual([A, B].sort());
  });

  it('apply.enabled: false writes nothing but still re-reads the config', async () => {
    writeFileSync(configPath, yaml(`cluster:\n  luns: [{ wwid: ${A} }]\n`, { enabled: false }));
    const { reports, mpd } = start();
    await loop!.start();
    expect(reports).toEqual([]);
    expect(root.calls()).toEqual([]);
    expect(root.wwidsText()).toBe('');
    expect(mpd.commands).toEqual([]);
    expect(loop!.status()).toMatchObject({ applyEnabled: false, valid: true });
    writeFileSync(configPath, yaml(`cluster:\n  luns: [{ wwid: ${B} }]\n`, { enabled: false }));
    await loop!.trigger();
    expect(loop!.config().cluster.luns[0]!.wwid).toBe(B);
    expect(root.calls()).toEqual([]);
  });

  it('a missing config file means the built-in defaults (monitor only)', async () => {
    start();
    await loop!.start();
    expect(loop!.status()).toMatchObject({ valid: true, applyEnabled: false });
    expect(root.calls()).toEqual([]);
  });

  it('concurrent triggers share passes: never two at once', async () => {
    writeFileSync(configPath, yaml('cluster: {}\n'));
    let active = 0;
    let maxActive = 0;
    let passes = 0;
    loop = createApplyLoop({
      configPath,
      log,
      settleMs: 0,
      apply: async () => {
        active++;
        passes++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 30));
        active--;
        return { finishedAt: Date.now(), success: true, errors: [], changes: [], changed: false, reloadSuccess: true, refused: [] };
      },
    });
    await Promise.all(Array.from({ length: 20 }, () => loop!.trigger()));
    expect(maxActive).toBe(1);
    expect(passes).toBe(2);
  });

  it('stop resolves only once the pass under way has finished, and no pass starts after it', async () => {
    writeFileSync(configPath, yaml('cluster: {}\n'));
    const events: string[] = [];
    let release!: () => void;
    loop = createApplyLoop({
      configPath,
      log,
      settleMs: 0,
      apply: async () => {
        events.push('pass started');
        await new Promise<void>((r) => (release = r));
        events.push('pass finished');
        return { finishedAt: Date.now(), success: true, errors: [], changes: [], changed: false, reloadSuccess: true, refused: [] };
      },
    });
    const first = loop.trigger();
    const queued = loop.trigger();
    await vi.waitFor(() => expect(events).toEqual(['pass started']));
    const stopped = loop.stop().then(() => events.push('stopped'));
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual(['pass started']);
    release();
    await Promise.all([first, queued, stopped]);
    expect(events).toEqual(['pass started', 'pass finished', 'stopped']);
  });
});

describe('apply loop: only a complete, settled config file is applied', () => {
  const luns = Array.from({ length: 8 }, (_, i) => `3600a0980${String(i).padStart(24, '0')}`);
  const lunsYaml = (n: number) => `cluster:\n  luns:\n${luns.slice(0, n).map((w) => `    - { wwid: ${w} }\n`).join('')}`;

  it('a config written in place in two parts with a pause is not applied half-written: no WWID is removed', async () => {
    writeFileSync(configPath, yaml(lunsYaml(7)));
    start(600);
    await loop!.start();
    expect(root.wwids().sort()).toEqual(luns.slice(0, 7).sort());
    // An editor rewrites the file in place: the first part alone is a valid config with 5 LUNs
    // (it would remove 2, within apply.maxRemovalFraction), the second part brings the rest and an 8th.
    const full = yaml(lunsYaml(8));
    const cut = full.indexOf(`    - { wwid: ${luns[5]} }`);
    const fd = openSync(configPath, 'w');
    writeSync(fd, full.slice(0, cut));
    await new Promise((r) => setTimeout(r, 250));
    writeSync(fd, full.slice(cut));
    closeSync(fd);
    await vi.waitFor(() => expect(root.wwids().sort()).toEqual([...luns].sort()), { timeout: 10_000, interval: 50 });
    expect(root.calls().filter((c) => c.startsWith('-w'))).toEqual([]);
    expect(log.lines.some((l) => l.startsWith('level=info msg="config file is changing; waiting for it to settle"'))).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['whitespace-only', ' \n\n\t\n'],
  ])('an %s file while serving is invalid, not the defaults: the last good config stays and nothing is removed', async (_name, text) => {
    writeFileSync(configPath, yaml(lunsYaml(2)));
    start();
    await loop!.start();
    writeFileSync(configPath, text);
    await loop!.trigger();
    expect(loop!.status()).toMatchObject({ valid: false, applyEnabled: true, errors: [expect.stringMatching(/config\.yml: empty config file/)] });
    expect(loop!.config().cluster.luns).toHaveLength(2);
    expect(root.calls().filter((c) => c.startsWith('-w'))).toEqual([]);
    expect(log.lines).toContainEqual(expect.stringMatching(/^level=error msg="config is invalid, keeping the last good config" .*empty config file/));
  });
});

describe('apply loop: log levels', () => {
  it('apply errors are logged as level=error, changes as level=info', async () => {
    root.failFor(A);
    writeFileSync(configPath, yaml(`cluster:\n  luns: [{ wwid: ${A} }, { wwid: ${B} }]\n`));
    start();
    await loop!.start();
    expect(log.lines).toContainEqual(expect.stringMatching(new RegExp(`^level=error msg="apply error: adding WWID ${A} \\(multipath -a\\) failed: exit 1: failed adding`)));
    expect(log.lines).toContainEqual(`level=info msg="apply: added WWID ${B}"`);
  });

  it('a refused removal is logged as level=warn once, not on every pass while it lasts', async () => {
    writeFileSync(root.wwidsFile, `/${B}/\n`); // listed before: not ours
    writeFileSync(configPath, yaml('cluster: {}\n'));
    start();
    await loop!.start();
    await loop!.trigger();
    expect(log.lines.filter((l) => l.includes('refused'))).toEqual([expect.stringMatching(new RegExp(`^level=warn msg="apply refused a removal: ${B}: not added by multipath-exporter`))]);
  });
});
