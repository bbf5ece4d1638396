// The one exposition reader of the tests and the lab (test/support/exposition-samples.ts).
import { describe, expect, it } from 'vitest';
import { metricValue, parseExposition, samples, series } from './exposition-samples.js';

const TEXT = [
  '# HELP multipath_up 1 when multipathd answered.',
  '# TYPE multipath_up gauge',
  'multipath_up 1',
  'multipath_map_state{wwid="w1",state="optimal"} 1',
  'multipath_map_state{wwid="w1",state="degraded"} 0',
  'multipath_map_info{wwid="w1",name="a b",used_by="say \\"hi\\"\\\\x\\n"} 1 1700000000000',
  'multipath_scrape_duration_seconds 1.25e-2',
  'multipath_odd{le="+Inf"} NaN',
  'nodejs_eventloop_lag_mean_seconds Nan',
  '',
].join('\n');

describe('exposition samples', () => {
  it('reads names, unescaped labels and values, skipping comments', () => {
    expect(parseExposition(TEXT).map((s) => [s.name, s.labels, s.value])).toEqual([
      ['multipath_up', {}, 1],
      ['multipath_map_state', { wwid: 'w1', state: 'optimal' }, 1],
      ['multipath_map_state', { wwid: 'w1', state: 'degraded' }, 0],
      ['multipath_map_info', { wwid: 'w1', name: 'a b', used_by: 'say "hi"\\x\n' }, 1],
      ['multipath_scrape_duration_seconds', {}, 0.0125],
      ['multipath_odd', { le: '+Inf' }, NaN],
      ['nodejs_eventloop_lag_mean_seconds', {}, NaN],
    ]);
  });

  it('keys samples by the series as written', () => {
    const s = samples(TEXT);
    expect(s.get('multipath_up')).toBe(1);
    expect(s.get('multipath_map_state{wwid="w1",state="degraded"}')).toBe(0);
    expect(s.size).toBe(7);
  });

  it('finds one metric by name and by some of its labels', () => {
    expect(series(TEXT, 'multipath_map_state').map((x) => x.labels.state)).toEqual(['optimal', 'degraded']);
    expect(metricValue(TEXT, 'multipath_map_state', { state: 'degraded' })).toBe(0);
    expect(metricValue(TEXT, 'multipath_map_state', { state: 'failed' })).toBeUndefined();
    expect(metricValue(TEXT, 'multipath_up', {})).toBe(1);
    // a name that is a prefix of another is not that other
    expect(metricValue(TEXT, 'multipath_map', {})).toBeUndefined();
  });

  it.each(['multipath_up', 'multipath_up one', 'multipath_up{wwid="w1" 1', 'multipath_up{wwid=w1} 1', '{wwid="w1"} 1', 'multipath_up 1 2 3'])(
    'refuses %j rather than reading it as no sample',
    (line) => expect(() => parseExposition(line)).toThrow(),
  );
});
