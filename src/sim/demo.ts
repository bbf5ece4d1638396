// `npm run demo` (scripts/demo.sh): the simulated cluster of a scenario (default
// scenarios/default.yml) with a real Prometheus and Alertmanager, printing, refreshing, the LUN x
// node matrix as Prometheus computes it (coloured, with the roll-up column and the alerts
// Alertmanager holds) and the URLs to open. The scenario runs on the wall clock and starts over
// after its last phase. Ctrl-C stops everything. `--once` waits for the first phase's matrix,
// prints it once and exits 0 (1 when it does not settle in time). docs/demo.md.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type SimCluster, startCluster } from './cluster.js';
import { sleep } from './processes.js';
import { type AmAlert, alertmanagerAlerts, DEFAULT_SHORTEN, type MatrixReading, type Monitoring, readMatrix, startMonitoring } from './prometheus.js';
import { CODE_NAME, expectedMatrix, parseScenario, phaseAt, type Scenario, scenarioLength } from './scenario.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const USAGE = `Usage: npm run demo -- [--scenario FILE] [--once]

Starts a simulated multipath cluster (one real exporter per node on a fake multipathd), a real
Prometheus with our rules and a real Alertmanager with our routes, all on 127.0.0.1, and shows the
cluster health matrix as Prometheus computes it. Ctrl-C stops everything.

  --scenario FILE   scenario file (default scenarios/default.yml; format: docs/demo.md)
  --once            print one settled matrix and exit
