// npm run bench: scrape latency, CPU per scrape, idle and peak RSS and exposition size of the real
// exporter (the bundled dist/multipath-exporter.mjs, as packaged) against a fake multipathd serving
// generated 0.9.4-format replies on its socket, side by side in one run with a bare-Node floor of
// the same work (bench/floor-server.mjs), every exporter figure also given as a ratio to the floor's.
// Targets (docs/benchmarks.md) are ratios to the floor; results go to docs/benchmarks.md by hand.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import { metricHeader } from '../src/scrape/core/exposition.js';
import { METRIC_FAMILIES } from '../src/scrape/core/metric-families.js';
import { generatedMaps, mapsReply, statusReply } from '../src/sim/maps-reply.js';
import { startFakeMultipathd } from '../src/sim/fake-multipathd.js';
import { freePort } from '../src/sim/processes.js';
import { directives, last } from '../test/support/systemd-unit.js';

const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000,5000').split(',').map(Number);
const ENCODINGS = (process.env.BENCH_ENCODINGS ?? 'gzip,identity').split(',') as Encoding[];
const PATHS = 4;
const CLOCK_TICK_MS = 10; // USER_HZ 100 on Linux

type Encoding = 'gzip' | 'identity';
type Target = 'exporter' | 'floor';
const ALL_MODES = ['steady', 'one-changes', 'all-change'] as const;
type Mode = (typeof ALL_MODES)[number];
const MODES = (process.env.BENCH_MODES?.split(',') as Mode[] | undefined) ?? ALL_MODES;

/**
 * BENCH_AS_PACKAGED=1: the exporter runs with the environment of the packaged unit (its
 * `Environment=` line: NODE_OPTIONS and glibc's malloc settings), read from the unit file so the
 * two never differ. The floor stays bare Node.
 */
