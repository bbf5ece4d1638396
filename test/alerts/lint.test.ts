// Style lint of the rule files (the monitoring-mixins guidelines that mixtool enforces, plus this
// project's own rules): names, severities, annotations, runbook anchors, comments, test coverage.
import { REPO } from '../support/repo.js';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const read = (rel: string) => readFileSync(path.join(REPO, rel), 'utf8');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

const rulesText = read('alerts/multipath.rules.yml');
const alertsText = read('alerts/multipath.alerts.yml');
const rules = (parse(rulesText) as RuleFile).groups.flatMap((g) => g.rules);
const alerts = (parse(alertsText) as RuleFile).groups.flatMap((g) => g.rules);
const runbook = read('docs/runbook.md');
const metricsDoc = read('docs/metrics.md');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
    out.add(
      m[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return out;
}

/** The comment lines directly above the list item `- <key>: <name>` in a rule file's text. */
function commentAbove(text: string, key: 'alert' | 'record', name: string): string[] {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.trim() === `- ${key}: ${name}`);
  expect(i, `${key} ${name} not found in the text`).toBeGreaterThan(0);
  const out: string[] = [];
  for (let j = i - 1; j >= 0 && lines[j]!.trim().startsWith('#'); j--) out.unshift(lines[j]!.trim());
  return out;
}

const ALERTS = {
  MultipathLunFailed: 'critical',
  MultipathLunMissing: 'critical',
  MultipathLunDegraded: 'warning',
  MultipathLunRedundancyLost: 'warning',
  MultipathPathFlapping: 'warning',
  MultipathLunQueueingExpiring: 'critical',
  MultipathLunQueueingForever: 'critical',
  MultipathDaemonDown: 'critical',
  MultipathDaemonBusy: 'warning',
  MultipathDaemonReconfigurePending: 'warning',
  MultipathExporterDown: 'warning',
  MultipathExporterAbsent: 'warning',
  MultipathConfigApplyFailed: 'warning',
  MultipathConfigDrift: 'warning',
  MultipathNodeNotInClusterConfig: 'warning',
} as const;
/** Alerts about one LUN on one node: their description names node, WWID and alias. */
const LUN_ALERTS = new Set([
  'MultipathLunFailed',
  'MultipathLunMissing',
  'MultipathLunDegraded',
  'MultipathLunRedundancyLost',
  'MultipathPathFlapping',
  'MultipathLunQueueingExpiring',
  'MultipathLunQueueingForever',
]);

