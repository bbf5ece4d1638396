// The declared families are the contract: every series the exporter writes belongs to one, with
// exactly its label names, and every declared family shows up in some exposition.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderMetrics, type ScrapeInput } from '../../../src/scrape/core/metrics.js';
import { METRIC_FAMILIES } from '../../../src/scrape/core/metric-families.js';
import { FIXTURES } from '../../support/fixtures.js';
import { GOLDEN_CLUSTER, goldenCases } from '../../support/golden.js';
import { NO_FAILURES, parseExposition, snapshotFromFixture, snapshotOfReply } from '../../support/scrape.js';

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
    ...goldenCases().map((c): [string, string] => [c.reply, render({ snapshot: snapshotOfReply(readFileSync(`${FIXTURES}${c.reply}`, 'utf8')) })]),
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
    const declared = new Map(METRIC_FAMILIES.map((f) => [f.name, f]));
    const seen = new Set<string>();
    for (const [name, text] of expositions()) {
      const families = parseExposition(text); // throws on a duplicate series
      for (const [familyName, family] of families) {
        const contract = declared.get(familyName);
        expect(contract, `${name}: ${familyName} is not declared`).toBeDefined();
        expect({ type: family.type, help: family.help }).toEqual({ type: contract!.type, help: contract!.help });
        for (const series of family.series) {
          expect(Object.keys(series.labels).sort(), `${name}: ${familyName}`).toEqual([...contract!.labels].sort());
          if (contract!.states) expect(contract!.states.values).toContain(series.labels[contract!.states.label]);
        }
        seen.add(familyName);
      }
    }
    expect([...declared.keys()].filter((n) => !seen.has(n))).toEqual([]);
  });

  it('the strict parser rejects a duplicate series (the check above is live)', () => {
    expect(() => parseExposition('# HELP a x\n# TYPE a gauge\na{b="1",c="2"} 1\na{c="2",b="1"} 1\n')).toThrow(/duplicate series/);
  });
});
