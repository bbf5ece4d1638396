import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runApplyCommand, runPlanCommand } from '../../../src/apply/io/apply-cli.js';
import { fakeMultipathd, makeRoot, WWIDS_HEADER, type TestRoot } from '../../support/apply-root.js';

const A = '3600a098038314c6f6b5d4f2d41434b31';
const B = '3600140500a1b2c3d4e5f6a7b8c9d0e1f';
const X = '36001405ffffffffffffffffffffffff9';

let root: TestRoot;
let configPath: string;
beforeEach(() => {
  root = makeRoot();
  configPath = join(root.dir, 'config.yml');
});
afterEach(() => root.cleanup());

function writeConfig(cluster: string, apply: Record<string, unknown> = {}): void {
  const a = { enabled: true, confDir: root.confDir, wwidsFile: root.wwidsFile, stateDir: root.stateDir, multipath: [root.multipath], ...apply };
  writeFileSync(configPath, `node: pve1\napply: ${JSON.stringify(a)}\ncluster:\n${cluster}`);
}

async function run(cmd: typeof runPlanCommand) {
  let out = '';
  let err = '';
  const mpd = fakeMultipathd();
  const code = await cmd(configPath, { out: (t) => (out += t), err: (t) => (err += t), deps: { multipathdCommand: mpd.command, mountinfoPath: root.mountinfo, swapsPath: root.swaps } });
  return { code, out, err };
}

describe('plan', () => {
  it('prints a unified diff per drop-in, WWIDs to add/remove, refusals; exit 2 when pending, 0 after apply', async () => {
    writeFileSync(root.wwidsFile, `${WWIDS_HEADER}/${X}/\n`);
    writeConfig(`  defaults: { no_path_retry: queue }\n  luns: [{ wwid: ${A}, alias: vm }]\n`);
    const plan = await run(runPlanCommand);
    expect(plan.code).toBe(2);
    expect(plan.out).toContain(`--- /dev/null\n+++ ${root.confDir}/multipath-exporter-10-defaults.conf\n`);
    expect(plan.out).toContain('+\tno_path_retry "queue"\n');
    expect(plan.out).toContain(`+++ ${root.confDir}/multipath-exporter-20-multipaths.conf\n`);
    expect(plan.out).not.toContain('90-overrides');
    expect(plan.out).toContain(`+ wwid ${A} (multipath -a)\n`);
    expect(plan.out).toContain(`! wwid ${X} kept: not added by multipath-exporter`);
    expect(root.calls()).toEqual([]); // plan changes nothing
    expect(root.wwidsText()).toBe(`${WWIDS_HEADER}/${X}/\n`);

    const apply = await run(runApplyCommand);
    expect(apply.code).toBe(0);
    expect(apply.out).toContain(`added WWID ${A}\n`);
    expect(apply.out).toContain(`wrote ${root.confDir}/multipath-exporter-10-defaults.conf\n`);
    expect(apply.out).toContain('multipathd reconfigure\n');

    const again = await run(runPlanCommand);
    expect(again.code).toBe(0);
    expect(again.out).toContain('nothing to change\n');

    // remove the LUN: plan shows the removal and the diff of the multipaths drop-in going away
    writeConfig(`  defaults: { no_path_retry: queue }\n`);
    const removal = await run(runPlanCommand);
    expect(removal.code).toBe(2);
    expect(removal.out).toContain(`- wwid ${A} (multipath -w)\n`);
    expect(removal.out).toContain(`--- ${root.confDir}/multipath-exporter-20-multipaths.conf\n+++ /dev/null\n`);
  });

  it('exit 1 with the errors for an invalid config', async () => {
    writeConfig('  defaults: { polling_interval: 10s }\n');
    const r = await run(runPlanCommand);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/config\.yml: line 4: cluster\.defaults\.polling_interval: must be an integer/);
  });

  it('notes when apply is disabled', async () => {
    writeConfig('  luns: []\n', { enabled: false });
    const r = await run(runPlanCommand);
    expect(r.code).toBe(2);
    expect(r.err).toContain('apply.enabled is false');
  });
});

describe('apply', () => {
  it('non-zero exit when an operation failed, naming it', async () => {
    writeConfig(`  luns: [{ wwid: ${A} }, { wwid: ${B} }]\n`);
    root.failFor(B);
    const r = await run(runApplyCommand);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: adding WWID ${B} (multipath -a) failed`);
    expect(r.out).toContain(`added WWID ${A}`);
  });

  it('refuses to write when apply is disabled', async () => {
    writeConfig(`  luns: [{ wwid: ${A} }]\n`, { enabled: false });
    const r = await run(runApplyCommand);
    expect(r.code).toBe(1);
    expect(r.err).toContain('nothing written');
    expect(root.calls()).toEqual([]);
  });
});