describe('alert rules', () => {
  const names = alerts.map((a) => a.alert);

  it('are exactly the alerts of the issue, each once', () => {
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(Object.keys(ALERTS).sort());
    expect(alerts.every((a) => a.record === undefined)).toBe(true);
  });

  describe.each(alerts.map((a) => [a.alert!, a] as const))('%s', (name, a) => {
    it('has a CamelCase name with the Multipath prefix', () => {
      expect(name).toMatch(/^Multipath([A-Z]+[a-z0-9]+)+$/);
    });

    it('has the fixed severity and no other labels', () => {
      expect(a.labels).toEqual({ severity: ALERTS[name as keyof typeof ALERTS] });
    });

    it('has a static summary sentence ending in a period', () => {
      const s = a.annotations?.summary ?? '';
      expect(s).toMatch(/^[A-Z].+\.$/);
      expect(s).not.toMatch(/\{\{|\$labels|\$value/);
    });

    it('has a templated description naming the node (and WWID and alias for LUN alerts)', () => {
      const d = a.annotations?.description ?? '';
      expect(d).toMatch(/\{\{.+\}\}/);
      if (name === 'MultipathExporterAbsent') {
        expect(d).toContain('{{ $labels.job }}');
      } else {
        expect(d).toContain('{{ $labels.node }}');
      }
      if (LUN_ALERTS.has(name)) {
        expect(d).toContain('{{ $labels.wwid }}');
        expect(d).toContain('{{ $labels.alias }}');
        // the alias is joined onto the LUN alerts
        expect(a.expr).toMatch(/group_left \(alias\)\s+node_wwid:multipath_alert_alias:info/);
      }
      expect(d).toMatch(/\.$/);
    });

    it('links a runbook section that exists', () => {
      const url = a.annotations?.runbook_url ?? '';
      expect(url).toBe(`docs/runbook.md#${name.toLowerCase()}`);
      expect(anchors(runbook).has(name.toLowerCase())).toBe(true);
    });

    it('has a deliberate for: explained in its comment', () => {
      expect(a.for).toMatch(/^[1-9][0-9]*m$/);
      const comment = commentAbove(alertsText, 'alert', name).join(' ');
      expect(comment).toMatch(/for: ?[0-9]+m/);
    });

    it('has no other annotations', () => {
      expect(Object.keys(a.annotations ?? {}).sort()).toEqual(['description', 'runbook_url', 'summary']);
    });
  });
});

describe('runbook', () => {
  const sections = runbook.split(/^## /m).slice(1);

  it('has one section per alert, in the order of the rule file', () => {
    expect(sections.map((s) => s.split('\n')[0]!.trim())).toEqual(alerts.map((a) => a.alert));
  });

  it.each(sections.map((s) => [s.split('\n')[0]!.trim(), s] as const))(
    '%s says meaning, impact, what to check with multipathd show, how to fix',
    (_name, s) => {
      for (const part of ['**Meaning.**', '**Impact.**', '**Check.**', '**Fix.**']) expect(s).toContain(part);
      expect(s).toMatch(/`multipathd show [a-z]/);
    },
  );
});

describe('recording rules', () => {
  const records = rules.map((r) => r.record);

  it('include the fixed names, each once, and no alerts', () => {
    expect(new Set(records).size).toBe(records.length);
    for (const n of ['node_wwid:multipath_state:code', 'wwid:multipath_state:max', 'wwid_state:multipath_nodes:count']) {
      expect(records).toContain(n);
    }
    expect(rules.every((r) => r.alert === undefined)).toBe(true);
  });

  it.each(records)('%s follows level:metric:operations, is documented and commented', (name) => {
    expect(name).toMatch(/^[a-z_]+:[a-z_]+:[a-z_]+$/);
    expect(metricsDoc).toContain(`\`${name}\``);
    const comment = commentAbove(rulesText, 'record', name!);
    expect(comment.length).toBeGreaterThan(0);
  });

  it('aggregate with without (...) and join with ignoring (...), never by/on, so target labels survive', () => {
    for (const r of [...rules, ...alerts]) {
      expect(r.expr, r.record ?? r.alert).not.toMatch(/\b(by|on)\s*\(/);
    }
  });

  it('select the exporter job on every raw metric', () => {
    for (const r of [...rules, ...alerts]) {
      for (const m of r.expr.matchAll(/(?<![:\w])((?:multipath|up)[a-z_]*)(\{[^}]*\})?/g)) {
        expect(m[2] ?? '', `${r.record ?? r.alert}: ${m[1]}`).toContain('job="multipath"');
      }
    }
  });
});

describe('promtool tests cover every alert', () => {
  interface AlertTest {
    alertname: string;
    exp_alerts?: unknown[];
  }
  const dir = path.join(REPO, 'test/rules');
  const cases: AlertTest[] = readdirSync(dir)
    .filter((f) => f.endsWith('.test.yml'))
    .flatMap((f) => (parse(readFileSync(path.join(dir, f), 'utf8')) as { tests: { alert_rule_test?: AlertTest[] }[] }).tests)
    .flatMap((t) => t.alert_rule_test ?? []);

  it('tests only alerts that exist', () => {
    for (const c of cases) expect(Object.keys(ALERTS)).toContain(c.alertname);
  });

  it.each(Object.keys(ALERTS))('%s has a not-firing case and a firing case', (name) => {
    const mine = cases.filter((c) => c.alertname === name);
    expect(mine.some((c) => !c.exp_alerts || c.exp_alerts.length === 0)).toBe(true);
    expect(mine.some((c) => (c.exp_alerts?.length ?? 0) > 0)).toBe(true);
  });
});
