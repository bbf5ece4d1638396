// The documented transforms of the shipped rule files, Alertmanager example and scrape config for
// the simulation (src/sim/transform-rules.ts), on the shipped files themselves; the results pass
// promtool / amtool (required: scripts/install-deps.sh; missing tools fail these tests).
import { REPO } from '../support/repo.js';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertmanagerForSim,
  prometheusForSim,
  ruleDurationMs,
  shortenAlertRules,
  shortenDuration,
} from '../../src/sim/transform-rules.js';

const shipped = (rel: string) => readFileSync(path.join(REPO, rel), 'utf8');
type Rule = { alert?: string; record?: string; expr: string; for?: string; labels?: unknown; annotations?: unknown };
const rules = (text: string): Rule[] => (parse(text) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'transform-rules-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('durations', () => {
  it('reads rule-file durations with the common parser and refuses a bad one', () => {
    expect(['10m', '1h30m', '500ms', '0s', '2d'].map(ruleDurationMs)).toEqual([600_000, 5_400_000, 500, 0, 172_800_000]);
    expect(() => ruleDurationMs('10 minutes')).toThrow(/not a Prometheus duration/);
    expect(() => shortenDuration('soon', { factor: 30 })).toThrow(/not a Prometheus duration: "soon"/);
  });
  it('divides by the factor, clamped to min and max', () => {
    expect(shortenDuration('10m', { factor: 30 })).toBe('20s');
    expect(shortenDuration('15s', { factor: 30 })).toBe('1s');
    expect(shortenDuration('15s', { factor: 30, minMs: 200 })).toBe('500ms');
    expect(shortenDuration('30m', { factor: 30, maxMs: 30_000 })).toBe('30s');
    expect(shortenDuration('0s', { factor: 30 })).toBe('0s');
    expect(() => shortenDuration('1m', { factor: 0.5 })).toThrow(/factor/);
  });
});

describe('shortenAlertRules on alerts/multipath.alerts.yml', () => {
  const original = shipped('alerts/multipath.alerts.yml');
  const out = shortenAlertRules(original, { factor: 30 });

  it('changes only the for: of every alert, keeping their order', () => {
    const before = rules(original);
    const after = rules(out);
    expect(after.map((r) => ({ ...r, for: undefined }))).toEqual(before.map((r) => ({ ...r, for: undefined })));
    const withFor = before.filter((r) => r.for);
    expect(withFor.length).toBeGreaterThan(3);
    for (const [i, r] of before.entries()) {
      if (r.for) expect(ruleDurationMs(after[i]!.for!), r.alert).toBe(Math.max(1000, ruleDurationMs(r.for) / 30));
    }
    // the inhibitions rely on the daemon alert firing before the LUN-missing alert it silences
    const forOf = (name: string) => ruleDurationMs(after.find((r) => r.alert === name)!.for!);
    expect(forOf('MultipathDaemonDown')).toBeLessThan(forOf('MultipathLunMissing'));
  });

  it('passes promtool check rules', async () => {
    const file = path.join(dir, 'alerts.yml');
    await writeFile(file, out);
    const res = await execa('promtool', ['check', 'rules', file], { reject: false, all: true });
    expect(res.exitCode, res.all).toBe(0);
  });

  it('refuses a file without alerts', () => {
    expect(() => shortenAlertRules(shipped('alerts/multipath.rules.yml'), { factor: 30 })).toThrow(/no alerting rule/);
  });
});

