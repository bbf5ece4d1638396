// Runs the real promtool over the rule files and their unit tests (test/rules/*.test.yml).
// promtool is required: scripts/install-deps.sh installs it (Debian package `prometheus`); a missing
// binary fails these tests instead of skipping them.
import { REPO } from '../support/repo.js';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

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
    // 15 recording rules, 15 alerts
    expect(r.all).toMatch(/SUCCESS: 15 rules found[\s\S]*SUCCESS: 15 rules found/);
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
      const mutated = rules.replace('2 * (', '3 * (');
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

  // Every alert's promtool tests catch a broken expression: one that never fires fails its firing
  // case, and the new alerts' targeted mutations (a threshold, a join, a comparison) fail their
  // not-firing cases. A LUN alert's condition is a recorded rule (alerts/multipath.rules.yml), so
  // those mutations break that rule; an alert that loses its alias set (the join) fails too.
  type RuleFile = { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] };
  const alertsFile = parse(readFileSync(path.join(REPO, ruleFiles[1]!), 'utf8')) as RuleFile;
  const rulesFile = parse(readFileSync(path.join(REPO, ruleFiles[0]!), 'utf8')) as RuleFile;
  const ALERT_ALIAS = 'node_wwid:multipath_alert_alias:info';
  const mutations: [alert: string, what: string, rule: string, mutate: (expr: string) => string][] = [
    ...alertsFile.groups.flatMap((g) => g.rules).map((r): [string, string, string, (e: string) => string] => [r.alert!, 'never fires', r.alert!, () => 'vector(1) > 2']),
    ['MultipathLunQueueingExpiring', 'threshold 3600 s', 'node_wwid:multipath_map_queueing_seconds_left:expiring', (e) => e.replace('< 300', '< 3600')],
    ['MultipathLunQueueingExpiring', 'any queueing mode', 'node_wwid:multipath_map_queueing_seconds_left:expiring', (e) => e.replace('multipath_map_queueing_seconds_left{job="multipath"} < 300', 'multipath_map_queueing_seconds_left{job="multipath"}')],
    ['MultipathLunQueueingForever', 'active paths ignored', 'node_wwid:multipath_map_queueing_forever:bool', (e) => e.replace('(multipath_map_paths_active{job="multipath"} == 0)', '(multipath_map_paths_active{job="multipath"} >= 0)')],
    ['MultipathLunQueueingForever', 'any mode', 'node_wwid:multipath_map_queueing_forever:bool', (e) => e.replace('mode="queue"', 'mode=~".+"')],
    ['MultipathLunRedundancyLost', 'optimal or not', 'node_wwid:multipath_map_paths_active:short_of_expected', (e) => e.replace('node_wwid:multipath_map_state_set:code == 0', 'node_wwid:multipath_map_state_set:code >= 0')],
    ['MultipathLunFailed', 'impaired set without failed cells', 'node_wwid:multipath_state:impaired', (e) => e.replace('> 0', '> 0 < 3')],
    ['MultipathLunMissing', 'impaired set without missing cells', 'node_wwid:multipath_state:impaired', (e) => e.replace('> 0', '!= 2 > 0')],
    ['MultipathLunDegraded', 'impaired set without degraded cells', 'node_wwid:multipath_state:impaired', (e) => e.replace('> 0', '> 1')],
    ['MultipathLunDegraded', 'fires for fewer paths than configured too', 'MultipathLunDegraded', (e) => e.replace(/\s*unless\s*node_wwid:multipath_map_paths_active:short_of_expected/, '')],
    ['MultipathDaemonBusy', 'busy or not', 'MultipathDaemonBusy', (e) => e.replace('== 1', '>= 0')],
    ['MultipathDaemonReconfigurePending', 'pending or not', 'MultipathDaemonReconfigurePending', (e) => e.replace('== 1', '>= 0')],
    ...['MultipathLunFailed', 'MultipathLunMissing', 'MultipathPathFlapping', 'MultipathLunQueueingExpiring', 'MultipathLunQueueingForever'].map(
      (alert): [string, string, string, (e: string) => string] => [alert, 'its condition left out of the alias set', ALERT_ALIAS, (e) => e.replace(conditionOf(alert), `(${conditionOf(alert)} unless ${conditionOf(alert)})`)],
    ),
  ];

  /** The recorded condition a LUN alert reads, as it appears in the alias set. */
  function conditionOf(alert: string): string {
    const expr = alertsFile.groups.flatMap((g) => g.rules).find((r) => r.alert === alert)!.expr;
    const first = expr.trim().split('\n')[0]!.trim();
    return first.startsWith('(node_wwid:multipath_state:impaired') ? 'node_wwid:multipath_state:code > 0' : first;
  }

  it.each(mutations)('test rules alerts.test.yml fails when %s is broken: %s', async (alert, _what, ruleName, mutate) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mp-alerts-'));
    try {
      mkdirSync(path.join(dir, 'alerts'));
      mkdirSync(path.join(dir, 'test/rules'), { recursive: true });
      const alertsCopy = structuredClone(alertsFile);
      const rulesCopy = structuredClone(rulesFile);
      const rule = [...alertsCopy.groups, ...rulesCopy.groups].flatMap((g) => g.rules).find((r) => (r.alert ?? r.record) === ruleName)!;
      const mutated = mutate(rule.expr);
      expect(mutated).not.toBe(rule.expr);
      rule.expr = mutated;
      writeFileSync(path.join(dir, ruleFiles[0]!), stringify(rulesCopy));
      writeFileSync(path.join(dir, ruleFiles[1]!), stringify(alertsCopy));
      copyFileSync(path.join(rulesDir, 'alerts.test.yml'), path.join(dir, 'test/rules/alerts.test.yml'));
      const r = await promtool(['test', 'rules', 'alerts.test.yml'], path.join(dir, 'test/rules'));
      expect(r.exitCode, r.all).not.toBe(0);
      expect(r.all).toMatch(new RegExp(`FAILED[\\s\\S]*alertname: ${alert}\\b`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
