// npm run bench: scrape latency, CPU per scrape, peak RSS and exposition size of the real exporter
// (the bundled dist/multipath-exporter.mjs, as packaged) against a fake multipathd serving generated
// 0.9.4-format replies on its socket. Targets (1000 maps x 4 paths, 2 cores): p50 <= 50 ms,
// RSS <= 120 MB, 5000 maps <= 6x the 1000-map time. Results go to docs/benchmarks.md by hand.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { generatedMaps, mapsReply, statusReply } from '../src/sim/maps-reply.js';
import { startFakeMultipathd } from '../src/sim/fake-multipathd.js';
import { freePort } from '../src/sim/processes.js';

const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000,5000').split(',').map(Number);
const PATHS = 4;
const CLOCK_TICK_MS = 10; // USER_HZ 100 on Linux

async function procStat(pid: number) {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  // Fields after "(comm) ": state is [0], utime [11], stime [12].
  return { cpuMs: (Number(stat[11]) + Number(stat[12])) * CLOCK_TICK_MS, peakRssMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}


const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const MODES = ['steady', 'one-changes', 'all-change'] as const;
type Mode = (typeof MODES)[number];

async function benchSize(maps: number, mode: Mode, bundle: string, dir: string) {
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
  const socket = `@mpe-bench-${process.pid}-${maps}-${mode}`;
  const status = statusReply(simMaps);
  const fake = await startFakeMultipathd({ socket, respond: (c) => (c === 'show daemon' ? 'pid 1 idle\n' : c === 'show status' ? status : reply()) });
  const port = await freePort();
  const config = join(dir, `bench-${maps}.yml`);
  await writeFile(config, `node: bench\nperPathMetrics: ${process.env.BENCH_PER_PATH !== "0"}\nlisten: "127.0.0.1:${port}"\nmultipathd: { transport: socket, socket: "${socket}", timeout: 60s }\n`);
  const child = execa('node', [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), bundle, 'serve', '--config', config], { reject: false, stdout: 'ignore', stderr: 'pipe' });
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const scrape = async () => {
      const started = performance.now();
      const body = await (await fetch(url)).arrayBuffer();
      return { ms: performance.now() - started, bytes: body.byteLength };
    };
    for (let i = 0; i < 3; i++) await scrape(); // warm-up: JIT, first sysfs reads
    const rounds = maps >= 5000 ? 10 : maps >= 1000 ? 30 : 100;
    const before = await procStat(child.pid!);
    const latencies: number[] = [];
    let bytes = 0;
    for (let i = 0; i < rounds; i++) {
      const r = await scrape();
      latencies.push(r.ms);
      bytes = r.bytes;
    }
    const after = await procStat(child.pid!);
    latencies.sort((a, b) => a - b);
    return {
      mode,
      maps,
      paths: maps * PATHS,
      rounds,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      cpuPerScrapeMs: (after.cpuMs - before.cpuMs) / rounds,
      peakRssMb: after.peakRssMb,
      exposition: bytes,
    };
  } finally {
    child.kill('SIGTERM');
    await child;
    await fake.close();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'mpe-bench-'));
try {
  await execa('node', ['scripts/build.mjs'], { stdio: 'inherit' });
  const bundle = join(process.cwd(), 'dist/multipath-exporter.mjs');
  const results: Awaited<ReturnType<typeof benchSize>>[] = [];
  for (const size of SIZES) {
    for (const mode of MODES) {
      results.push(await benchSize(size, mode, bundle, dir));
      console.error(`${size} maps (${mode}) done`);
    }
  }
  const { loadavg, cpus } = await import('node:os');
  console.log(`\nnode ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log('| replies | maps | paths | scrapes | p50 ms | p99 ms | CPU ms/scrape | peak RSS MB | exposition |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.mode} | ${r.maps} | ${r.paths} | ${r.rounds} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpuPerScrapeMs.toFixed(1)} | ${r.peakRssMb.toFixed(0)} | ${(r.exposition / 1024 / 1024).toFixed(2)} MiB |`);
  }
  for (const mode of MODES) {
    const at = (n: number) => results.find((r) => r.maps === n && r.mode === mode);
    const [k1, k5] = [at(1000), at(5000)];
    if (k1 && k5) console.log(`${mode}: 5000/1000 p50 ratio ${(k5.p50 / k1.p50).toFixed(2)} (target <= 6)`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
