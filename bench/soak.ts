// npm run soak: 200 concurrent scrapers for 30 s against the bundled exporter (`serve`, as
// packaged) over loopback, with a fake multipathd on its socket. Prints requests, latency, the
// multipathd calls per scrape (single-flight) and peak RSS; results go to docs/benchmarks.md by
// hand. Bounded: it stops after SOAK_SECONDS, or SOAK_MAX_REQUESTS, whichever comes first.
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadRun } from './load-run.js';

const scrapers = Number(process.env.SOAK_SCRAPERS ?? 200);
const seconds = Number(process.env.SOAK_SECONDS ?? 30);
const maps = Number(process.env.SOAK_MAPS ?? 100);
const replyDelayMs = Number(process.env.SOAK_REPLY_DELAY_MS ?? 20);
const maxRequests = Number(process.env.SOAK_MAX_REQUESTS ?? 1_000_000);

await execa('node', ['scripts/build.mjs'], { stdio: 'inherit' });
const before = loadavg()[0]!.toFixed(2);
const r = await loadRun({ exporter: ['node', join(process.cwd(), 'dist/multipath-exporter.mjs')], scrapers, seconds, maps, replyDelayMs, maxRequests });
console.log(`\nnode ${process.version}, ${cpus().length} cores, load average ${before} before the run`);
console.log(`${scrapers} scrapers, ${seconds} s, ${maps} maps x 4 paths (${(r.exposition / 1024 / 1024).toFixed(2)} MiB exposition), multipathd answering after ${replyDelayMs} ms\n`);
console.log('| requests | errors | p50 ms | p99 ms | multipathd calls | calls per scrape | most calls at once | peak RSS MB |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
console.log(`| ${r.requests} | ${r.errors} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.multipathdCalls} | ${(r.multipathdCalls / r.requests).toFixed(4)} (1 per ${(r.requests / r.multipathdCalls).toFixed(0)}) | ${r.maxConcurrentCalls} | ${r.peakRssMb.toFixed(0)} |`);
if (r.firstError) console.log(`first error: ${r.firstError}`);
process.exitCode = r.errors > 0 || r.maxConcurrentCalls > 1 ? 1 : 0;
