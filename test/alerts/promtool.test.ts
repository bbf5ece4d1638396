// Runs the real promtool over the rule files and their unit tests (test/rules/*.test.yml).
// promtool is required: scripts/install-deps.sh installs it (Debian package `prometheus`); a missing
// binary fails these tests instead of skipping them.
import { REPO } from '../support/repo.js';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const rulesDir = path.join(REPO, 'test/rules');
const ruleFiles = ['alerts/multipath.rules.yml', 'alerts/multipath.alerts.yml'];
const testFiles = readdirSync(rulesDir)
  .filter((f) => f.endsWith('.test.yml'))
  .sort();

async function promtool(args: string[], cwd: string) {
  // reject: false so a failure shows promtool's own output in the assertion message
  return execa('promtool', args, { cwd, reject: false, timeout: 60_000, all: true });
}

describe('promtool', () => {
  it('is installed (scripts/install-deps.sh)', async () => {
    const r = await promtool(['--version'], REPO);
    expect(r.failed, `promtool is missing: run scripts/install-deps.sh\n${r.all ?? r.message}`).toBe(false);
  });

  it('check rules: both rule files are clean', async () => {
    const r = await promtool(['check', 'rules', ...ruleFiles], REPO);
    expect(r.all).not.toMatch(/WARNING|FAILED/);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/SUCCESS: 6 rules found/);
    expect(r.all).toMatch(/SUCCESS: 11 rules found/);
  });

  it('has the rule unit-test files', () => {
    expect(testFiles).toEqual(['alerts.test.yml', 'matrix.test.yml']);
  });

  it.each(testFiles)('test rules %s passes', async (file) => {
    const r = await promtool(['test', 'rules', file], rulesDir);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/SUCCESS/);
    expect(r.all).not.toMatch(/FAILED/);
  });

  it('test rules fails when a rule is wrong (the tests are live)', async () => {
    // a mutated copy of the rules: missing coded as failed
    const dir = mkdtempSync(path.join(tmpdir(), 'mp-rules-'));
    try {
      mkdirSync(path.join(dir, 'alerts'));
      mkdirSync(path.join(dir, 'test/rules'), { recursive: true });
      const rules = readFileSync(path.join(REPO, ruleFiles[0]!), 'utf8');
      const mutated = rules.replace('2 * max without (instance) (', '3 * max without (instance) (');
      expect(mutated).not.toBe(rules);
      writeFileSync(path.join(dir, ruleFiles[0]!), mutated);
      copyFileSync(path.join(REPO, ruleFiles[1]!), path.join(dir, ruleFiles[1]!));
      copyFileSync(path.join(rulesDir, 'matrix.test.yml'), path.join(dir, 'test/rules/matrix.test.yml'));
      const r = await promtool(['test', 'rules', 'matrix.test.yml'], path.join(dir, 'test/rules'));
      expect(r.exitCode).not.toBe(0);
      expect(r.all).toMatch(/FAILED/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
