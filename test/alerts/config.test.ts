// The shipped example configurations: examples/prometheus.yml (promtool check config, the `node`
// relabelling) and alerts/alertmanager.example.yml (amtool check-config, routing with amtool, and
// the inhibitions on a real Alertmanager bound to 127.0.0.1). The tools are required: a missing
// binary fails the tests (scripts/install-deps.sh installs them).
import { REPO } from '../support/repo.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../../src/sim/processes.js';

const amConfig = path.join(REPO, 'alerts/alertmanager.example.yml');
const promConfig = path.join(REPO, 'examples/prometheus.yml');
const PLACEHOLDER = 'http://127.0.0.1:9095/alerts';

const run = (cmd: string, args: string[], cwd = REPO) => execa(cmd, args, { cwd, reject: false, timeout: 60_000, all: true });

describe('examples/prometheus.yml', () => {
  it('passes promtool check config, with both rule files', async () => {
    const r = await run('promtool', ['check', 'config', promConfig]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/SUCCESS: 2 rule files found/);
    // 15 recording rules, 15 alerts
    expect(r.all).toMatch(/SUCCESS: 15 rules found[\s\S]*SUCCESS: 15 rules found/);
  });

  interface Relabel {
    source_labels: string[];
    separator: string;
    regex: string;
    target_label: string;
    replacement: string;
  }
  const cfg = parse(readFileSync(promConfig, 'utf8')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; relabel_configs: Relabel[] }[];
  };

  it('scrapes job multipath and loads the two rule files', () => {
    expect(cfg.scrape_configs.map((s) => s.job_name)).toContain('multipath');
    expect(cfg.rule_files).toEqual(['../alerts/multipath.rules.yml', '../alerts/multipath.alerts.yml']);
  });

  // Prometheus anchors relabel regexes at both ends (RE2); the same pattern anchored in JS.
  it.each([
    ['', 'pve1:10036', 'pve1'],
    ['', 'pve1.example.org:10036', 'pve1.example.org'],
    ['', '10.0.0.5:10036', '10.0.0.5'],
    ['', '[fd00::1]:10036', 'fd00::1'],
    ['pve4', '10.20.0.14:10036', 'pve4'],
  ])('node label %j from address %s is %s', (node, address, want) => {
    const rule = cfg.scrape_configs.find((s) => s.job_name === 'multipath')!.relabel_configs.find((r) => r.target_label === 'node')!;
    expect(rule.source_labels).toEqual(['node', '__address__']);
    const value = [node, address].join(rule.separator);
    const m = new RegExp(`^(?:${rule.regex})$`).exec(value);
    const got = m ? rule.replacement.replace('$1', m[1]!) : node;
    expect(got).toBe(want);
  });
});

