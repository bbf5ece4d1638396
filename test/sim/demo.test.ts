// The README's demo command: `scripts/demo.sh --once` starts the simulated cluster, Prometheus and
// Alertmanager, prints the settled matrix of the default scenario's first phase and exits 0 with
// nothing left running; plus the pure frame renderer.
import { REPO } from '../support/repo.js';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { renderFrame } from '../../src/sim/demo.js';
import { parseScenario } from '../../src/sim/scenario.js';

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

const W1 = '3600a098038314c6f6b5d4f2d41434b31';
const W2 = '36001405aabbccddeeff00112233445566';
const scenario = parseScenario(`
name: t
nodes: [n1, n2]
luns:
  - { wwid: ${W1}, alias: vmstore }
  - { wwid: ${W2}, alias: scratch, nodes: [n1] }
phases: [{ name: one, description: First. }, { name: two }]
`);

describe('renderFrame', () => {
  const frame = (colour: boolean) =>
    renderFrame({
      scenario,
      colour,
      matrix: { cells: { [W1]: { n1: 1, n2: -1 }, [W2]: { n1: 3 } }, rollup: { [W1]: 1, [W2]: 3 }, aliases: { [W1]: 'vmstore' } },
      alerts: [
        { labels: { alertname: 'MultipathLunFailed', node: 'n1', wwid: W2, severity: 'critical' }, status: { state: 'active', inhibitedBy: [], silencedBy: [] } },
        { labels: { alertname: 'MultipathLunDegraded', node: 'n1', wwid: W1, severity: 'warning' }, status: { state: 'suppressed', inhibitedBy: ['x'], silencedBy: [] } },
      ],
      phase: { index: 0, secondsLeft: 7 },
      urls: { prometheus: 'http://127.0.0.1:1', alertmanager: 'http://127.0.0.1:2', nodes: [{ name: 'n1', url: 'http://127.0.0.1:3' }] },
    });

  it('shows each LUN row with its node cells and the roll-up column, alerts and URLs', () => {
    const lines = frame(false).split('\n');
    expect(lines[1]).toBe('phase 1/2 one (7s left): First.');
    expect(lines.find((l) => l.startsWith('vmstore'))).toMatch(/^vmstore\s+3600a0…434b31\s+degraded\s+unknown\s+│ degraded$/);
    expect(lines.find((l) => l.startsWith('scratch'))).toMatch(/^scratch\s+\S+\s+failed\s+·\s+│ failed$/);
    expect(lines).toContain('  critical MultipathLunFailed n1 scratch');
    expect(lines).toContain('  warning  MultipathLunDegraded n1 vmstore (inhibited)');
    expect(lines).toContain('n1:           http://127.0.0.1:3/');
  });

  it('colours cells by state and keeps the columns aligned', () => {
    const coloured = frame(true);
    expect(coloured).toContain('\x1b[33mdegraded\x1b[0m');
    expect(coloured).toContain('\x1b[1;31mfailed\x1b[0m');
    expect(plain(coloured)).toBe(frame(false));
  });
});

describe('scripts/demo.sh --once', () => {
  it('prints the settled matrix of the default scenario and stops everything', async () => {
    const started = Date.now();
    const res = await execa('bash', ['scripts/demo.sh', '--once'], { cwd: REPO, reject: false, all: true, timeout: 150_000, env: { NO_COLOR: '1' } });
    const out = res.all ?? '';
    expect(res.exitCode, out).toBe(0);
    expect(out).toMatch(/LUN\s+WWID\s+node1\s+node2\s+node3\s+node4\s+│ cluster/);
    expect(out).toMatch(/vmstore\s+\S+\s+optimal\s+optimal\s+optimal\s+optimal\s+│ optimal/);
    expect(out).toMatch(/scratch\s+\S+\s+optimal\s+optimal\s+·\s+·\s+│ optimal/);
    const urls = [...out.matchAll(/http:\/\/127\.0\.0\.1:\d+/g)].map((m) => m[0]);
    expect(urls.length).toBe(6); // Prometheus, Alertmanager, four nodes
    // Everything it started is gone: no URL answers any more.
    for (const url of new Set(urls)) {
      await expect(fetch(url, { signal: AbortSignal.timeout(2000) }), url).rejects.toThrow();
    }
    expect(Date.now() - started).toBeLessThan(150_000);
  }, 180_000);
});
