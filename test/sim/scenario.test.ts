// The scenario file schema and its pure state / expectation functions (src/sim/scenario.ts).
import { REPO } from '../support/repo.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/common/core/config.js';
import { mapsReply } from '../../src/sim/maps-reply.js';
import { parseMapsReply } from '../../src/scrape/core/parse-multipathd.js';
import {
  applyEvent,
  expectedAlerts,
  expectedMatrix,
  exporterConfig,
  initialState,
  nodeMaps,
  parseScenario,
  phaseAt,
  stateAt,
  stateAfterPhase,
} from '../../src/sim/scenario.js';


const W1 = '3600a098038314c6f6b5d4f2d41434b31';
const W2 = '36001405e3f1c2a4b5d6e7f8091a2b3c4';
const W3 = '36001405aabbccddeeff00112233445566';

const small = parseScenario(`
nodes: [a, b, c]
luns:
  - { wwid: ${W1}, alias: one, paths: 2 }
  - { wwid: ${W3}, alias: two, nodes: [a, b], paths: 2 }
phases:
  - { name: start, duration: 10s }
  - name: hurt
    duration: 5s
    events: [{ do: pathFail, node: b, lun: one, path: 1 }, { do: exporterStop, node: c }]
  - name: heal
    events: [{ do: recover }]
`);

describe('scenario file', () => {
  it('parses the default scenario', () => {
    const s = parseScenario(readFileSync(path.join(REPO, 'scenarios/default.yml'), 'utf8'));
    expect(s.nodes).toHaveLength(4);
    expect(s.luns.map((l) => l.alias)).toEqual(['vmstore', 'backup', 'scratch']);
    expect(s.phases.map((p) => p.name)).toEqual(['optimal', 'path-fails', 'lun-lost', 'exporter-stopped', 'daemon-down', 'lun-failed', 'recovery']);
    expect(s.phases[0]!.duration).toBe(20_000);
  });

  it('defaults phase durations and LUN paths', () => {
    expect(small.phases[2]!.duration).toBe(20_000);
    expect(parseScenario(`nodes: [a]\nluns: [{ wwid: ${W1}, alias: x }]\nphases: [{ name: p }]`).luns[0]!.paths).toBe(2);
  });

  it.each([
    ['an unknown node in an event', `nodes: [a]\nluns: [{ wwid: ${W1}, alias: x }]\nphases: [{ name: p, events: [{ do: exporterStop, node: zz }] }]`, /unknown node zz/],
    ['an unknown LUN', `nodes: [a]\nluns: [{ wwid: ${W1}, alias: x }]\nphases: [{ name: p, events: [{ do: lunLost, node: a, lun: y }] }]`, /unknown LUN y/],
    ['a path the LUN does not have', `nodes: [a]\nluns: [{ wwid: ${W1}, alias: x, paths: 2 }]\nphases: [{ name: p, events: [{ do: pathFail, node: a, lun: x, path: 3 }] }]`, /has 2 path/],
    ['a LUN not presented to the node', `nodes: [a, b]\nluns: [{ wwid: ${W1}, alias: x, nodes: [a] }]\nphases: [{ name: p, events: [{ do: lunLost, node: b, lun: x }] }]`, /not presented to b/],
    ['an unknown event', `nodes: [a]\nluns: [{ wwid: ${W1}, alias: x }]\nphases: [{ name: p, events: [{ do: explode, node: a }] }]`, /events\[0\]\.do/],
    ['a bad duration', `nodes: [a]\nluns: [{ wwid: ${W1}, alias: x }]\nphases: [{ name: p, duration: soon }]`, /duration/],
    ['a duplicate WWID', `nodes: [a]\nluns: [{ wwid: ${W1}, alias: x }, { wwid: ${W1}, alias: y }]\nphases: [{ name: p }]`, /also used by/],
    ['no phases', `nodes: [a]\nluns: [{ wwid: ${W1}, alias: x }]\nphases: []`, /phases/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parseScenario(text)).toThrow(message);
  });

  const problems = (text: string): string[] => {
    try {
      parseScenario(text, 'scenarios/bad.yml');
    } catch (err) {
      return (err as Error).message.split('\n');
    }
    throw new Error('the bad scenario was accepted');
  };
  const lines = (...l: string[]) => l.join('\n');

  it('names the file, the line and the YAML path of every problem', () => {
    expect(
      problems(lines('nodes: [a]', 'luns:', `  - { wwid: ${W1}, alias: x }`, 'phases:', '  - { name: p }', '  - name: q', '    duration: soon', 'color: red')),
    ).toEqual([
      'invalid scenario scenarios/bad.yml:',
      '  scenarios/bad.yml: line 7: phases[1].duration: must be a positive duration such as 500ms, 5s or 2m, got "soon"',
      '  scenarios/bad.yml: line 8: unknown key(s) "color"; allowed: description, luns, name, nodes, phases',
    ]);
    // Cross-field rules (the schema's refinement) point into the file too.
    expect(
      problems(lines('nodes: [a, b]', 'luns:', `  - { wwid: ${W1}, alias: x }`, 'phases:', '  - name: p', '    events:', '      - { do: exporterStop, node: a }', '      - { do: daemonStop, node: zz }')),
    ).toEqual(['invalid scenario scenarios/bad.yml:', '  scenarios/bad.yml: line 8: phases[0].events[1].node: unknown node zz']);
    expect(problems('nodes: [a\n')[1]).toMatch(/^ {2}scenarios\/bad\.yml: .*YAML syntax: /);
  });

  it('takes node names and aliases by the exporter config rules (an alias of up to 64 characters)', () => {
    const withAlias = (alias: string) => `nodes: [a]\nluns: [{ wwid: ${W1}, alias: ${alias} }]\nphases: [{ name: p }]`;
    expect(parseScenario(withAlias('a'.repeat(64))).luns[0]!.alias).toHaveLength(64);
    expect(() => parseScenario(withAlias('a'.repeat(65)))).toThrow(/luns\[0\]\.alias: .*at most 64/);
    expect(Config.parse({ cluster: { luns: [{ wwid: W1, alias: 'a'.repeat(64) }] } }).cluster.luns[0]!.alias).toHaveLength(64);
    expect(() => parseScenario(`nodes: [${'n'.repeat(64)}]\nluns: [{ wwid: ${W1}, alias: x }]\nphases: [{ name: p }]`)).toThrow(/nodes\[0\]: must be a host name/);
  });
});

