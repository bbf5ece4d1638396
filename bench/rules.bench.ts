// npm run bench:rules: the cluster rules at fleet size. A real Prometheus scrapes a synthetic fleet
// (one target per node, every series of the 1.0 contract: the exporter's own pure render path turns
// a generated 0.9.4 reply into each node's exposition, rendered once and served as bytes by one
// HTTP server, /metrics?node=N) and evaluates the shipped rules and alerts at the shipped 30 s
// interval. Per size it runs the baseline rules (a git revision) and then this tree's rules in the
// same Prometheus on the same data (a config reload between them), reading every group's and
// rule's evaluationTime from /api/v1/rules each cycle, and the head series and RSS at the end of
// each phase. Prints one markdown table; results go to docs/benchmarks.md by hand.
//
// Before the rules are loaded it also measures Prometheus's own CPU use while it only ingests the
// fleet (no rules), so the share of the two cores that scraping takes is known beside each phase's.
//
// The floor beside them, in the same Prometheus on the same data, measured first: one group with
// the cheapest rule that records one series per matrix cell (one selector of a raw per-map series,
// aggregated without `instance`, written back). Every group's time is also given as a multiple of
// it: absolute times move with the machine and its load, the ratio to the floor of the same run
// holds.
//
// Knobs: RULES_BENCH_SIZES (nodes x LUNs, default "64x1000,256x200"), RULES_BENCH_CYCLES
// (evaluation cycles measured per rule set, default 5), RULES_BENCH_BASELINE (git revision of the
// baseline rules, default 75256f8; "none" to skip), RULES_BENCH_INTERVAL (evaluation interval,
// default 30s, the shipped one), RULES_BENCH_SCRAPE_INTERVAL (default the evaluation interval; a
// longer one, up to 4m so every series stays inside the 5m look-back, tells how much of a cycle
// is lost to ingestion), RULES_BENCH_PROMETHEUS (the Prometheus binary, default the Debian
// package's; "trixie" fetches Debian 13's package from deb.debian.org into node_modules/.cache and
// runs its binary, to compare the Prometheus that Debian 13 users get).
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Config } from '../src/common/core/config.js';
import { renderMetricsBytes } from '../src/scrape/core/metrics.js';
import { generatedMaps, mapsReply, statusReply } from '../src/sim/maps-reply.js';
import { PROMETHEUS_BIN } from '../src/sim/prometheus.js';
import { freePort, sleep, spawnManaged, waitFor, waitHttpReady } from '../src/sim/processes.js';
import { REPO } from '../test/support/repo.js';
import { NO_FAILURES, snapshotOfReply } from '../test/support/scrape.js';

const PATHS = 4;
const SIZES = (process.env.RULES_BENCH_SIZES ?? '64x1000,256x200').split(',').map((s) => {
  const [nodes, luns] = s.split('x').map(Number);
  return { nodes: nodes!, luns: luns! };
});
const CYCLES = Number(process.env.RULES_BENCH_CYCLES ?? 5);
const BASELINE = process.env.RULES_BENCH_BASELINE ?? '75256f8';
const seconds = (d: string) => (d.endsWith('m') ? Number(d.slice(0, -1)) * 60 : Number(d.replace(/s$/, '')));
const INTERVAL_S = seconds(process.env.RULES_BENCH_INTERVAL ?? '30s');
const SCRAPE_S = seconds(process.env.RULES_BENCH_SCRAPE_INTERVAL ?? `${INTERVAL_S}s`);
const FLOOR_RULES = [
  'groups:',
  '  - name: multipath.floor',
  '    rules:',
  '      - record: node_wwid:bench_floor:max',
  '        expr: max without (instance) (multipath_map_state{job="multipath",state="optimal"})',
  '',
].join('\n');
const ALERTS_FILE = 'alerts/multipath.alerts.yml';
const RULES_FILE = 'alerts/multipath.rules.yml';

/** Debian 13's Prometheus binary, fetched once (its package's current version) into the cache. */
async function trixiePrometheus(): Promise<string> {
  const dir = join(REPO, 'node_modules/.cache/multipath-exporter-bench/prometheus-trixie');
  const bin = join(dir, 'usr/bin/prometheus');
  if (existsSync(bin)) return bin;
  const mirror = 'http://deb.debian.org/debian';
  const index = await execa('sh', ['-c', `curl -fsS ${mirror}/dists/trixie/main/binary-amd64/Packages.xz | xz -dc`], { maxBuffer: 1 << 30 });
  const stanza = index.stdout.split('\n\n').find((p) => p.startsWith('Package: prometheus\n'));
  const file = stanza && /^Filename: (\S+)$/m.exec(stanza)?.[1];
  if (!file) throw new Error('no prometheus package in the trixie index');
  await mkdir(dir, { recursive: true });
  const deb = join(dir, 'prometheus.deb');
  await execa('curl', ['-fsS', '-o', deb, `${mirror}/${file}`]);
  await execa('dpkg-deb', ['-x', deb, dir]);
  return bin;
}
const PROMETHEUS = process.env.RULES_BENCH_PROMETHEUS === 'trixie' ? await trixiePrometheus() : (process.env.RULES_BENCH_PROMETHEUS ?? PROMETHEUS_BIN);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