describe('alerts/alertmanager.example.yml', () => {
  it('passes amtool check-config', async () => {
    const r = await run('amtool', ['check-config', amConfig]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/SUCCESS/);
    expect(r.all).toMatch(/2 inhibit rules/);
  });

  it('has the webhook placeholder only in url lines, and substituting it keeps the config valid', async () => {
    const text = readFileSync(amConfig, 'utf8');
    const lines = text.split('\n').filter((l) => l.includes(PLACEHOLDER) && !l.trim().startsWith('#'));
    expect(lines.length).toBe(2);
    for (const l of lines) expect(l.trim()).toBe(`- url: ${PLACEHOLDER}`);
    const dir = mkdtempSync(path.join(tmpdir(), 'mp-am-'));
    try {
      const file = path.join(dir, 'am.yml');
      writeFileSync(file, text.replaceAll(PLACEHOLDER, 'http://127.0.0.1:40123/hook'));
      const r = await run('amtool', ['check-config', file]);
      expect(r.exitCode, r.all).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['severity=critical', 'multipath-critical'],
    ['severity=warning', 'multipath-warning'],
    ['severity=info', 'multipath-warning'],
  ])('routes %s to %s', async (labels, receiver) => {
    const r = await run('amtool', ['config', 'routes', 'test', `--config.file=${amConfig}`, 'alertname=MultipathLunFailed', labels]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout.trim()).toBe(receiver);
  });

  it('groups by alertname, cluster and wwid', () => {
    const cfg = parse(readFileSync(amConfig, 'utf8')) as { route: { group_by: string[] } };
    expect(cfg.route.group_by).toEqual(['alertname', 'cluster', 'wwid']);
  });
});


describe('inhibitions on a real Alertmanager (127.0.0.1)', () => {
  let dir = '';
  let am: ResultPromise | undefined;
  let base = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mp-am-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // deliveries go nowhere useful: a closed loopback port (the test reads the API, not webhooks)
    const hookPort = await freePort();
    const file = path.join(dir, 'am.yml');
    writeFileSync(file, readFileSync(amConfig, 'utf8').replaceAll(PLACEHOLDER, `http://127.0.0.1:${hookPort}/alerts`));
    am = execa(
      'prometheus-alertmanager',
      [
        `--config.file=${file}`,
        `--storage.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { reject: false, all: true },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (am.exitCode !== null && am.exitCode !== undefined) throw new Error(`alertmanager exited`);
      try {
        const r = await fetch(`${base}/-/ready`);
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('alertmanager did not become ready');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    am?.kill('SIGTERM');
    await am;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const lun = (alertname: string, node: string, wwid: string, cluster = 'c1') => ({
    labels: { alertname, node, wwid, cluster, job: 'multipath', severity: 'warning' },
  });
  const nodeAlert = (alertname: string, node: string, cluster = 'c1') => ({
    labels: { alertname, node, cluster, job: 'multipath', severity: 'critical' },
  });

  it('silences exactly the alerts the inhibit rules name', async () => {
    const alerts = [
      // Failed silences Degraded/RedundancyLost on the same node+wwid+cluster only
      lun('MultipathLunFailed', 'pve1', 'w1'),
      lun('MultipathLunDegraded', 'pve1', 'w1'),
      lun('MultipathLunRedundancyLost', 'pve1', 'w1'),
      lun('MultipathLunDegraded', 'pve2', 'w1'),
      lun('MultipathLunDegraded', 'pve1', 'w2'),
      lun('MultipathLunDegraded', 'pve1', 'w1', 'c2'),
      // daemon down on pve3 (c1) silences pve3's LUN alerts, not those of pve3 in c2
      nodeAlert('MultipathDaemonDown', 'pve3'),
      lun('MultipathLunMissing', 'pve3', 'w1'),
      lun('MultipathLunFailed', 'pve3', 'w2'),
      lun('MultipathPathFlapping', 'pve3', 'w3'),
      lun('MultipathLunQueueingForever', 'pve3', 'w2'),
      lun('MultipathLunQueueingExpiring', 'pve3', 'w4'),
      nodeAlert('MultipathDaemonReconfigurePending', 'pve3'),
      lun('MultipathLunMissing', 'pve3', 'w1', 'c2'),
      // exporter down on pve4 silences its LUN alerts but not node-level ones
      nodeAlert('MultipathExporterDown', 'pve4'),
      lun('MultipathLunRedundancyLost', 'pve4', 'w1'),
      nodeAlert('MultipathDaemonBusy', 'pve4'),
      nodeAlert('MultipathConfigDrift', 'pve4'),
      // the queueing alerts and failed do not silence each other
      lun('MultipathLunQueueingForever', 'pve1', 'w1'),
    ];
    const post = await fetch(`${base}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    expect(post.status).toBe(200);

    const key = (l: Record<string, string>) => `${l.alertname} ${l.cluster} ${l.node} ${l.wwid ?? '-'}`;
    let state = new Map<string, string>();
    const deadline = Date.now() + 20_000;
    do {
      await new Promise((r) => setTimeout(r, 300));
      const got = (await (await fetch(`${base}/api/v2/alerts`)).json()) as {
        labels: Record<string, string>;
        status: { state: string };
      }[];
      state = new Map(got.map((a) => [key(a.labels), a.status.state]));
    } while (state.get('MultipathLunDegraded c1 pve1 w1') !== 'suppressed' && Date.now() < deadline);

    expect(Object.fromEntries(state)).toEqual({
      'MultipathLunFailed c1 pve1 w1': 'active',
      'MultipathLunDegraded c1 pve1 w1': 'suppressed',
      'MultipathLunRedundancyLost c1 pve1 w1': 'suppressed',
      'MultipathLunDegraded c1 pve2 w1': 'active',
      'MultipathLunDegraded c1 pve1 w2': 'active',
      'MultipathLunDegraded c2 pve1 w1': 'active',
      'MultipathDaemonDown c1 pve3 -': 'active',
      'MultipathLunMissing c1 pve3 w1': 'suppressed',
      'MultipathLunFailed c1 pve3 w2': 'suppressed',
      'MultipathPathFlapping c1 pve3 w3': 'suppressed',
      'MultipathLunQueueingForever c1 pve3 w2': 'suppressed',
      'MultipathLunQueueingExpiring c1 pve3 w4': 'suppressed',
      'MultipathDaemonReconfigurePending c1 pve3 -': 'suppressed',
      'MultipathLunMissing c2 pve3 w1': 'active',
      'MultipathExporterDown c1 pve4 -': 'active',
      'MultipathLunRedundancyLost c1 pve4 w1': 'suppressed',
      'MultipathDaemonBusy c1 pve4 -': 'suppressed',
      'MultipathConfigDrift c1 pve4 -': 'active',
      'MultipathLunQueueingForever c1 pve1 w1': 'active',
    });
  });
});
