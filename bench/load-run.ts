// Many concurrent scrapers against a real `serve` process over loopback, for a fixed time: the soak
// (`npm run soak`, docs/benchmarks.md) and its short form in the fast suite. The fake multipathd
// answers `show maps json` after a delay and records how many collections overlapped (single-flight
// means never more than one at a time).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeMultipathd } from '../src/sim/fake-multipathd.js';
import { generatedMaps, mapsReply, statusReply } from '../src/sim/maps-reply.js';
import { freePort, spawnManaged, waitHttpReady } from '../src/sim/processes.js';

export interface LoadRunOptions {
  /** How to start the exporter, e.g. ['node', 'dist/multipath-exporter.mjs']; `serve --config <file>` is appended. */
  exporter: readonly string[];
  scrapers: number;
  seconds: number;
  /** Generated maps (4 paths each) in the fake reply. */
  maps: number;
  /** How long the fake multipathd takes to answer `show maps json`. */
  replyDelayMs: number;
  /** Upper bound on requests, whatever the time (the run is bounded in count as well). */
  maxRequests?: number;
}

export interface LoadRunResult {
  requests: number;
  /** Responses other than 200 with `multipath_up 1`, and requests that failed outright. */
  errors: number;
  firstError?: string;
  p50Ms: number;
  p99Ms: number;
  /** `show maps json` commands the exporter sent. */
  multipathdCalls: number;
  /** The most `show maps json` commands open at the same time (1 = single-flight held). */
  maxConcurrentCalls: number;
  peakRssMb: number;
  exposition: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

export async function loadRun(opts: LoadRunOptions): Promise<LoadRunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'mpe-load-'));
  const maps = generatedMaps(opts.maps, 4);
  const reply = mapsReply(maps);
  const status = statusReply(maps);
  let open = 0;
  let maxConcurrentCalls = 0;
  let multipathdCalls = 0;
  const fake = await startFakeMultipathd({
    socket: `@mpe-load-${process.pid}-${Date.now()}`,
    respond: (command) => {
      if (command === 'show status') return status;
      if (command !== 'show maps json') return 'pid 1 idle\n';
      multipathdCalls++;
      maxConcurrentCalls = Math.max(maxConcurrentCalls, ++open);
      // Created before the fake's own reply timer of the same delay, so it fires first: `open`
      // drops just before the reply leaves.
      setTimeout(() => open--, opts.replyDelayMs);
      return { reply, delayMs: opts.replyDelayMs };
    },
  });
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(config, `node: load\nlisten: "127.0.0.1:${port}"\nmultipathd: { transport: socket, socket: "${fake.socket}", timeout: 10s }\n`);
  const [file, ...args] = opts.exporter;
  const exporter = spawnManaged('exporter', file!, [...args, 'serve', '--config', config]);
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitHttpReady(`${base}/healthz`, { timeoutMs: 30_000, proc: exporter });
    const latencies: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    let exposition = 0;
    const maxRequests = opts.maxRequests ?? 1_000_000;
    const callsBefore = multipathdCalls;
    const stopAt = performance.now() + opts.seconds * 1000;
    const fail = (why: string) => {
      errors++;
      firstError ??= why;
    };
    const scraper = async () => {
      while (performance.now() < stopAt && latencies.length < maxRequests) {
        const started = performance.now();
        try {
          const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(30_000) });
          const body = await res.text();
          latencies.push(performance.now() - started);
          exposition = body.length;
          if (res.status !== 200) fail(`HTTP ${res.status}`);
          else if (!body.includes('\nmultipath_up 1\n')) fail('multipath_up is not 1');
        } catch (err) {
          latencies.push(performance.now() - started);
          fail((err as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: opts.scrapers }, scraper));
    const status = await readFile(`/proc/${exporter.pid}/status`, 'utf8');
    latencies.sort((a, b) => a - b);
    return {
      requests: latencies.length,
      errors,
      firstError,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      multipathdCalls: multipathdCalls - callsBefore,
      maxConcurrentCalls,
      peakRssMb: Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024,
      exposition,
    };
  } finally {
    await exporter.stop();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}