describe('state over time', () => {
  it('starts with every LUN on its nodes, every path active', () => {
    const s = initialState(small);
    expect(Object.keys(s.nodes.a!.maps)).toEqual([W1, W3]);
    expect(Object.keys(s.nodes.c!.maps)).toEqual([W1]);
    expect(s.nodes.b!.maps[W1]!.pathsUp).toEqual([true, true]);
  });

  it('applies events without changing the state it was given', () => {
    const s0 = initialState(small);
    const s1 = applyEvent(small, s0, { do: 'pathFail', node: 'b', lun: 'one', path: 'all' });
    expect(s1.nodes.b!.maps[W1]).toEqual({ pathsUp: [false, false], pathFaults: 2 });
    expect(s0.nodes.b!.maps[W1]!.pathsUp).toEqual([true, true]);
    const s2 = applyEvent(small, s1, { do: 'lunLost', node: 'a', lun: W3 });
    expect(s2.nodes.a!.maps[W3]).toBeUndefined();
    expect(applyEvent(small, s2, { do: 'recover', node: 'b' }).nodes.b!.maps[W1]).toEqual({ pathsUp: [true, true], pathFaults: 2 });
  });

  it('finds the phase and state at a time, looping when asked', () => {
    expect([0, 9_999, 10_000, 14_999, 15_000, 99_000].map((t) => phaseAt(small, t))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(phaseAt(small, 35_000 + 10_500, { loop: true })).toBe(1);
    expect(stateAt(small, 12_000).nodes.c!.exporter).toBe(false);
    expect(stateAt(small, 16_000)).toEqual(stateAfterPhase(small, 2));
  });

  it('builds multipathd replies the exporter parses into the state', () => {
    const state = stateAfterPhase(small, 1);
    const parsed = parseMapsReply(mapsReply(nodeMaps(small, state, 'b')));
    if (!parsed.ok) throw new Error(parsed.message);
    const one = parsed.value.maps.find((m) => m.wwid === W1)!;
    expect(one).toMatchObject({ name: 'one', pathsTotal: 2, pathsActive: 1, health: 'degraded' });
    expect(one.counters.pathFaults).toBe(1);
    expect(parsed.value.maps.find((m) => m.wwid === W3)).toMatchObject({ pathsActive: 2, health: 'optimal' });
  });

  it('writes an exporter config the exporter accepts, with the same cluster section everywhere', () => {
    const configs = small.nodes.map((n) => Config.parse(exporterConfig(small, n, { socket: `@sim-${n}`, listen: '127.0.0.1:1', sysfsRoot: '/tmp/x' })));
    expect(configs.map((c) => c.node)).toEqual(['a', 'b', 'c']);
    expect(new Set(configs.map((c) => JSON.stringify(c.cluster))).size).toBe(1);
    expect(configs[0]!.cluster.luns[1]).toMatchObject({ wwid: W3, alias: 'two', nodes: ['a', 'b'], paths: 2 });
  });
});

describe('expected matrix (docs/rules.md)', () => {
  const s = parseScenario(`
nodes: [a, b, c]
luns:
  - { wwid: ${W1}, alias: one, paths: 2 }
  - { wwid: ${W2}, alias: two, paths: 2 }
  - { wwid: ${W3}, alias: three, nodes: [a, b], paths: 2 }
phases:
  - { name: ok }
  - { name: degraded, events: [{ do: pathFail, node: b, lun: one, path: 1 }] }
  - { name: missing, events: [{ do: lunLost, node: c, lun: two }] }
  - { name: down, events: [{ do: exporterStop, node: c }] }
  - { name: daemon, events: [{ do: daemonStop, node: a }] }
  - { name: failed, events: [{ do: pathFail, node: b, lun: three, path: all }] }
  - { name: back, events: [{ do: recover }] }
`);

  it('optimal everywhere; a LUN zoned to some nodes has no cell elsewhere', () => {
    expect(expectedMatrix(s, 0)).toEqual({
      cells: { [W1]: { a: 0, b: 0, c: 0 }, [W2]: { a: 0, b: 0, c: 0 }, [W3]: { a: 0, b: 0 } },
      rollup: { [W1]: 0, [W2]: 0, [W3]: 0 },
    });
  });
  it('degraded on one node rolls up to degraded', () => {
    expect(expectedMatrix(s, 1).cells[W1]).toEqual({ a: 0, b: 1, c: 0 });
    expect(expectedMatrix(s, 1).rollup[W1]).toBe(1);
  });
  it('missing on an expected node', () => {
    expect(expectedMatrix(s, 2).cells[W2]).toEqual({ a: 0, b: 0, c: 2 });
    expect(expectedMatrix(s, 2).rollup[W2]).toBe(2);
  });
  it('unknown for a stopped exporter, never driving the roll-up', () => {
    const m = expectedMatrix(s, 3);
    expect(m.cells[W1]).toEqual({ a: 0, b: 1, c: -1 });
    expect(m.cells[W2]).toEqual({ a: 0, b: 0, c: -1 });
    expect(m.rollup[W2]).toBe(0);
  });
  it('multipathd down: missing for every LUN the node is expected to carry', () => {
    expect(expectedMatrix(s, 4).cells).toEqual({ [W1]: { a: 2, b: 1, c: -1 }, [W2]: { a: 2, b: 0, c: -1 }, [W3]: { a: 2, b: 0 } });
  });
  it('failed is the worst', () => {
    expect(expectedMatrix(s, 5).rollup[W3]).toBe(3);
  });
  it('recovery: optimal everywhere again', () => {
    expect(expectedMatrix(s, 6)).toEqual(expectedMatrix(s, 0));
  });
  it('a node never scraped has no cell; roll-up -1 when no node is known', () => {
    const t = parseScenario(`nodes: [a]\nluns: [{ wwid: ${W1}, alias: x }]\nphases: [{ name: p, events: [{ do: exporterStop, node: a }] }, { name: q, events: [{ do: exporterStart, node: a }] }, { name: r, events: [{ do: exporterStop, node: a }] }]`);
    expect(expectedMatrix(t, 0)).toEqual({ cells: {}, rollup: {} });
    expect(expectedMatrix(t, 2)).toEqual({ cells: { [W1]: { a: -1 } }, rollup: { [W1]: -1 } });
  });

  it('alerts: expected ones fire, LUN alerts of a node whose daemon is down are inhibited', () => {
    const names = (i: number) => {
      const { firing, inhibited } = expectedAlerts(s, i);
      return { firing: firing.map((a) => `${a.alertname}/${a.node}/${a.wwid ?? ''}`).sort(), inhibited: inhibited.map((a) => `${a.alertname}/${a.node}/${a.wwid ?? ''}`).sort() };
    };
    expect(names(0)).toEqual({ firing: [], inhibited: [] });
    expect(names(1).firing).toEqual([`MultipathLunDegraded/b/${W1}`]);
    expect(names(3).firing).toEqual([`MultipathExporterDown/c/`, `MultipathLunDegraded/b/${W1}`].sort());
    expect(names(4)).toEqual({
      firing: [`MultipathDaemonDown/a/`, `MultipathExporterDown/c/`, `MultipathLunDegraded/b/${W1}`].sort(),
      inhibited: [`MultipathLunMissing/a/${W1}`, `MultipathLunMissing/a/${W2}`, `MultipathLunMissing/a/${W3}`].sort(),
    });
    expect(names(5).firing).toContain(`MultipathLunFailed/b/${W3}`);
    // the simulated maps queue forever: a failed one also hangs its I/O
    expect(names(5).firing).toContain(`MultipathLunQueueingForever/b/${W3}`);
    expect(names(5).firing.filter((a) => a.startsWith('MultipathLunQueueingForever'))).toHaveLength(1);
    expect(names(6)).toEqual({ firing: [], inhibited: [] });
  });
});
