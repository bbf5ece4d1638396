// The lab's second target: real Debian 12 and Debian 13 nodes in qemu with systemd as PID 1, the
// project's .deb installed with apt and exercised as an admin would (lab/debian-node.ts asserts
// every step against the running system and throws naming the step and what it last saw).
// Needs qemu, debootstrap and the Debian mirror this machine's apt uses for a cold image build;
// a warm run only reads one InRelease (docs/lab.md). No skip when something is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DebianLab, RELEASE_INFO, RELEASES, runDebianSteps } from '../../lab/debian-node.js';

const lines: string[] = [];
const log = (line: string) => (lines.push(line), process.env.LAB_VERBOSE === '1' && console.log(line));
const lab = new DebianLab({ log });

describe('lab: Debian 12 and 13 nodes, the package under systemd', () => {
  beforeAll(async () => {
    await lab.start().catch((err: Error) => {
      throw new Error(`${err.message}\n--- lab log ---\n${lines.join('\n')}`);
    });
  }, 30 * 60_000);
  afterAll(async () => {
    await lab.stop();
  }, 60_000);

  // Both nodes at once: each release's steps run in order on its own VM.
  for (const release of RELEASES) {
    it.concurrent(`${RELEASE_INFO[release].title}: install, monitor-only, reload, path failure, restart, kill -9, apply mode, upgrade, purge`, { timeout: 20 * 60_000 }, async () => {
      const bench = process.env.LAB_DEBIAN_BENCH === '1';
      const report = await runDebianSteps(lab.node(release), { log, bench });
      expect(report.steps).toHaveLength(bench ? 11 : 10);
      if (bench) console.log(`lab ${release} bench: ${JSON.stringify(report.bench)}`);
      // Timings are recorded in docs/lab.md, not asserted: the machine is shared.
      console.log(`lab ${release}: boot ${((lab.timings[`boot-${release}`] ?? 0) / 1000).toFixed(0)} s, steps ${report.totalSeconds.toFixed(0)} s; ${report.steps.map((s) => `${s.name.split(':')[0]} ${s.seconds.toFixed(0)} s${s.note ? ` (${s.note})` : ''}`).join('; ')}`);
    });
  }
});