/** Each node's exposition: the same LUNs everywhere, every node expected to carry each with 4 paths, every path healthy. */
function fleetExpositions(nodes: number, luns: number): Buffer[] {
  const maps = generatedMaps(luns, PATHS);
  const snapshot = snapshotOfReply(mapsReply(maps), { status: statusReply(maps) });
  const names = Array.from({ length: nodes }, (_, i) => `node-${i}`);
  const cluster = { nodes: names, luns: maps.map((m, i) => ({ wwid: m.wwid, alias: `lun-${i}`, paths: PATHS })) };
  return names.map((node) => renderMetricsBytes({ snapshot, failures: NO_FAILURES, config: Config.parse({ node, cluster }), nodename: node, version: 'bench' }));
}

interface RuleReading {
  name: string;
  evaluationTime: number;
}
interface GroupReading {
  name: string;
  file: string;
  evaluationTime: number;
  lastEvaluation: string;
  rules: RuleReading[];
}

async function ruleGroups(url: string): Promise<GroupReading[]> {
  const body = (await (await fetch(`${url}api/v1/rules`)).json()) as { data: { groups: GroupReading[] } };
  return body.data.groups;
}

async function headSeries(url: string): Promise<number> {
  const body = (await (await fetch(`${url}api/v1/status/tsdb`)).json()) as { data: { headStats: { numSeries: number } } };
  return body.data.headStats.numSeries;
}

async function selfMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}
const rssBytes = (url: string) => selfMetric(url, 'process_resident_memory_bytes');
const cpuSeconds = (url: string) => selfMetric(url, 'process_cpu_seconds_total');

async function scrapedTargets(url: string): Promise<number> {
  const body = (await (await fetch(`${url}api/v1/query?query=${encodeURIComponent('count(up{job="multipath"} == 1)')}`)).json()) as {
    data: { result: { value: [number, string] }[] };
  };
  return Number(body.data.result[0]?.value[1] ?? 0);
}

function prometheusConfig(port: number, nodes: number, ruleFiles: string[]): string {
  const targets = Array.from({ length: nodes }, (_, i) => `'node-${i}'`).join(', ');
  return [
    'global:',
    `  scrape_interval: ${SCRAPE_S}s`,
    `  evaluation_interval: ${INTERVAL_S}s`,
    'rule_files:',
    ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    'scrape_configs:',
    '  - job_name: multipath',
    `    scrape_timeout: ${Math.min(SCRAPE_S, 25)}s`,
    `    static_configs: [{ targets: [${targets}] }]`,
    '    relabel_configs:',
    // node and instance from the target name as a real fleet would have them; every target is
    // then scraped from the one fleet server, which picks the node's exposition by parameter
    '      - { source_labels: [__address__], target_label: node }',
    '      - { source_labels: [__address__], target_label: __param_node }',
    "      - { source_labels: [__address__], target_label: instance, replacement: '$1:10036' }",
    `      - { target_label: __address__, replacement: '127.0.0.1:${port}' }`,
    '',
  ].join('\n');
}

interface Phase {
  rules: string;
  /** Per group: evaluation times of the cycles measured, seconds. */
  groups: Map<string, number[]>;
  /** Per group: per rule name, evaluation times. */
  rules_: Map<string, Map<string, number[]>>;
  headSeries: number;
  rssBytes: number;
  /** Prometheus's CPU seconds per second of wall time over the measured cycles (2 = both cores). */
  cpuShare: number;
  load: number[];
}