async function packagedEnvironment(): Promise<Record<string, string>> {
  const unit = await readFile('packaging/systemd/multipath-exporter.service', 'utf8');
  const line = last(directives(unit), 'Environment') ?? '';
  return Object.fromEntries(line.split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}
const EXPORTER_ENV = process.env.BENCH_AS_PACKAGED === '1' ? await packagedEnvironment() : {};

async function procStat(pid: number) {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  // Fields after "(comm) ": state is [0], utime [11], stime [12].
  return { cpuMs: (Number(stat[11]) + Number(stat[12])) * CLOCK_TICK_MS, peakRssMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

/** The exporter's own GC totals in one of its expositions (nodejs_gc_duration_seconds, by kind). */
function gcTotals(text: string): Map<string, { seconds: number; count: number }> {
  const out = new Map<string, { seconds: number; count: number }>();
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} (\S+)$/gm)) {
    const t = out.get(m[2]!) ?? { seconds: 0, count: 0 };
    if (m[1] === 'sum') t.seconds = Number(m[3]);
    else t.count = Number(m[3]);
    out.set(m[2]!, t);
  }
  return out;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** The series of an exposition without their values (the floor must export the exporter's set). */
const seriesSet = (text: string) =>
  new Set(text.split('\n').filter((l) => l && !l.startsWith('#') && !/^(process|nodejs)_|^multipath_exporter_info/.test(l)).map((l) => l.slice(0, l.lastIndexOf(' '))));

interface Run {
  target: Target;
  mode: Mode;
  maps: number;
  encoding: Encoding;
  rounds: number;
  p50: number;
  p99: number;
  cpuPerScrapeMs: number;
  idleRssMb: number;
  peakRssMb: number;
  /** Bytes on the wire (compressed when gzip) and decoded. */
  wire: number;
  exposition: number;
  text: string;
  /** The exporter's GC per timed scrape, by kind (from its own histogram; none for the floor). */
  gcPerScrape: Map<string, { ms: number; count: number }>;
}

async function benchRun(target: Target, maps: number, mode: Mode, encoding: Encoding, bundle: string, dir: string): Promise<Run> {
  const simMaps = generatedMaps(maps, PATHS);
  const steadyReply = mapsReply(simMaps);
  let faults = 0;
  // steady: the reply is byte-identical every scrape (a healthy SAN); one-changes: one map's
  // path-fault counter moves every scrape (a flapping path); all-change: every map changes every
  // scrape, so nothing rendered before can be reused (worst case).
  const reply = () => {
    faults++;
    if (mode === 'steady') return steadyReply;
    if (mode === 'one-changes') return mapsReply([{ ...simMaps[0]!, pathFaults: faults }, ...simMaps.slice(1)]);
    return mapsReply(simMaps.map((m) => ({ ...m, pathFaults: faults })));
  };
  const socket = `@mpe-bench-${process.pid}-${target}-${maps}-${mode}-${encoding}`;
  const status = statusReply(simMaps);
  const fake = await startFakeMultipathd({ socket, respond: (c) => (c === 'show daemon' ? 'pid 1 idle\n' : c === 'show status' ? status : reply()) });
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  let args: string[];
  if (target === 'exporter') {
    const config = join(dir, `bench-${maps}.yml`);
    await writeFile(config, `node: bench\nperPathMetrics: ${process.env.BENCH_PER_PATH !== '0'}\nlisten: "127.0.0.1:${port}"\nmultipathd: { transport: socket, socket: "${socket}", timeout: 60s }\n`);
    args = [...nodeArgs, bundle, 'serve', '--config', config];
  } else {
    // BENCH_NODE_ARGS tune the exporter only: the floor stays bare Node, the reference for ratios.
    args = ['bench/floor-server.mjs', String(port), socket, join(dir, 'headers.json')];
  }
  const env = target === 'exporter' ? EXPORTER_ENV : {};
  const child = execa('node', args, { reject: false, stdout: 'ignore', stderr: 'pipe', env });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500)); // settled after start-up
    const idle = await procStat(child.pid!);
    const scrape = async () => {
      const started = performance.now();
      const res = await fetch(`${base}/metrics`, { headers: { 'Accept-Encoding': encoding } });
      const text = await res.text(); // decoded by fetch, as Prometheus decodes
      if (res.status !== 200 || (res.headers.get('content-encoding') ?? 'identity') !== encoding) throw new Error(`${target}: HTTP ${res.status}, ${res.headers.get('content-encoding')}`);
      return { ms: performance.now() - started, wire: Number(res.headers.get('content-length')), text };
    };
    for (let i = 0; i < 3; i++) await scrape(); // warm-up: JIT, first sysfs reads
    const rounds = maps >= 5000 ? 10 : maps >= 1000 ? 30 : 100;
    const before = await procStat(child.pid!);
    const latencies: number[] = [];
    let last = { ms: 0, wire: 0, text: '' };
    let first = last;
    for (let i = 0; i < rounds; i++) {
      last = await scrape();
      if (i === 0) first = last;
      latencies.push(last.ms);
    }
    const gcPerScrape = new Map<string, { ms: number; count: number }>();
    const gcFirst = gcTotals(first.text);
    for (const [kind, t] of gcTotals(last.text)) {
      const f = gcFirst.get(kind) ?? { seconds: 0, count: 0 };
      gcPerScrape.set(kind, { ms: ((t.seconds - f.seconds) * 1000) / (rounds - 1), count: (t.count - f.count) / (rounds - 1) });
    }
    const after = await procStat(child.pid!);
    latencies.sort((a, b) => a - b);
    return {
      target,
      mode,
      maps,
      encoding,
      rounds,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      cpuPerScrapeMs: (after.cpuMs - before.cpuMs) / rounds,
      idleRssMb: idle.rssMb,
      peakRssMb: after.peakRssMb,
      wire: last.wire,
      exposition: Buffer.byteLength(last.text),
      text: last.text,
      gcPerScrape,
    };
  } finally {
    child.kill('SIGTERM');
    await child;
    await fake.close();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'mpe-bench-'));
