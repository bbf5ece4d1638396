import { describe, expect, it } from 'vitest';
import {
  classifyNonPayload,
  deriveHealth,
  type MapModel,
  parseDaemonReply,
  parseMapsReply,
  parseQueueing,
  parseStatusReply,
  present,
  transportFromSysfsLink,
} from '../../../src/scrape/core/parse-multipathd.js';
import { readFileSync } from 'node:fs';
import { DROPPED_ENTRIES, SKIP_REASONS, zeroCounts } from '../../../src/scrape/core/states.js';
import { FIXTURES, multipathdFixture } from '../../support/fixtures.js';

const NO_SKIPS = zeroCounts(SKIP_REASONS);
const NO_DROPS = zeroCounts(DROPPED_ENTRIES);

function maps(fixture: string): MapModel[] {
  const result = parseMapsReply(multipathdFixture(fixture));
  if (!result.ok) throw new Error(`${fixture}: ${result.message}`);
  return result.value.maps;
}

describe('parseMapsReply on 0.9.4 replies', () => {
  it.each([
    // fixture, wwid, health, active, total, usable (multipathd "paths"), transport
    ['fc-alua-4paths-2groups.json', '3600a098038314c6f6b5d4f2d41434b31', 'optimal', 4, 4, 4, 'fc'],
    ['iscsi-2paths-one-faulty.json', '36001405a3f9c2e7d1b84c0e9d2f6a7b1', 'degraded', 1, 2, 1, undefined],
    ['rdac-ghost-alias-deferred-failback.json', '3600a0b80005a1b2c0000d8e75f3a1c2d', 'optimal', 4, 4, 4, 'fc'],
    ['edge-undef-unknown-marginal.json', '3600140500000000000000000000edge7', 'degraded', 1, 2, 0, undefined],
  ] as const)('%s: %s is %s with %i/%i active, %i usable', (fixture, wwid, health, active, total, usable, transport) => {
    const map = maps(fixture).find((m) => m.wwid === wwid)!;
    expect(map).toBeDefined();
    expect(map.health).toBe(health);
    expect(map.pathsActive).toBe(active);
    expect(map.pathsTotal).toBe(total);
    expect(map.pathsUsable).toBe(usable);
    expect(map.transport).toBe(transport);
  });

  it('counts paths_total over all path groups, not from the map "paths" field', () => {
    const queueing = maps('no-active-paths-queueing.json');
    for (const map of queueing) {
      expect(map.pathsTotal).toBe(map.pathGroups.reduce((n, g) => n + g.paths.length, 0));
      expect(map.pathsTotal).toBeGreaterThan(map.pathsUsable);
      expect(map.health).toBe('failed');
    }
  });

  it('parses every map of the six-map reply with the map health rule', () => {
    const all = maps('all-six-maps.json');
    expect(all.map((m) => [m.name, m.health])).toEqual([
      ['3600a098038314c6f6b5d4f2d41434b31', 'optimal'],
      ['mpatha', 'degraded'],
      ['mpathb', 'failed'],
      ['mpathc', 'failed'],
      ['mpathd', 'failed'],
      ['oradata01', 'optimal'],
    ]);
  });

  it('keeps the counters, queueing, features, hwhandler and vendor fields', () => {
    const [map] = maps('iscsi-2paths-one-faulty.json');
    expect(map).toMatchObject({
      sysfs: 'dm-4',
      failback: 'immediate',
      queueingText: 'off',
      queueing: { mode: 'off' },
      features: '0',
      hwhandler: '1 alua',
      action: 'create',
      vendor: 'LIO-ORG',
      product: 'vol01',
      revision: '4.0',
      readOnly: false,
      dmState: 'active',
      counters: { pathFaults: 3, pathGroupSwitches: 0, mapLoads: 2, queueingSeconds: 0, recoveryEntries: 0 },
    });
    const faulty = map!.pathGroups[0]!.paths[1]!;
    expect(faulty).toMatchObject({ dev: 'sdk', devT: '8:160', dmState: 'failed', checkerState: 'faulty', checker: 'tur', priority: 50, hostAdapter: '10.10.2.21', lunHex: '0x0000000000000000', marginal: false });
    expect(faulty.targetWwpn).toBeUndefined();
  });

  it('reads what a map does with I/O without a usable path from its queueing field', () => {
    expect(maps('no-active-paths-queueing.json').map((m) => [m.name, m.queueing])).toEqual([
      ['mpathb', { mode: 'queue' }],
      ['mpathc', { mode: 'recovery', secondsLeft: 45 }],
      ['mpathd', { mode: 'off' }],
    ]);
    expect(maps('fc-alua-4paths-2groups.json')[0]!.queueing).toEqual({ mode: 'retry' });
    expect(maps('edge-undef-unknown-marginal.json')[0]!.queueing).toEqual({ mode: 'unset' });
  });

  it.each([
    ['on', { mode: 'queue' }],
    ['off', { mode: 'off' }],
    ['-', { mode: 'unset' }],
    ['12 chk', { mode: 'retry' }],
    ['0 sec', { mode: 'recovery', secondsLeft: 0 }],
    [' 30 sec ', { mode: 'recovery', secondsLeft: 30 }],
    ['30sec', { mode: 'unknown' }],
    ['-5 sec', { mode: 'unknown' }],
    ['', { mode: 'unknown' }],
    [undefined, { mode: 'unknown' }],
  ] as const)('queueing %j is %j', (text, want) => {
    expect(parseQueueing(text)).toEqual(want);
  });

  it('turns placeholders into absent values and keeps priority -1', () => {
    const [edge] = maps('edge-undef-unknown-marginal.json');
    const [unchecked, shaky] = edge!.pathGroups.flatMap((g) => g.paths);
    expect(edge!.sysfs).toBeUndefined();
    expect(edge!.failback).toBeUndefined();
    expect(edge!.queueingText).toBeUndefined();
    expect(unchecked).toMatchObject({ dmState: 'unknown', checkerState: 'unchecked', priority: -1 });
    expect(unchecked!.checker).toBeUndefined();
    expect(unchecked!.hostWwnn).toBeUndefined();
    expect(unchecked!.targetWwpn).toBeUndefined();
    expect(unchecked!.hostAdapter).toBeUndefined();
    expect(shaky).toMatchObject({ checkerState: 'shaky', marginal: true, hostWwnn: '0x20000024ff7f5c10' });
    expect(edge!.pathGroups[1]).toMatchObject({ dmState: 'unknown', marginal: true, priority: 10 });
  });

  it('maps i/o pending and i/o timeout (strings with a space) to pending and timeout', () => {
    const mpathb = maps('all-six-maps.json').find((m) => m.name === 'mpathb')!;
    const states = mpathb.pathGroups.flatMap((g) => g.paths.map((p) => [p.checkerStateRaw, p.checkerState]));
    expect(states).toContainEqual(['i/o pending', 'pending']);
    expect(states).toContainEqual(['i/o timeout', 'timeout']);
  });

  it('clamps an invalid path dm_st "ghost" to unknown and does not count it active', () => {
    const [map] = maps('path-dm-state-ghost.json');
    const paths = map!.pathGroups.flatMap((g) => g.paths);
    expect(paths.map((p) => p.dmState)).toEqual(['active', 'unknown']);
    expect(map!.pathsActive).toBe(1);
    expect(map!.health).toBe('degraded');
  });

  it('ignores unknown fields and maps new state strings to unknown, keeping the raw text', () => {
    const [map] = maps('future-fields-and-states.json');
    const [a, b] = map!.pathGroups.flatMap((g) => g.paths);
    expect(a).toMatchObject({ checkerState: 'unknown', checkerStateRaw: 'brand-new-state' });
    expect(b).toMatchObject({ checkerState: 'disconnected' });
  });

  it('still reads a map whose fields have unexpected types (lenient fallback), never failing the reply', () => {
    const [map] = maps('wrong-field-types.json');
    expect(map!.counters.pathFaults).toBe(3);
    expect(map!.pathGroups[0]!.paths[0]!.priority).toBeUndefined();
    expect(map!.health).toBe('degraded');
  });

  it('skips and counts a map without a WWID', () => {
    const result = parseMapsReply(multipathdFixture('map-without-wwid.json'));
    expect(result).toEqual({ ok: true, value: { maps: [], skipped: { ...NO_SKIPS, no_wwid: 1 }, dropped: NO_DROPS } });
  });

  it('parses a reply with no maps to an empty list', () => {
    expect(parseMapsReply(multipathdFixture('no-maps.json'))).toEqual({ ok: true, value: { maps: [], skipped: NO_SKIPS, dropped: NO_DROPS } });
  });

  it('skips and counts maps whose WWID is not a string ({}, true, 12345), keeping the rest', () => {
    const result = parseMapsReply(multipathdFixture('wwids-of-wrong-type.json'));
    if (!result.ok) throw new Error(result.message);
    expect(result.value.maps.map((m) => m.wwid)).toEqual(['333333330000007d0']);
    expect(result.value.skipped).toEqual({ ...NO_SKIPS, invalid_wwid: 3 });
  });

  it('drops repeats in a reply, the first occurrence winning, and counts what it dropped', () => {
    const result = parseMapsReply(multipathdFixture('repeated-wwid-dev-group-and-nameless-paths.json'));
    if (!result.ok) throw new Error(result.message);
    const { maps: [first, second], skipped, dropped } = result.value;
    expect(result.value.maps).toHaveLength(2);
    expect(skipped).toEqual({ ...NO_SKIPS, duplicate_wwid: 1 });
    expect(first!.counters.pathFaults).toBe(0); // the first map with the WWID, not the later one (5)
    // Map 2: sdc twice in group 1 (one dropped), group 1 again (dropped with sdd), two nameless paths.
    expect(dropped).toEqual({ path_group: 1, path: 1 });
    expect(second!.pathGroups.map((g) => [g.group, g.paths.map((p) => p.devLabel)])).toEqual([
      [1, ['sdc']],
      [2, ['group2-unnamed', 'group2-unnamed-2']],
    ]);
    expect(second).toMatchObject({ pathsTotal: 3, pathsActive: 1, health: 'degraded' });
  });

  it('fails only the map whose name is nested too deep for the stack, not the reply', () => {
    const reply = multipathdFixture('all-six-maps.json').replace('"name" : "mpatha"', `"name" : ${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const result = parseMapsReply(reply);
    if (!result.ok) throw new Error(result.message);
    expect(result.value.maps).toHaveLength(6);
    const mpatha = result.value.maps.find((m) => m.wwid === '36001405a3f9c2e7d1b84c0e9d2f6a7b1')!;
    expect(mpatha.name).toBe(mpatha.wwid); // the unreadable name is absent, the map is kept
  });

  it('counts a map element that is no map at all (an array, a string) as malformed', () => {
    const result = parseMapsReply('{"major_version": 0, "minor_version": 1, "maps": [[1], "map", null]}');
    expect(result).toMatchObject({ ok: true, value: { maps: [], skipped: { ...NO_SKIPS, malformed: 3 } } });
  });

  it.each([
    ['truncated JSON', multipathdFixture('truncated.json'), 'bad_output', /does not parse/],
    ['non-JSON text', 'multipath-tools v0.9.4 (12/19, 2022)\nUsage: ...\n', 'bad_output', /unexpected reply/],
    ['an empty reply', '', 'bad_output', /empty reply/],
    ['fail', 'fail\n', 'fail', /"fail"/],
    ['0.9.8 fail-prefixed timeout', 'fail\ntimeout\n', 'timeout', /timeout/],
    ['timeout', 'timeout\n', 'timeout', /timeout/],
    ['a permission refusal', 'permission deny: need to be root\n', 'permission', /need to be root/],
    ['JSON of another version', '{"major_version": 1, "maps": []}', 'bad_output', /major_version/],
    ['JSON without maps', '{"major_version": 0}', 'bad_output', /maps/],
  ])('reports %s as %s without throwing', (_name, reply, reason, message) => {
    const result = parseMapsReply(reply);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe(reason);
      expect(result.message).toMatch(message);
    }
  });
});

describe('small pure helpers', () => {
  it.each([
    [2, 2, 'optimal'],
    [1, 2, 'degraded'],
    [0, 2, 'failed'],
    [0, 0, 'failed'],
  ] as const)('deriveHealth(%i active, %i total) = %s', (active, total, health) => {
    expect(deriveHealth(active, total)).toBe(health);
  });

  it.each(['', '[undef]', '[unknown]', 'undef', '-', '##', '(null)', '  '])('present(%j) is absent', (value) => {
    expect(present(value)).toBeUndefined();
  });

  it('present keeps real values, trimmed', () => {
    expect(present(' IBM ')).toBe('IBM');
  });

  it.each([
    ['../../devices/platform/host3/session1/target3:0:0/3:0:0:1/block/sdc', 'iscsi'],
    ['../../devices/pci0000:00/0000:00:03.0/host5/rport-5:0-2/target5:0:1/5:0:1:0/block/sdd', 'fc'],
    ['../../devices/pci0000:00/host2/port-2:0/end_device-2:0/target2:0:0/2:0:0:0/block/sde', 'sas'],
    ['../../devices/pseudo_0/adapter0/host2/target2:0:0/2:0:0:0/block/sda', undefined],
    [undefined, undefined],
  ])('transport of sysfs link %s is %s', (link, transport) => {
    expect(transportFromSysfsLink(link)).toBe(transport);
  });

  it('parses show daemon, its 0.10+ pending reconfigure, and clamps an unknown state', () => {
    expect(parseDaemonReply(multipathdFixture('show-daemon-idle.txt'))).toEqual({ ok: true, value: { pid: 1842, state: 'idle', stateRaw: 'idle', reconfigurePending: false } });
    expect(parseDaemonReply(multipathdFixture('show-daemon-pending-reconfigure.txt'))).toEqual({ ok: true, value: { pid: 1842, state: 'idle', stateRaw: 'idle', reconfigurePending: true } });
    expect(parseDaemonReply('pid 7 configure (pending reconfigure)\n')).toMatchObject({ ok: true, value: { state: 'configure', reconfigurePending: true } });
    expect(parseDaemonReply('pid 7 sleeping\n')).toMatchObject({ ok: true, value: { state: 'unknown', stateRaw: 'sleeping' } });
    expect(parseDaemonReply('')).toMatchObject({ ok: false, reason: 'bad_output' });
  });

  it('parses show status in 0.9.4 format: counts in our checker state names, monitored paths, busy', () => {
    expect(parseStatusReply(multipathdFixture('show-status-busy.txt'))).toEqual({ ok: true, value: { paths: { ready: 4 }, monitored: 4, busy: true } });
    expect(parseStatusReply(multipathdFixture('show-status-disconnected.txt'))).toEqual({ ok: true, value: { paths: { ready: 1, disconnected: 1 }, monitored: 2, busy: false } });
    const all = 'path checker states:\nwild                1\nunchecked           2\ndown                3\nup                  4\nshaky               5\nghost               6\npending             7\ntimeout             8\nremoved             9\ndelayed             10\n\npaths: 55\nbusy: False\n';
    expect(parseStatusReply(all)).toEqual({
      ok: true,
      value: { paths: { wild: 1, unchecked: 2, faulty: 3, ready: 4, shaky: 5, ghost: 6, pending: 7, timeout: 8, removed: 9, delayed: 10 }, monitored: 55, busy: false },
    });
    // no paths at all: only the header
    expect(parseStatusReply('path checker states:\n\npaths: 0\nbusy: False\n')).toEqual({ ok: true, value: { paths: {}, monitored: 0, busy: false } });
    // a state name of 20 characters or more leaves no blank before the count (%-20s%u)
    expect(parseStatusReply('path checker states:\nsome-future-state-name7\n\npaths: 7\nbusy: True\n')).toMatchObject({ ok: true, value: { paths: { 'some-future-state-name': 7 } } });
    // a state name that is no fit label value
    expect(parseStatusReply('path checker states:\nWeird"State         2\n\npaths: 2\nbusy: False\n')).toMatchObject({ ok: true, value: { paths: { unknown: 2 } } });
  });

  it.each([
    ['fail\n', 'fail'],
    ['timeout\n', 'timeout'],
    ['', 'bad_output'],
    ['show status: not found\n', 'bad_output'],
    ['path checker states:\nup                  x\n\npaths: 1\nbusy: False\n', 'bad_output'],
    ['path checker states:\nup                  1\n\npaths: 1\n', 'bad_output'],
    ['path checker states:\nup                  1\n\npaths: 1\nbusy: maybe\n', 'bad_output'],
  ])('a show status reply %j is no status (%s)', (reply, reason) => {
    expect(parseStatusReply(reply)).toMatchObject({ ok: false, reason });
  });

  it('classifies non-payload replies', () => {
    expect(classifyNonPayload('ok\n').reason).toBe('bad_output');
  });
});

describe('real multipathd 0.9.4 replies captured in the qemu lab (scsi_debug, two ALUA paths)', () => {
  const real = (name: string) => {
    const result = parseMapsReply(readFileSync(`${FIXTURES}real/show-maps-json.${name}.json`, 'utf8'));
    if (!result.ok) throw new Error(result.message);
    return result.value.maps;
  };

  it('healthy: one WWID-named map, two paths in two ALUA groups, optimal', () => {
    const [map] = real('healthy');
    expect(map).toMatchObject({ wwid: '333333330000007d0', name: '333333330000007d0', health: 'optimal', pathsActive: 2, pathsTotal: 2, pathsUsable: 2, hwhandler: '1 alua', vendor: 'Linux', product: 'scsi_debug' });
    expect(map!.pathGroups.map((g) => [g.dmState, g.priority])).toEqual([['active', 50], ['enabled', 10]]);
  });

  it('one path offline: degraded, the path failed/faulty/offline, one path fault counted', () => {
    const [map] = real('path-offline');
    expect(map).toMatchObject({ health: 'degraded', pathsActive: 1, pathsTotal: 2, pathsUsable: 1, counters: { pathFaults: 1 } });
    const offline = map!.pathGroups[1]!.paths[0]!;
    expect(offline).toMatchObject({ dmState: 'failed', checkerState: 'faulty', deviceState: 'offline' });
  });

  it('one path deleted: multipathd reports a healthy one-path map (only an expected path count can tell)', () => {
    const [map] = real('path-deleted');
    expect(map).toMatchObject({ health: 'optimal', pathsActive: 1, pathsTotal: 1 });
  });

  it('no maps: an empty list', () => {
    expect(real('no-maps')).toEqual([]);
  });

  it('show daemon', () => {
    expect(parseDaemonReply(readFileSync(`${FIXTURES}real/show-daemon.idle.txt`, 'utf8'))).toMatchObject({ ok: true, value: { pid: 188, state: 'idle' } });
  });

  it('show status: the LUN\'s paths, plus the other LUN\'s two paths multipathd watches but never assembles (pending, not monitored)', () => {
    const status = (name: string) => parseStatusReply(readFileSync(`${FIXTURES}real/show-status.${name}.txt`, 'utf8'));
    expect(status('healthy')).toEqual({ ok: true, value: { paths: { ready: 2, pending: 2 }, monitored: 2, busy: false } });
    expect(status('path-offline')).toEqual({ ok: true, value: { paths: { faulty: 1, ready: 1, pending: 2 }, monitored: 2, busy: false } });
  });
});
