// The golden expositions: every recorded `show maps json` reply (fixtures/multipathd/*.json and the
// real ones in fixtures/real/) rendered with one fixed config, status and failure count into
// fixtures/exposition/. The golden test compares; only test/support/update-golden.ts writes.
import { readdirSync, readFileSync } from 'node:fs';
import { Config } from '../../src/common/core/config.js';
import { renderMetrics } from '../../src/scrape/core/metrics.js';
import { FIXTURES } from './fixtures.js';
import { snapshotOfReply } from './scrape.js';

export const GOLDEN_CLUSTER = Config.parse({
  node: 'pve1',
  cluster: {
    nodes: ['pve1', 'pve2', 'pve3'],
    luns: [
      { wwid: '36001405a3f9c2e7d1b84c0e9d2f6a7b1', alias: 'san-a-lun0', paths: 2, usedBy: 'vmstore' },
      { wwid: '3600a098038314c6f6b5d4f2d41434b31', nodes: ['pve2', 'pve3'], paths: 4 },
      { wwid: '36001405ffffffffffffffffffffffff0', usedBy: 'backup' },
    ],
  },
});
export const GOLDEN_STATUS = { path: '/etc/multipath-exporter/config.yml', valid: true, errors: [], digest: 'abcdef0123456789', applyEnabled: false };
const FAILURES = { daemon_down: 2, timeout: 1, fail: 0, bad_output: 0, too_large: 0, permission: 0 };

export interface GoldenCase {
  /** The reply, relative to fixtures/. */
  reply: string;
  /** Its exposition, relative to fixtures/. */
  golden: string;
}

/** One case per recorded maps reply: `multipathd/<name>.json` and `real/show-maps-json.<name>.json`. */
export function goldenCases(): GoldenCase[] {
  const recorded = readdirSync(`${FIXTURES}multipathd`)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ reply: `multipathd/${f}`, golden: `exposition/${f.replace(/\.json$/, '.prom')}` }));
  const real = readdirSync(`${FIXTURES}real`)
    .filter((f) => /^show-maps-json\..+\.json$/.test(f))
    .map((f) => ({ reply: `real/${f}`, golden: `exposition/real-${f.replace(/^show-maps-json\.|\.json$/g, '')}.prom` }));
  return [...recorded, ...real].sort((a, b) => a.golden.localeCompare(b.golden));
}

/** What the golden of a case must contain. */
export function renderGolden(c: GoldenCase): string {
  return renderMetrics({
    snapshot: snapshotOfReply(readFileSync(`${FIXTURES}${c.reply}`, 'utf8')),
    config: GOLDEN_CLUSTER,
    configStatus: GOLDEN_STATUS,
    failures: FAILURES,
    nodename: 'pve1',
    version: '1.2.3',
  });
}