try {
  // BENCH_BUNDLE: another build of the exporter (e.g. an older commit's, for a before/after).
  const bundle = process.env.BENCH_BUNDLE ?? join(process.cwd(), 'dist/multipath-exporter.mjs');
  if (!process.env.BENCH_BUNDLE) await execa('node', ['scripts/build.mjs'], { stdio: 'inherit' });
  await writeFile(join(dir, 'headers.json'), JSON.stringify(Object.fromEntries(METRIC_FAMILIES.map((f) => [f.name, metricHeader(f)]))));
  const startLoad = loadavg();
  const results: Run[] = [];
  for (const size of SIZES) {
    for (const mode of MODES) {
      for (const encoding of ENCODINGS) {
        // Side by side: the floor right after the exporter, on the same reply, in the same minute.
        const exporter = await benchRun('exporter', size, mode, encoding, bundle, dir);
        const floor = await benchRun('floor', size, mode, encoding, bundle, dir);
        const [mine, its] = [seriesSet(exporter.text), seriesSet(floor.text)];
        const missing = [...mine].filter((s) => !its.has(s));
        const extra = [...its].filter((s) => !mine.has(s));
        if (missing.length || extra.length) throw new Error(`the floor's series differ from the exporter's: missing ${missing.slice(0, 20).join(' ')}; extra ${extra.slice(0, 20).join(' ')}`);
        exporter.text = floor.text = '';
        results.push(exporter, floor);
        console.error(`${size} maps (${mode}, ${encoding}) done`);
      }
    }
  }
  const fmt = (n: number, digits = 1) => n.toFixed(digits);
  const kib = (bytes: number) => (bytes / 1024).toFixed(0);
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');
  if (Object.keys(EXPORTER_ENV).length) console.log(`\nthe exporter as packaged: ${Object.entries(EXPORTER_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  console.log(`\nnode ${process.version}, ${cpus().length} cores, load average ${startLoad.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end\n`);
  console.log('Each cell: exporter / floor (ratio).\n');
  console.log('| replies | maps | encoding | p50 ms | p99 ms | CPU ms/scrape | idle RSS MB | peak RSS MB | on the wire | exposition |');
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (let i = 0; i < results.length; i += 2) {
    const [e, f] = [results[i]!, results[i + 1]!];
    const cell = (a: number, b: number, digits = 1) => `${fmt(a, digits)} / ${fmt(b, digits)} (${ratio(a, b)})`;
    console.log(
      `| ${e.mode} | ${e.maps} | ${e.encoding} | ${cell(e.p50, f.p50)} | ${cell(e.p99, f.p99)} | ${cell(e.cpuPerScrapeMs, f.cpuPerScrapeMs)} | ${cell(e.idleRssMb, f.idleRssMb, 0)} | ${cell(e.peakRssMb, f.peakRssMb, 0)} | ${kib(e.wire)} / ${kib(f.wire)} KiB | ${kib(e.exposition)} / ${kib(f.exposition)} KiB |`,
    );
  }
  console.log('\nThe exporter\'s garbage collection per scrape, from its own nodejs_gc_duration_seconds (ms, and collections, by kind):\n');
  for (const e of results.filter((r) => r.target === 'exporter')) {
    const kinds = [...e.gcPerScrape].map(([kind, g]) => `${kind} ${fmt(g.ms)} ms (${fmt(g.count, 2)})`).join(', ');
    console.log(`- ${e.mode}, ${e.maps}, ${e.encoding}: ${kinds || 'none'}; CPU ${fmt(e.cpuPerScrapeMs)} ms`);
  }
  console.log('');
  for (const mode of MODES) {
    for (const encoding of ENCODINGS) {
      const at = (n: number) => results.find((r) => r.target === 'exporter' && r.maps === n && r.mode === mode && r.encoding === encoding);
      const [k1, k5] = [at(1000), at(5000)];
      if (k1 && k5) console.log(`${mode}, ${encoding}: 5000/1000 p50 ratio ${(k5.p50 / k1.p50).toFixed(2)} (target <= 5.5)`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
