import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/common/core/config-text.js';
import { DefaultsKnobs, DEFAULTS_KNOB_NAMES, LUN_KNOB_NAMES } from '../../../src/common/core/multipath-knobs.js';
import { LunKnobs } from '../../../src/common/core/config.js';

const WWID = '3600140500a1b2c3d4e5f6a7b8c9d0e1f';

function errorsFor(yaml: string) {
  const r = parseConfigText(yaml, 'c.yml');
  return r.ok ? [] : r.errors;
}

/** One bad value per knob, in defaults (d) or per LUN (l): each must give a validation error. */
const BAD: Array<[string, 'd' | 'l', unknown]> = [
  ['no_path_retry', 'd', 'forever'],
  ['no_path_retry', 'l', -1],
  ['path_grouping_policy', 'd', 'round_robin'],
  ['failback', 'd', 'sometimes'],
  ['failback', 'l', 0],
  ['path_selector', 'd', 'service-time'],
  ['path_selector', 'd', 'service-time 1'],
  ['path_selector', 'l', 'fastest 0'],
  ['rr_min_io_rq', 'l', 0],
  ['rr_weight', 'l', 'heavy'],
  ['features', 'd', '2 queue_if_no_path'],
  ['features', 'l', 'queue_if_no_path'],
  ['prio', 'd', 'fastest'],
  ['flush_on_last_del', 'd', 'maybe'],
  ['max_sectors_kb', 'l', 'big'],
  ['user_friendly_names', 'd', 'maybe'],
  ['deferred_remove', 'l', 2],
  ['skip_kpartx', 'l', 'sure'],
  ['marginal_path_err_sample_time', 'd', 60],
  ['marginal_path_err_rate_threshold', 'd', 1001],
  ['marginal_path_err_recheck_gap_time', 'l', -5],
  ['marginal_path_double_failed_time', 'l', '10s'],
  ['delay_watch_checks', 'd', 'yes'],
  ['delay_wait_checks', 'l', -1],
  ['find_multipaths', 'd', 'maybe'],
  ['polling_interval', 'd', -5],
  ['polling_interval', 'd', '10s'],
  ['polling_interval', 'd', 0],
  ['polling_interval', 'd', 2.5],
  ['max_polling_interval', 'd', 0],
  ['path_checker', 'd', 'ping'],
  ['fast_io_fail_tmo', 'd', 'never'],
  ['dev_loss_tmo', 'd', 'forever'],
  ['queue_without_daemon', 'd', 'perhaps'],
  ['checker_timeout', 'd', 0],
  ['detect_prio', 'd', 'on'],
  ['detect_checker', 'd', 3],
  ['retain_attached_hw_handler', 'd', 'x'],
  ['uxsock_timeout', 'd', 50],
  ['alias', 'l', 'has/slash'],
  ['alias', 'l', 'with space'],
  ['alias', 'l', '"quoted"'],
  ['alias', 'l', ''],
];

describe('knob validation', () => {
  for (const [knob, where, value] of BAD) {
    it(`rejects ${where === 'd' ? 'defaults' : 'luns[0]'}.${knob} = ${JSON.stringify(value)}`, () => {
      const yaml =
        where === 'd'
          ? `cluster:\n  defaults:\n    ${knob}: ${JSON.stringify(value)}\n`
          : `cluster:\n  luns:\n    - wwid: ${WWID}\n      ${knob}: ${JSON.stringify(value)}\n`;
      const errors = errorsFor(yaml);
      expect(errors.length, JSON.stringify(errors)).toBeGreaterThan(0);
      const path = where === 'd' ? `cluster.defaults.${knob}` : `cluster.luns[0].${knob}`;
      expect(errors[0]!.path).toBe(path);
      expect(errors[0]!.line).toBe(3 + (where === 'l' ? 1 : 0));
    });
  }

  it('every knob has a bad-value case', () => {
    const covered = new Set(BAD.map(([k]) => k));
    expect([...new Set([...DEFAULTS_KNOB_NAMES, ...LUN_KNOB_NAMES])].filter((k) => !covered.has(k))).toEqual([]);
  });

  it('defaults-only knobs are rejected per LUN, alias is rejected in defaults', () => {
    expect(errorsFor(`cluster:\n  luns:\n    - wwid: ${WWID}\n      polling_interval: 5\n`)[0]!.message).toMatch(/unknown key/);
    expect(errorsFor(`cluster:\n  luns:\n    - wwid: ${WWID}\n      path_checker: tur\n`)[0]!.message).toMatch(/unknown key/);
    expect(errorsFor('cluster:\n  defaults:\n    alias: x\n')[0]!.message).toMatch(/unknown key/);
  });

  it('rejects kebab-case spellings with the allowed keywords', () => {
    const [err] = errorsFor('cluster:\n  defaults:\n    no-path-retry: queue\n');
    expect(err!.message).toMatch(/unknown key\(s\) "no-path-retry"; allowed: .*no_path_retry/);
  });

  it('normalises values to what multipath -t prints', () => {
    const d = DefaultsKnobs.parse({
      no_path_retry: 0,
      find_multipaths: 'yes',
      user_friendly_names: false,
      polling_interval: '010',
      path_selector: '  round-robin   0 ',
      delay_watch_checks: 0,
      features: '1  queue_if_no_path',
    });
    expect(d).toEqual({
      no_path_retry: 'fail',
      find_multipaths: 'on',
      user_friendly_names: 'no',
      polling_interval: '10',
      path_selector: 'round-robin 0',
      delay_watch_checks: 'no',
      features: '1 queue_if_no_path',
    });
    expect(LunKnobs.parse({ no_path_retry: 18, failback: 30, alias: 'san-a.lun_0' })).toEqual({ no_path_retry: '18', failback: '30', alias: 'san-a.lun_0' });
  });

  it('accepts the documented values', () => {
    const ok = `cluster:
  defaults:
    find_multipaths: strict
    polling_interval: 1
    no_path_retry: queue
    path_grouping_policy: group_by_node_name
    failback: followover
    path_selector: "service-time 0"
    fast_io_fail_tmo: "off"
    dev_loss_tmo: infinity
  luns:
    - wwid: ${WWID}
      alias: a
      rr_min_io_rq: 1
      rr_weight: priorities
`;
    expect(errorsFor(ok)).toEqual([]);
  });
});

describe('alias collision', () => {
  it('two LUNs with one alias are rejected, naming both', () => {
    const errors = errorsFor(
      `cluster:\n  luns:\n    - wwid: ${WWID}\n      alias: shared\n    - wwid: 36001405bbbbbbbbbbbbbbbbbbbbbbbb2\n      alias: shared\n`,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('cluster.luns[1].alias');
    expect(errors[0]!.line).toBe(6);
    expect(errors[0]!.message).toContain(`luns[0] (${WWID})`);
  });

  it('the same WWID twice is rejected', () => {
    const errors = errorsFor(`cluster:\n  luns:\n    - wwid: ${WWID}\n    - wwid: ${WWID}\n`);
    expect(errors[0]!.message).toMatch(/listed twice/);
  });

  it('distinct aliases pass', () => {
    expect(errorsFor(`cluster:\n  luns:\n    - wwid: ${WWID}\n      alias: a\n    - wwid: 36001405bbbbbbbbbbbbbbbbbbbbbbbb2\n      alias: b\n`)).toEqual([]);
  });
});