`;

const COLOUR: Record<string, string> = { unknown: '90', optimal: '32', degraded: '33', missing: '35', failed: '1;31' };

export interface Frame {
  scenario: Scenario;
  matrix: MatrixReading;
  alerts: AmAlert[];
  phase?: { index: number; secondsLeft: number };
  urls: { prometheus: string; alertmanager: string; nodes: { name: string; url: string }[] };
  colour: boolean;
}

// eslint-disable-next-line no-control-regex
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - visible(s)));

/** One screen of the demo (pure). */
export function renderFrame(f: Frame): string {
  const paint = (text: string, state: string) => (f.colour && COLOUR[state] ? `\x1b[${COLOUR[state]}m${text}\x1b[0m` : text);
  const cell = (code: number | undefined) => (code === undefined ? (f.colour ? '\x1b[90m·\x1b[0m' : '·') : paint(CODE_NAME[code] ?? `?${code}`, CODE_NAME[code] ?? ''));
  const lines: string[] = [];
  const title = `multipath-exporter demo: scenario "${f.scenario.name}"`;
  lines.push(f.colour ? `\x1b[1m${title}\x1b[0m` : title);
  if (f.phase) {
    const p = f.scenario.phases[f.phase.index]!;
    lines.push(`phase ${f.phase.index + 1}/${f.scenario.phases.length} ${p.name} (${f.phase.secondsLeft}s left)${p.description ? `: ${p.description}` : ''}`);
  }
  lines.push('');
  const header = ['LUN', 'WWID', ...f.scenario.nodes, '│ cluster'];
  const wwids = [...new Set([...f.scenario.luns.map((l) => l.wwid), ...Object.keys(f.matrix.cells)])];
  const rows = wwids.map((wwid) => {
    const alias = f.matrix.aliases[wwid] ?? f.scenario.luns.find((l) => l.wwid === wwid)?.alias ?? '';
    const short = wwid.length > 14 ? `${wwid.slice(0, 6)}…${wwid.slice(-6)}` : wwid;
    return [alias, short, ...f.scenario.nodes.map((n) => cell(f.matrix.cells[wwid]?.[n])), `│ ${cell(f.matrix.rollup[wwid])}`];
  });
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i]!))));
  const line = (cols: string[]) => cols.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd();
  lines.push(line(header), ...rows.map(line));
  lines.push('', `cells: ${['optimal', 'degraded', 'missing', 'failed', 'unknown'].map((s) => paint(s, s)).join(' ')}; · no cell (LUN not expected there)`);
  lines.push('', 'Alerts (Alertmanager):');
  const alerts = [...f.alerts].sort((a, b) => (a.labels.alertname ?? '').localeCompare(b.labels.alertname ?? '') || (a.labels.node ?? '').localeCompare(b.labels.node ?? ''));
  if (!alerts.length) lines.push('  none');
  for (const a of alerts) {
    const severity = a.labels.severity ?? '';
    const w = a.labels.wwid;
    const lun = w ? ` ${a.labels.alias || f.matrix.aliases[w] || f.scenario.luns.find((l) => l.wwid === w)?.alias || w}` : '';
    const inhibited = a.status.state === 'suppressed' ? ' (inhibited)' : '';
    lines.push(`  ${paint(pad(severity, 8), severity === 'critical' ? 'failed' : 'degraded')} ${a.labels.alertname ?? ''} ${a.labels.node ?? ''}${lun}${inhibited}`);
  }
  lines.push('', `Prometheus:   ${f.urls.prometheus}/graph?g0.expr=${encodeURIComponent('node_wwid:multipath_state:code')}&g0.tab=1`);
  lines.push(`Alertmanager: ${f.urls.alertmanager}`);
  for (const n of f.urls.nodes) lines.push(`${pad(`${n.name}:`, 13)} ${n.url}/`);
  return `${lines.join('\n')}\n`;
}

const sameMatrix = (m: MatrixReading, want: ReturnType<typeof expectedMatrix>) =>
  JSON.stringify(sortKeys(m.cells)) === JSON.stringify(sortKeys(want.cells)) && JSON.stringify(sortKeys(m.rollup)) === JSON.stringify(sortKeys(want.rollup));
function sortKeys(o: unknown): unknown {
  if (!o || typeof o !== 'object') return o;
  return Object.fromEntries(
    Object.entries(o)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, sortKeys(v)]),
  );
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { scenario: { type: 'string' }, once: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n\n${USAGE}`);
    return 64;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const scenarioFile = path.resolve(args.scenario ?? path.join(ROOT, 'scenarios/default.yml'));
  const scenario = parseScenario(await readFile(scenarioFile, 'utf8'), scenarioFile);
  const colour = !process.env.NO_COLOR && (process.stdout.isTTY || !args.once);
  const dir = await mkdtemp(path.join(tmpdir(), 'multipath-demo-'));
  let cluster: SimCluster | undefined;
  let mon: Monitoring | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await mon?.stop().catch(() => undefined);
      await cluster?.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    })());
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    process.stderr.write('\ndemo: stopping...\n');
    void stop().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    process.stderr.write(`demo: starting ${scenario.nodes.length} exporters, Prometheus and Alertmanager on 127.0.0.1...\n`);
    cluster = await startCluster({ scenario, root: ROOT, dir: path.join(dir, 'cluster') });
    if (interrupted) return 0;
    mon = await startMonitoring({
      root: ROOT,
      dir: path.join(dir, 'monitoring'),
      cluster: scenario.name,
      shorten: DEFAULT_SHORTEN,
      targets: cluster.nodes.map((n) => ({ node: n.name, address: `127.0.0.1:${n.port}` })),
    });
    const urls = { prometheus: mon.prometheusUrl, alertmanager: mon.alertmanagerUrl, nodes: cluster.nodes.map((n) => ({ name: n.name, url: n.url })) };
    const m = mon;
    const c = cluster;

    if (args.once) {
      const want = expectedMatrix(scenario, 0);
      const deadline = Date.now() + 90_000;
      let matrix = await readMatrix(m.prometheusUrl);
      while (!sameMatrix(matrix, want) && Date.now() < deadline) {
        await sleep(500);
        matrix = await readMatrix(m.prometheusUrl);
      }
      const settled = sameMatrix(matrix, want);
      process.stdout.write(renderFrame({ scenario, matrix, alerts: await alertmanagerAlerts(m.alertmanagerUrl), urls, colour }));
      if (!settled) process.stderr.write(`demo: the matrix did not settle to the first phase's within 90 s\n`);
      return settled ? 0 : 1;
    }

    const t0 = Date.now();
    let phase = 0;
    const total = scenarioLength(scenario);
    for (;;) {
      if (interrupted) return 0;
      const t = Date.now() - t0;
      const now = phaseAt(scenario, t, { loop: true });
      if (now !== phase) {
        phase = now;
        await c.setPhase(phase);
      }
      const ends = scenario.phases.slice(0, phase + 1).reduce((s, p) => s + p.duration, 0);
      const [matrix, alerts] = await Promise.all([readMatrix(m.prometheusUrl).catch(() => ({ cells: {}, rollup: {}, aliases: {} })), alertmanagerAlerts(m.alertmanagerUrl).catch(() => [])]);
      const frame = renderFrame({ scenario, matrix, alerts, urls, colour, phase: { index: phase, secondsLeft: Math.max(0, Math.ceil((ends - (t % total)) / 1000)) } });
      process.stdout.write(process.stdout.isTTY ? `\x1b[H\x1b[2J${frame}\nCtrl-C stops everything.\n` : `${frame}\n`);
      await sleep(1000);
    }
  } finally {
    // also after Ctrl-C: stop() is shared with the signal handler, exit only once it is done
    await stop();
  }
}

const invokedDirectly = process.argv[1] !== undefined && /demo\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