describe('alertmanagerForSim on alerts/alertmanager.example.yml', () => {
  const original = shipped('alerts/alertmanager.example.yml');
  const out = alertmanagerForSim(original, { webhookBase: 'http://127.0.0.1:1234/hook', groupWait: '1s', groupInterval: '2s', repeatInterval: '1h' });
  type Route = { group_wait?: string; group_interval?: string; repeat_interval?: string; routes?: Route[]; [k: string]: unknown };
  type Am = { route: Route; receivers: { name: string; webhook_configs?: { url: string }[] }[]; inhibit_rules: unknown };

  it('points every webhook at the harness, per receiver', () => {
    const doc = parse(out) as Am;
    const urls = doc.receivers.flatMap((r) => (r.webhook_configs ?? []).map((h) => [r.name, h.url]));
    expect(urls.length).toBeGreaterThan(0);
    for (const [name, url] of urls) expect(url).toBe(`http://127.0.0.1:1234/hook/${name}`);
    expect(out).not.toContain('9095');
  });

  it('shortens the route timers and keeps routing, grouping and inhibitions', () => {
    const before = parse(original) as Am;
    const after = parse(out) as Am;
    expect(after.inhibit_rules).toEqual(before.inhibit_rules);
    const strip = (r: Route): unknown => ({ ...r, group_wait: undefined, group_interval: undefined, repeat_interval: undefined, routes: r.routes?.map(strip) });
    expect(strip(after.route)).toEqual(strip(before.route));
    expect(after.route).toMatchObject({ group_wait: '1s', group_interval: '2s', repeat_interval: '1h' });
    const timers = (r: Route): string[] => [r.group_wait, r.group_interval, r.repeat_interval].filter((x): x is string => !!x).concat((r.routes ?? []).flatMap(timers));
    expect(new Set(timers(after.route))).toEqual(new Set(['1s', '2s', '1h']));
  });

  it('passes amtool check-config', async () => {
    const file = path.join(dir, 'alertmanager.yml');
    await writeFile(file, out);
    const res = await execa('amtool', ['check-config', file], { reject: false, all: true });
    expect(res.exitCode, res.all).toBe(0);
  });

  it('refuses a config without any webhook', () => {
    expect(() => alertmanagerForSim('route: { receiver: x }\nreceivers: [{ name: x }]\n', { webhookBase: 'http://h', groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' })).toThrow(/webhook/);
  });
});

describe('prometheusForSim', () => {
  const opts = {
    targets: [
      { node: 'node1', address: '127.0.0.1:10001' },
      { node: 'node2', address: '127.0.0.1:10002' },
    ],
    ruleFiles: ['/x/multipath.rules.yml'],
    alertmanager: '127.0.0.1:9999',
    cluster: 'sim',
    scrapeInterval: '1s',
    evaluationInterval: '1s',
  };

  it("keeps the shipped job's relabelling and labels each target with its node", () => {
    const example = shipped('examples/prometheus.yml');
    const doc = parse(prometheusForSim({ ...opts, example })) as { scrape_configs: Record<string, unknown>[]; global: unknown; rule_files: string[] };
    const job = doc.scrape_configs[0]!;
    const shippedJob = (parse(example) as { scrape_configs: Record<string, unknown>[] }).scrape_configs.find((j) => j.job_name === 'multipath')!;
    expect(job.job_name).toBe('multipath');
    expect(job.relabel_configs).toEqual(shippedJob.relabel_configs);
    expect(job.static_configs).toEqual([
      { targets: ['127.0.0.1:10001'], labels: { node: 'node1', cluster: 'sim' } },
      { targets: ['127.0.0.1:10002'], labels: { node: 'node2', cluster: 'sim' } },
    ]);
    expect(doc.global).toEqual({ scrape_interval: '1s', evaluation_interval: '1s' });
    expect(doc.rule_files).toEqual(['/x/multipath.rules.yml']);
  });

  it('sends to one Alertmanager, or to every replica of a cluster', () => {
    const targets = (alertmanager: string | string[]) =>
      (parse(prometheusForSim({ ...opts, alertmanager })) as { alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] } }).alerting;
    expect(targets('127.0.0.1:9999')).toEqual({ alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:9999'] }] }] });
    expect(targets(['127.0.0.1:9998', '127.0.0.1:9999'])).toEqual({ alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:9998', '127.0.0.1:9999'] }] }] });
  });

  it('passes promtool check config (with the shipped rules)', async () => {
    const rulesFile = path.join(dir, 'multipath.rules.yml');
    await writeFile(rulesFile, shipped('alerts/multipath.rules.yml'));
    const file = path.join(dir, 'prometheus.yml');
    await writeFile(file, prometheusForSim({ ...opts, ruleFiles: [rulesFile], example: shipped('examples/prometheus.yml') }));
    const res = await execa('promtool', ['check', 'config', file], { reject: false, all: true });
    expect(res.exitCode, res.all).toBe(0);
  });

  it('one Prometheus per cluster: the cluster as an external label, a remote write, no rules and no alerting (agent mode)', async () => {
    const agent = { targets: opts.targets, externalLabels: { cluster: 'east' }, remoteWrite: 'http://127.0.0.1:8428/api/v1/write', scrapeInterval: '1s', evaluationInterval: '1s' };
    const text = prometheusForSim({ ...agent, example: shipped('examples/prometheus.yml') });
    const doc = parse(text) as Record<string, unknown> & { scrape_configs: { static_configs: unknown }[] };
    expect(doc.global).toEqual({ scrape_interval: '1s', evaluation_interval: '1s', external_labels: { cluster: 'east' } });
    expect(doc.remote_write).toEqual([{ url: 'http://127.0.0.1:8428/api/v1/write', queue_config: { batch_send_deadline: '1s' } }]);
    expect(doc).not.toHaveProperty('rule_files');
    expect(doc).not.toHaveProperty('alerting');
    expect(doc.scrape_configs[0]!.static_configs).toEqual([
      { targets: ['127.0.0.1:10001'], labels: { node: 'node1' } },
      { targets: ['127.0.0.1:10002'], labels: { node: 'node2' } },
    ]);
    const file = path.join(dir, 'prometheus-agent.yml');
    await writeFile(file, text);
    const res = await execa('promtool', ['check', 'config', '--agent', file], { reject: false, all: true });
    expect(res.exitCode, res.all).toBe(0);
  });

  it('refuses an example without the multipath job', () => {
    expect(() => prometheusForSim({ ...opts, example: 'scrape_configs: [{ job_name: other }]\n' })).toThrow(/job_name: multipath/);
  });
});
