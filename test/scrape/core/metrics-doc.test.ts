// docs/metrics.md is the contract users read; src/scrape/core/metric-families.ts is the one the
// code follows. They are held equal in both directions (name, type, labels, the members of closed
// label sets), and real expositions are held to the document: no undocumented series, no
// documented series that never appears in the fixtures' expositions.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MetricFamily, METRIC_FAMILIES } from '../../../src/scrape/core/metric-families.js';
import { contractExpositions } from '../../support/golden.js';
import { type DocumentedMetric, documentedMetrics } from '../../support/metrics-doc.js';
import { REPO } from '../../support/repo.js';
import { parseExposition } from '../../support/scrape.js';

const doc = readFileSync(path.join(REPO, 'docs/metrics.md'), 'utf8');

/** Where the document and the declared families differ, one line each (empty: equal). */
function differences(documented: readonly DocumentedMetric[], declared: readonly MetricFamily[]): string[] {
  const out: string[] = [];
  const byName = new Map(documented.map((m) => [m.name, m]));
  if (byName.size !== documented.length) out.push(`documented twice: ${documented.map((m) => m.name).filter((n, i, all) => all.indexOf(n) !== i).join(', ')}`);
  for (const family of declared) {
    const m = byName.get(family.name);
    if (!m) {
      out.push(`${family.name} is declared, not documented`);
      continue;
    }
    if (m.type !== family.type) out.push(`${family.name}: documented ${m.type}, declared ${family.type}`);
    if ([...m.labels].sort().join(',') !== [...family.labels].sort().join(',')) out.push(`${family.name}: documented labels ${m.labels.join(',')}, declared ${family.labels.join(',')}`);
  }
  const names = new Set(declared.map((f) => f.name));
  for (const m of documented) if (!names.has(m.name)) out.push(`${m.name} is documented, not declared`);
  return out;
}

/** The document's row of a metric, as text. */
const rowOf = (markdown: string, name: string) => markdown.split('\n').find((l) => l.startsWith(`| \`${name}\` |`)) ?? '';

describe('docs/metrics.md and the declared families', () => {
  it('list the same metrics with the same type and labels', () => {
    expect(differences(documentedMetrics(doc), METRIC_FAMILIES)).toEqual([]);
  });

  it('the document names every member of each closed label set', () => {
    for (const family of METRIC_FAMILIES) {
      const set = family.states ?? family.closed;
      if (!set) continue;
      const row = rowOf(doc, family.name);
      for (const value of set.values) expect(row, `${family.name}: ${set.label}="${value}"`).toContain(`\`${value}\``);
    }
  });

  it('the comparison is live: a row left out, a label and a type changed, a row too many', () => {
    const mutated = doc
      .replace(`${rowOf(doc, 'multipath_daemon_busy')}\n`, '')
      .replace('| `multipath_map_suspended` | gauge | `wwid` |', '| `multipath_map_suspended` | counter | `wwid`, `state` |')
      .replace(`${rowOf(doc, 'multipath_map_read_only')}\n`, `${rowOf(doc, 'multipath_map_read_only')}\n| \`multipath_map_loads_total\` | counter | \`wwid\` | gone |\n`);
    expect(differences(documentedMetrics(mutated), METRIC_FAMILIES)).toEqual([
      'multipath_daemon_busy is declared, not documented',
      'multipath_map_suspended: documented counter, declared gauge',
      'multipath_map_suspended: documented labels wwid,state, declared wwid',
      'multipath_map_loads_total is documented, not declared',
    ]);
  });
});

describe('real expositions and docs/metrics.md', () => {
  const documented = new Map(documentedMetrics(doc).map((m) => [m.name, m]));

  it('every series is documented with exactly its labels, and every documented metric appears', () => {
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const [name, text] of contractExpositions()) {
      for (const [metric, family] of parseExposition(text)) {
        seen.add(metric);
        const m = documented.get(metric);
        if (!m) problems.push(`${name}: ${metric} is not documented`);
        else for (const s of family.series) if (Object.keys(s.labels).sort().join(',') !== [...m.labels].sort().join(',')) problems.push(`${name}: ${metric}{${Object.keys(s.labels)}}`);
      }
    }
    expect([...new Set(problems)]).toEqual([]);
    expect([...documented.keys()].filter((n) => !seen.has(n))).toEqual([]);
  });
});