/** Waits for `cycles` new evaluations of every group of the loaded files and collects their times. */
async function measure(url: string, label: string, files: string[], cycles: number): Promise<Phase> {
  const phase: Phase = { rules: label, groups: new Map(), rules_: new Map(), headSeries: 0, rssBytes: 0, cpuShare: NaN, load: [] };
  let cpuStart: { cpu: number; at: number } | undefined;
  const seen = new Map<string, Set<string>>();
  const ofPhase = (g: GroupReading) => files.some((f) => g.file.endsWith(f));
  // the first evaluation after a (re)load is skipped: it may overlap the reload
  const skipped = new Map<string, string>();
  const deadline = Date.now() + (cycles + 3) * INTERVAL_S * 1000 * 4;
  for (;;) {
    const groups = (await ruleGroups(url)).filter(ofPhase);
    for (const g of groups) {
      if (g.lastEvaluation.startsWith('0001')) continue;
      if (!skipped.has(g.name)) skipped.set(g.name, g.lastEvaluation);
      if (skipped.get(g.name) === g.lastEvaluation) continue;
      cpuStart ??= { cpu: await cpuSeconds(url), at: Date.now() };
      const s = seen.get(g.name) ?? new Set<string>();
      seen.set(g.name, s);
      if (s.has(g.lastEvaluation) || s.size >= cycles) continue;
      s.add(g.lastEvaluation);
      phase.groups.set(g.name, [...(phase.groups.get(g.name) ?? []), g.evaluationTime]);
      const perRule = phase.rules_.get(g.name) ?? new Map<string, number[]>();
      phase.rules_.set(g.name, perRule);
      for (const r of g.rules) perRule.set(r.name, [...(perRule.get(r.name) ?? []), r.evaluationTime]);
      process.stderr.write(`  ${label} ${g.name}: cycle ${s.size}, ${g.evaluationTime.toFixed(3)} s\n`);
    }
    if (groups.length > 0 && groups.every((g) => (seen.get(g.name)?.size ?? 0) >= cycles)) break;
    if (Date.now() > deadline) throw new Error(`${label}: fewer than ${cycles} evaluations of every group in time`);
    await sleep(2000);
  }
  if (cpuStart) phase.cpuShare = (await cpuSeconds(url) - cpuStart.cpu) / ((Date.now() - cpuStart.at) / 1000);
  phase.load = loadavg();
  phase.headSeries = await headSeries(url);
  phase.rssBytes = await rssBytes(url);
  return phase;
}

interface SizeResult {
  nodes: number;
  luns: number;
  phases: Phase[];
  wallS: number;
  /** Seconds from Prometheus ready to every target scraped once. */
  firstScrapeS: number;
  /** Prometheus's CPU share while it only ingests (no rules loaded), over two scrape intervals. */
  ingestCpuShare: number;
  ingestLoad: number[];
}

