import { readdirSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { Config } from '../../../src/common/core/config.js';
import { STATUS_CHECKER_STATES } from '../../../src/scrape/core/states.js';
import { FIXTURES } from '../../support/fixtures.js';
import { GOLDEN_CLUSTER, GOLDEN_STATUS, goldenCases, renderGolden } from '../../support/golden.js';
import { exposition, parseExposition, samples, series, snapshotFromFixture } from '../../support/scrape.js';

const CLUSTER = GOLDEN_CLUSTER;
const STATUS = GOLDEN_STATUS;

describe('golden expositions', () => {
  const cases = goldenCases();

  it('exist for every recorded maps reply, and only for those', () => {
    expect(cases.length).toBeGreaterThanOrEqual(16);
    const goldens = readdirSync(`${FIXTURES}exposition`).filter((f) => f.endsWith('.prom'));
    expect(goldens.map((f) => `exposition/${f}`).sort()).toEqual(cases.map((c) => c.golden).sort());
  });

  // Reply in, exact text out. To change a golden, run `npx tsx test/support/update-golden.ts` and
  // review the diff: no test ever writes one.
  it.each(cases.map((c) => [c.reply, c.golden, c] as const))('%s renders exactly %s, and promtool finds nothing to lint', async (_reply, golden, c) => {
    const text = readFileSync(`${FIXTURES}${golden}`, 'utf8');
    expect(renderGolden(c)).toBe(text);
    const result = await execa('promtool', ['check', 'metrics'], { input: text, reject: false });
    expect(result.stderr + result.stdout).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('promtool check metrics does flag a bad name (the check is live)', async () => {
    const result = await execa('promtool', ['check', 'metrics'], { input: '# HELP x_ms bad\n# TYPE x_ms gauge\nx_ms 1\n', reject: false });
    expect(result.exitCode).not.toBe(0);
  });
});

describe('metric contract', () => {
  it('exports a reply with repeats without duplicate series, counting what it dropped', async () => {
    const text = await exposition({ snapshot: snapshotFromFixture('repeated-wwid-dev-group-and-nameless-paths.json') });
    expect(() => parseExposition(text)).not.toThrow();
    const s = samples(text);
    expect(s.get('multipath_maps_skipped{reason="duplicate_wwid"}')).toBe(1);
    expect(s.get('multipath_duplicates_dropped{entry="path_group"}')).toBe(1);
    expect(s.get('multipath_duplicates_dropped{entry="path"}')).toBe(1);
    expect(series(text, 'multipath_path_active').map((x) => x.labels.dev)).toEqual(['sda', 'sdb', 'sdc', 'group2-unnamed', 'group2-unnamed-2']);
  });

  it('skips maps with a WWID that is not a string: none becomes a label', async () => {
    const text = await exposition({ snapshot: snapshotFromFixture('wwids-of-wrong-type.json') });
    expect(series(text, 'multipath_map_info').map((x) => x.labels.wwid)).toEqual(['333333330000007d0']);
    expect(samples(text).get('multipath_maps_skipped{reason="invalid_wwid"}')).toBe(3);
    expect(text).not.toMatch(/object Object|wwid="(true|12345)"/);
  });

  it('exports paths_total from the groups and the active count separately', async () => {
    const text = await exposition({ snapshot: snapshotFromFixture('no-active-paths-queueing.json') });
    for (const { labels, value } of series(text, 'multipath_map_paths')) {
      const usable = samples(text).get(`multipath_map_paths_usable{wwid="${labels.wwid}"}`);
      expect(value).toBeGreaterThan(usable!);
    }
  });

  it('emits every state of each state set with exactly one at 1', async () => {
    const text = await exposition({ snapshot: snapshotFromFixture('all-six-maps.json') });
    const check = (metric: string, key: (l: Record<string, string>) => string, size: number) => {
      const groups = new Map<string, number[]>();
      for (const s of series(text, metric)) groups.set(key(s.labels), [...(groups.get(key(s.labels)) ?? []), s.value]);
      expect(groups.size).toBeGreaterThan(0);
      for (const values of groups.values()) {
        expect(values).toHaveLength(size);
        expect(values.filter((v) => v === 1)).toHaveLength(1);
      }
    };
    check('multipath_map_state', (l) => l.wwid!, 3);
    check('multipath_collection_error', () => 'x', 7);
    check('multipath_daemon_state', () => 'x', 7);
    // one series per object carrying its current state: exactly one, at 1
    check('multipath_path_state', (l) => `${l.wwid}/${l.dev}`, 1);
    check('multipath_path_group_state', (l) => `${l.wwid}/${l.group}`, 1);
    check('multipath_map_queueing', (l) => l.wwid!, 1);
  });

  it('carries the path states as labels: clamped names, a new safe string as itself, else unknown', async () => {
    const text = await exposition({ snapshot: snapshotFromFixture('all-six-maps.json') });
    const states = series(text, 'multipath_path_state').filter((s) => s.labels.wwid === '3600a098038314c6f6b5d4f2d41434b32');
    expect(states.map((s) => s.labels.checker_state).sort()).toEqual(['faulty', 'faulty', 'pending', 'timeout']);
    const future = await exposition({ snapshot: snapshotFromFixture('future-fields-and-states.json') });
    expect(series(future, 'multipath_path_state').map((s) => s.labels)).toEqual([
      { wwid: '36001405a3f9c2e7d1b84c0e9d2f6a7b1', dev: 'sdj', dm_state: 'active', checker_state: 'brand-new-state', device_state: 'running' },
      { wwid: '36001405a3f9c2e7d1b84c0e9d2f6a7b1', dev: 'sdk', dm_state: 'failed', checker_state: 'disconnected', device_state: 'running' },
    ]);
    const ghost = await exposition({ snapshot: snapshotFromFixture('path-dm-state-ghost.json') });
    expect(series(ghost, 'multipath_path_state').map((s) => s.labels.dm_state)).toEqual(['active', 'ghost']);
    // undef is a placeholder, not a state: unknown (dm) and unchecked (checker)
    const edge = await exposition({ snapshot: snapshotFromFixture('edge-undef-unknown-marginal.json') });
    expect(series(edge, 'multipath_path_state')[0]!.labels).toMatchObject({ dm_state: 'unknown', checker_state: 'unchecked' });
    // a string that is no fit label value (upper case, quotes, too long) is exported as unknown
    const odd = snapshotFromFixture('future-fields-and-states.json');
    const path = odd.maps[0]!.pathGroups[0]!.paths[0]!;
    odd.maps[0]!.pathGroups[0]!.paths[0] = { ...path, checkerStateRaw: 'Brand "New"', deviceStateRaw: 'x'.repeat(40), deviceState: 'unknown' };
    expect(series(await exposition({ snapshot: odd }), 'multipath_path_state')[0]!.labels).toMatchObject({ checker_state: 'unknown', device_state: 'unknown' });
  });

  it('exports the queueing mode of every map and the seconds left only in recovery', async () => {
    const text = await exposition({ snapshot: snapshotFromFixture('all-six-maps.json') });
    expect(Object.fromEntries(series(text, 'multipath_map_queueing').map((s) => [s.labels.wwid, s.labels.mode]))).toEqual({
      '3600a098038314c6f6b5d4f2d41434b31': 'retry',
      '36001405a3f9c2e7d1b84c0e9d2f6a7b1': 'off',
      '3600a098038314c6f6b5d4f2d41434b32': 'queue',
      '36001405c0ffee00000000000000000a4': 'recovery',
      '36001405c0ffee00000000000000000a5': 'off',
      '3600a0b80005a1b2c0000d8e75f3a1c2d': 'retry',
    });
    expect(series(text, 'multipath_map_queueing_seconds_left')).toEqual([{ labels: { wwid: '36001405c0ffee00000000000000000a4' }, value: 45 }]);
  });

  it('exports the daemon: pending reconfigure from show daemon; busy, paths per checker state and monitored from show status', async () => {
    const base = snapshotFromFixture('fc-alua-4paths-2groups.json');
    const text = await exposition({
      snapshot: { ...base, daemon: { ...base.daemon!, reconfigurePending: true }, status: { paths: { ready: 3, faulty: 1, 'brand-new': 2 }, monitored: 5, busy: true } },
    });
    const s = samples(text);
    expect(s.get('multipath_daemon_reconfigure_pending')).toBe(1);
    expect(s.get('multipath_daemon_busy')).toBe(1);
    expect(s.get('multipath_daemon_paths_monitored')).toBe(5);
    expect(Object.fromEntries(series(text, 'multipath_daemon_paths').map((x) => [x.labels.state, x.value]))).toEqual({
      ...Object.fromEntries(STATUS_CHECKER_STATES.map((state) => [state, 0])),
      ready: 3,
      faulty: 1,
      'brand-new': 2,
    });
    // without a status (the command failed): no status series, the rest of the scrape stands
    const without = samples(await exposition({ snapshot: base }));
    expect([...without.keys()].filter((k) => /^multipath_daemon_(busy|paths)/.test(k))).toEqual([]);
    expect(without.get('multipath_daemon_reconfigure_pending')).toBe(0);
    expect(without.get('multipath_up')).toBe(1);
  });

  it('marks expected LUNs per node, with or without a map, and the configured path count', async () => {
    const text = await exposition({ snapshot: snapshotFromFixture('iscsi-2paths-one-faulty.json'), config: CLUSTER });
    const s = samples(text);
    expect(s.get('multipath_map_expected{wwid="36001405a3f9c2e7d1b84c0e9d2f6a7b1"}')).toBe(1);
    expect(s.get('multipath_map_expected{wwid="3600a098038314c6f6b5d4f2d41434b31"}')).toBe(0); // only pve2, pve3
    expect(s.get('multipath_map_expected{wwid="36001405ffffffffffffffffffffffff0"}')).toBe(1); // no map here: still emitted
    expect(s.get('multipath_map_paths_expected{wwid="36001405a3f9c2e7d1b84c0e9d2f6a7b1"}')).toBe(2);
    expect(s.has('multipath_map_paths_expected{wwid="3600a098038314c6f6b5d4f2d41434b31"}')).toBe(false); // not expected here
    expect(s.get('multipath_lun_info{wwid="36001405a3f9c2e7d1b84c0e9d2f6a7b1",alias="san-a-lun0",used_by="vmstore"}')).toBe(1);
  });

  it('on a failed collection emits up 0, the reason and the config series, but no map or path series', async () => {
    const text = await exposition({
      snapshot: { ok: false, takenAt: 0, durationSeconds: 5, reason: 'timeout', message: 'hung' },
      config: CLUSTER,
    });
    const s = samples(text);
    expect(s.get('multipath_up')).toBe(0);
    expect(s.get('multipath_collection_error{reason="timeout"}')).toBe(1);
    expect(s.get('multipath_map_expected{wwid="36001405a3f9c2e7d1b84c0e9d2f6a7b1"}')).toBe(1);
    const names = [...s.keys()].map((k) => k.split('{')[0]);
    expect(names.filter((n) => /^multipath_(map|path)_/.test(n!) && !/^multipath_map_(paths_)?expected$/.test(n!))).toEqual([]);
  });

  it('drops per-path series when perPathMetrics is false', async () => {
    const text = await exposition({ snapshot: snapshotFromFixture('all-six-maps.json'), config: Config.parse({ perPathMetrics: false }) });
    expect(text).not.toMatch(/^multipath_path_(active|state|priority|marginal|info)\{/m);
    expect(text).toMatch(/^multipath_path_group_state\{/m);
    expect(text).toMatch(/^multipath_map_paths_active\{/m);
  });

  it('exports sysfs size and holders, and the alias in use or configured', async () => {
    const snapshot = snapshotFromFixture('iscsi-2paths-one-faulty.json');
    snapshot.maps[0] = { ...snapshot.maps[0]!, sizeBytes: 34359738368, holders: 1, name: snapshot.maps[0]!.wwid };
    const text = await exposition({ snapshot, config: CLUSTER });
    const s = samples(text);
    expect(s.get('multipath_map_size_bytes{wwid="36001405a3f9c2e7d1b84c0e9d2f6a7b1"}')).toBe(34359738368);
    expect(s.get('multipath_map_holders{wwid="36001405a3f9c2e7d1b84c0e9d2f6a7b1"}')).toBe(1);
    expect(series(text, 'multipath_map_info')[0]!.labels).toMatchObject({ alias: 'san-a-lun0', used_by: 'vmstore', name: '36001405a3f9c2e7d1b84c0e9d2f6a7b1' });
  });

  it('reports whether this node is in cluster.nodes', async () => {
    const inside = samples(await exposition({ snapshot: snapshotFromFixture('no-maps.json'), config: CLUSTER, configStatus: STATUS }));
    const outside = samples(await exposition({ snapshot: snapshotFromFixture('no-maps.json'), config: CLUSTER, configStatus: STATUS, nodename: 'pve9' }));
    expect(inside.get('multipath_config_node_in_cluster')).toBe(1);
    expect(outside.get('multipath_config_node_in_cluster')).toBe(0);
    expect(outside.get('multipath_exporter_info{version="1.2.3",nodename="pve9"}')).toBe(1);
  });

  it('reports the last apply pass when apply is enabled', async () => {
    const text = await exposition({
      snapshot: snapshotFromFixture('no-maps.json'),
      configStatus: {
        ...STATUS,
        applyEnabled: true,
        lastChangeAt: 1_700_000_000_000,
        lastApply: { finishedAt: 1_700_000_100_000, success: false, errors: ['adding WWID x failed'], changes: [], changed: false, reloadSuccess: true, refused: ['3600a: not added by this tool', '3600b: carries /'] },
      },
    });
    const s = samples(text);
    expect(s.get('multipath_config_apply_success')).toBe(0);
    expect(s.get('multipath_config_apply_errors')).toBe(1);
    expect(s.get('multipath_config_apply_refused')).toBe(2);
    expect(s.get('multipath_config_last_apply_timestamp_seconds')).toBe(1_700_000_100);
    expect(s.get('multipath_config_last_change_timestamp_seconds')).toBe(1_700_000_000);
    expect(s.get('multipath_config_reload_success')).toBe(1);
  });
});
