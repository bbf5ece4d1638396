// The declared families are the contract: every series the exporter writes belongs to one, with
// exactly its label names, and every declared family shows up in some exposition.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderMetrics, type ScrapeInput } from '../../../src/scrape/core/metrics.js';
import { METRIC_FAMILIES } from '../../../src/scrape/core/metric-families.js';
import { FIXTURES } from '../../support/fixtures.js';
import { GOLDEN_CLUSTER, goldenCases, goldenSnapshot } from '../../support/golden.js';
import { checkAgainstFamilies, NO_FAILURES, parseExposition, snapshotFromFixture, snapshotOfReply } from '../../support/scrape.js';

const APPLIED = {
  path: '/c',
  valid: true,
  errors: [],
  digest: 'd',
  applyEnabled: true,
  lastApply: { finishedAt: 1.5e12, success: true, errors: [], changes: [], changed: true, reloadSuccess: true, refused: [] },
  lastChangeAt: 1.4e12,
};

/** Expositions of every recorded reply, plus the inputs that bring out the remaining families. */
function expositions(): [string, string][] {
  const base = { failures: NO_FAILURES, config: GOLDEN_CLUSTER, nodename: 'pve1', version: '1' };
  const render = (input: Partial<ScrapeInput> & Pick<ScrapeInput, 'snapshot'>) => renderMetrics({ ...base, ...input });
  const enriched = snapshotFromFixture('iscsi-2paths-one-faulty.json');
  enriched.maps = enriched.maps.map((m) => ({ ...m, sizeBytes: 1 << 30, holders: 1 }));
  return [
    ...goldenCases().map((c): [string, string] => [c.golden, render({ snapshot: goldenSnapshot(c) })]),
    ['apply enabled, sysfs facts', render({ snapshot: enriched, configStatus: APPLIED })],
    ['per-path series off', render({ snapshot: snapshotFromFixture('all-six-maps.json'), config: { ...GOLDEN_CLUSTER, perPathMetrics: false } })],
  ];
}

describe('metric families', () => {
  it('are declared once each, with valid names; counters end in _total, state sets carry their label', () => {
    const names = METRIC_FAMILIES.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const family of METRIC_FAMILIES) {
      expect(family.name).toMatch(/^multipath_[a-z_]+$/);
      expect(family.name.endsWith('_total')).toBe(family.type === 'counter');
      expect(new Set(family.labels).size).toBe(family.labels.length);
      if (family.states) expect(family.labels).toContain(family.states.label);
    }
  });

  it('hold every exposition: no undeclared family, exactly the declared labels, no duplicate series', () => {
    const seen = new Set<string>();
    for (const [name, text] of expositions()) {
      const result = checkAgainstFamilies(text); // the strict parse throws on a duplicate series
      expect(result.violations, name).toEqual([]);
      for (const family of result.seen) seen.add(family);
    }
    expect(METRIC_FAMILIES.map((f) => f.name).filter((n) => !seen.has(n))).toEqual([]);
  });

  it('the check is live: an undeclared family, a wrong label, a state outside the set', () => {
    const { violations } = checkAgainstFamilies(
      '# HELP a x\n# TYPE a gauge\na 1\n' +
        '# HELP multipath_map_paths Total paths of the map (sum over its path groups).\n# TYPE multipath_map_paths gauge\nmultipath_map_paths{wwid="1",dev="x"} 1\n' +
        '# HELP multipath_map_state Map health: optimal (all paths active), degraded (some), failed (none).\n# TYPE multipath_map_state gauge\nmultipath_map_state{wwid="1",state="sad"} 1\n',
    );
    expect(violations).toEqual(['a is not declared', 'multipath_map_paths: labels wwid,dev, declared wwid', 'multipath_map_state: state sad not in the set']);
  });

  it('the strict parser rejects a duplicate series (the check above is live)', () => {
    expect(() => parseExposition('# HELP a x\n# TYPE a gauge\na{b="1",c="2"} 1\na{c="2",b="1"} 1\n')).toThrow(/duplicate series/);
  });
});