async function benchSize(nodes: number, luns: number, dir: string): Promise<SizeResult> {
  const started = Date.now();
  const expositions = fleetExpositions(nodes, luns);
  const server = createServer((req, res) => {
    const node = Number(/[?&]node=node-(\d+)/.exec(req.url ?? '')?.[1] ?? NaN);
    const body = expositions[node];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': body.length }).end(body);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const work = await mkdtemp(join(dir, `fleet-${nodes}x${luns}-`));
  const sets: { label: string; files: string[] }[] = [{ label: 'floor', files: [join(dir, 'floor.rules.yml')] }];
  if (BASELINE !== 'none') {
    const baseline = join(work, 'baseline.rules.yml');
    const baselineAlerts = join(work, 'baseline.alerts.yml');
    await writeFile(baseline, (await execa('git', ['show', `${BASELINE}:${RULES_FILE}`])).stdout);
    await writeFile(baselineAlerts, (await execa('git', ['show', `${BASELINE}:${ALERTS_FILE}`])).stdout);
    sets.push({ label: `baseline ${BASELINE}`, files: [baseline, baselineAlerts] });
  }
  sets.push({ label: 'this tree', files: [join(dir, 'tree.rules.yml'), join(dir, 'tree.alerts.yml')] });
  const promPort = await freePort();
  const url = `http://127.0.0.1:${promPort}/`;
  const configFile = join(work, 'prometheus.yml');
  await writeFile(configFile, prometheusConfig(port, nodes, []));
  const prom = spawnManaged('prometheus', PROMETHEUS, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(work, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--web.enable-lifecycle',
    '--log.level=warn',
  ]);
  const phases: Phase[] = [];
  let firstScrapeS = NaN;
  let ingestCpuShare = NaN;
  let ingestLoad: number[] = [];
  try {
    await waitHttpReady(`${url}-/ready`, { timeoutMs: 120_000, proc: prom });
    const ready = Date.now();
    process.stderr.write(`${nodes} x ${luns}: waiting for every target to be scraped\n`);
    await waitFor(`${nodes} targets up`, { timeoutMs: 30 * 60_000, everyMs: 5000 }, () => scrapedTargets(url), (n) => n === nodes);
    firstScrapeS = (Date.now() - ready) / 1000;
    // ingestion alone, after the first scrapes (which also create every series)
    const cpu0 = await cpuSeconds(url);
    const t0 = Date.now();
    await sleep(2 * SCRAPE_S * 1000);
    ingestCpuShare = (await cpuSeconds(url) - cpu0) / ((Date.now() - t0) / 1000);
    ingestLoad = loadavg();
    process.stderr.write(`${nodes} x ${luns}: first scrape ${firstScrapeS.toFixed(0)} s, ingestion alone ${ingestCpuShare.toFixed(2)} CPU\n`);
    for (const set of sets) {
      await writeFile(configFile, prometheusConfig(port, nodes, set.files));
      const reload = await fetch(`${url}-/reload`, { method: 'POST' });
      if (!reload.ok) throw new Error(`reload for ${set.label} failed: ${await reload.text()}`);
      phases.push(await measure(url, set.label, set.files, CYCLES));
    }
  } finally {
    await prom.stop(10_000);
    await new Promise((resolve) => server.close(resolve));
    await rm(work, { recursive: true, force: true });
  }
  return { nodes, luns, phases, wallS: (Date.now() - started) / 1000, firstScrapeS, ingestCpuShare, ingestLoad };
}

const fmt = (s: number) => (s < 0.1 ? `${(s * 1000).toFixed(1)} ms` : s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`);

const dir = await mkdtemp(join(tmpdir(), 'mpe-rules-bench-'));
try {
  // this tree's rules as they are when the run starts, so an edit during the run changes nothing
  await writeFile(join(dir, 'tree.rules.yml'), await readFile(RULES_FILE, 'utf8'));
  await writeFile(join(dir, 'tree.alerts.yml'), await readFile(ALERTS_FILE, 'utf8'));
  await writeFile(join(dir, 'floor.rules.yml'), FLOOR_RULES);
  const startLoad = loadavg();
  const results: SizeResult[] = [];
  for (const size of SIZES) {
    const r = await benchSize(size.nodes, size.luns, dir);
    results.push(r);
    // each size's raw figures as soon as it is done, so a run stopped early keeps them
    process.stderr.write(`${JSON.stringify({ ...r, phases: r.phases.map((p) => ({ ...p, groups: Object.fromEntries(p.groups), rules_: Object.fromEntries([...p.rules_].map(([g, m]) => [g, Object.fromEntries(m)])) })) })}\n`);
  }
  const endLoad = loadavg();
  const version = (await execa(PROMETHEUS, ['--version'], { reject: false })).stdout.split('\n')[0];
  console.log(`\n${version}; ${cpus().length} cores; evaluation interval ${INTERVAL_S} s, scrape interval ${SCRAPE_S} s; ${CYCLES} cycles per rule set (median, max); load average ${startLoad.map((l) => l.toFixed(2)).join(' ')} at the start, ${endLoad.map((l) => l.toFixed(2)).join(' ')} at the end\n`);
  console.log('| fleet | rules | group | evaluation median | x floor | max | slowest rule (median) | head series | per node | RSS | per node |');
  console.log('|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|');
  for (const r of results) {
    const floor = median(r.phases.find((p) => p.rules === 'floor')?.groups.get('multipath.floor') ?? []);
    for (const p of r.phases) {
      for (const [group, times] of p.groups) {
        const perRule = [...(p.rules_.get(group) ?? new Map<string, number[]>())].map(([name, ts]) => ({ name, t: median(ts) })).sort((a, b) => b.t - a.t);
        const slowest = perRule[0] ? `${perRule[0].name} ${fmt(perRule[0].t)}` : '-';
        console.log(
          `| ${r.nodes} x ${r.luns} x ${PATHS} | ${p.rules} | ${group} | ${fmt(median(times))} | ${(median(times) / floor).toFixed(1)} | ${fmt(Math.max(...times))} | ${slowest} | ${p.headSeries.toLocaleString('en-US')} | ${Math.round(p.headSeries / r.nodes).toLocaleString('en-US')} | ${(p.rssBytes / 2 ** 30).toFixed(2)} GiB | ${(p.rssBytes / r.nodes / 2 ** 20).toFixed(0)} MiB |`,
        );
      }
    }
  }
  console.log('\nPer rule (median over the cycles):\n');
  for (const r of results) {
    for (const p of r.phases) {
      for (const [group, perRule] of p.rules_) {
        const list = [...perRule].map(([name, ts]) => `${name} ${fmt(median(ts))}`).join(', ');
        console.log(`- ${r.nodes} x ${r.luns}, ${p.rules}, ${group}: ${list}`);
      }
    }
  }
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  console.log('\nPrometheus CPU (CPU seconds per second; the machine has 2) and load average:\n');
  for (const r of results) {
    console.log(`- ${r.nodes} x ${r.luns}: first scrape of every target ${Math.round(r.firstScrapeS)} s; ingestion alone ${r.ingestCpuShare.toFixed(2)} (load ${load(r.ingestLoad)})`);
    for (const p of r.phases) console.log(`  - ${p.rules}: ${p.cpuShare.toFixed(2)} over the measured cycles (load ${load(p.load)} at the end)`);
  }
  console.log(`\nwall time: ${results.map((r) => `${r.nodes} x ${r.luns} ${Math.round(r.wallS)} s`).join(', ')}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
