// `npm run lab`: the lab scenario, interactively, printing the matrix after each step.
// `npm run lab -- --capture` also saves the real multipathd replies into fixtures/real/ (missing
// files only; `--recapture` overwrites them).
import { join } from 'node:path';
import { ROOT } from './cluster.js';
import { runLab } from './scenario.js';

// Ctrl-C or a kill: exit through process.exit so the exit hooks kill every qemu, Prometheus and
// Alertmanager this run started and remove its folders.
// (`on`, not `once`: Ctrl-C reaches this process twice, from the terminal and relayed by tsx.)
let exiting = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (exiting) return;
    exiting = true;
    console.error(`\nlab: ${sig}, tearing down`);
    process.exit(130);
  });
}
const recapture = process.argv.includes('--recapture');
const capture = recapture || process.argv.includes('--capture');
const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s]`;
try {
  const report = await runLab({
    log: (line) => console.log(`${stamp()} ${line}`),
    captureDir: capture ? join(ROOT, 'fixtures', 'real') : undefined,
    overwriteCaptures: recapture,
  });
  console.log(`\nlab passed: boot ${report.bootSeconds.toFixed(0)} s, total ${report.totalSeconds.toFixed(0)} s`);
  for (const s of report.steps) console.log(`  ${s.seconds.toFixed(1).padStart(6)} s  ${s.name}`);
} catch (err) {
  console.error(`\nlab FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
