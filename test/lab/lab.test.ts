// The lab (issue 7): three real dm-multipath nodes in qemu running the real exporter, real
// Prometheus and Alertmanager with the shipped rules, real faults. lab/scenario.ts asserts every
// step against the real system and throws with the last observed state when one does not hold.
// Needs qemu, a kernel, busybox-static, udev, multipath-tools, prometheus and alertmanager:
// scripts/install-deps.sh installs them (no skip when one is missing: the lab fails instead).
import { describe, expect, it } from 'vitest';
import { runLab } from '../../lab/scenario.js';

describe('lab: three real dm-multipath nodes in qemu', () => {
  it('runs the issue 7 scenario end to end', { timeout: 15 * 60_000 }, async () => {
    const lines: string[] = [];
    const report = await runLab({ log: (line) => (lines.push(line), process.env.LAB_VERBOSE === '1' && console.log(line)) }).catch((err: Error) => {
      // The whole log (steps, matrices, guest consoles) in the failure message.
      throw new Error(`${err.message}\n--- lab log ---\n${lines.join('\n')}`);
    });
    expect(report.steps.map((s) => s.name.split(' ')[0])).toEqual(['boot:', '1.', '2.', '3.', '4.', '5a.', '6.', '5b.']);
    // The budget (10 minutes on the 2-core machine) is measured and recorded in docs/lab.md, not
    // asserted: the machine is shared, and a slow run is not a wrong one.
    console.log(`lab: boot ${report.bootSeconds.toFixed(0)} s, total ${report.totalSeconds.toFixed(0)} s`);
  });
});
