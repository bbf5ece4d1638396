// Sums vitest's JSON reports (one per phase) into the closing line "tests: N passed, N failed".
// Usage: node scripts/test-summary.mjs <folder of reports> <0 when every phase exited 0>
import { readdirSync, readFileSync } from 'node:fs';

const [dir, phaseStatus] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let todo = 0;
let files = 0;
for (const name of readdirSync(dir)) {
  const report = JSON.parse(readFileSync(`${dir}/${name}`, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests;
  todo += report.numTodoTests;
  // A file that failed without a failed test did not load (syntax error, failing hook): count it.
  failed += report.testResults.filter((f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed')).length;
  files += report.testResults.length;
}
if (files === 0 || passed === 0) {
  console.log('tests: 0 passed, 1 failed (no test ran)');
  process.exit(1);
}
// A phase that crashed before reporting still fails the run: never print "0 failed" then.
if (phaseStatus !== '0' && failed === 0) failed = 1;
// Skipped and todo tests count as failures: a test the suite cannot run is not a passed one.
failed += skipped + todo;
const notRun = skipped + todo ? ` (${skipped} skipped, ${todo} todo)` : '';
console.log(`tests: ${passed} passed, ${failed} failed${notRun}`);
process.exit(failed ? 1 : 0);
