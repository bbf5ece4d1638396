// The declared families are the contract: every series the exporter writes belongs to one, with
// exactly its label names, and every declared family shows up in some exposition.
import { describe, expect, it } from 'vitest';
import { METRIC_FAMILIES } from '../../../src/scrape/core/metric-families.js';
import { contractExpositions } from '../../support/golden.js';
import { checkAgainstFamilies, parseExposition } from '../../support/scrape.js';

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
    for (const [name, text] of contractExpositions()) {
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
