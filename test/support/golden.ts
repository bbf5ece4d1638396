// The golden expositions: every recorded `show maps json` reply (fixtures/multipathd/*.json and the
// real ones in fixtures/real/) rendered with one fixed config, status and failure count into
// fixtures/exposition/, and the collections of DAEMON_CASES (other `show daemon` and `show status`
// replies). The golden test compares; only test/support/update-golden.ts writes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Config } from '../../src/common/core/config.js';
import { renderMetrics, type ScrapeInput } from '../../src/scrape/core/metrics.js';
import { FIXTURES } from './fixtures.js';
import { NO_FAILURES, snapshotFromFixture, snapshotOfReply } from './scrape.js';

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
  /** The `show maps json` reply, relative to fixtures/. */
  reply: string;
  /** The `show daemon` reply of the same collection, relative to fixtures/ (default `pid 1842 idle`). */
  daemon?: string;
  /** The `show status` reply of the same collection, relative to fixtures/ (default: none, as when it fails). */
  status?: string;
  /** Its exposition, relative to fixtures/. */
  golden: string;
}

/** Collections with the daemon's other replies (0.9.4's `show status` format; 0.10's `show daemon`). */
const DAEMON_CASES: readonly GoldenCase[] = [
  { golden: 'exposition/daemon-busy.prom', reply: 'multipathd/fc-alua-4paths-2groups.json', status: 'multipathd/show-status-busy.txt' },
  { golden: 'exposition/daemon-idle.prom', reply: 'multipathd/fc-alua-4paths-2groups.json', daemon: 'multipathd/show-daemon-idle.txt', status: 'multipathd/show-status-idle.txt' },
  {
    golden: 'exposition/daemon-reconfigure-pending.prom',
    reply: 'multipathd/fc-alua-4paths-2groups.json',
    daemon: 'multipathd/show-daemon-pending-reconfigure.txt',
    status: 'multipathd/show-status-idle.txt',
  },
  { golden: 'exposition/daemon-checker-state-disconnected.prom', reply: 'multipathd/checker-state-disconnected.json', status: 'multipathd/show-status-disconnected.txt' },
];

/**
 * One case per recorded maps reply: `multipathd/<name>.json`, and `real/show-maps-json.<name>.json`
 * with the real `show status` of the same state when one was captured (`real/show-status.<name>.txt`);
 * then DAEMON_CASES.
 */
export function goldenCases(): GoldenCase[] {
  const recorded = readdirSync(`${FIXTURES}multipathd`)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ reply: `multipathd/${f}`, golden: `exposition/${f.replace(/\.json$/, '.prom')}` }));
  const real = readdirSync(`${FIXTURES}real`)
    .filter((f) => /^show-maps-json\..+\.json$/.test(f))
    .map((f): GoldenCase => {
      const state = f.replace(/^show-maps-json\.|\.json$/g, '');
      const status = `real/show-status.${state}.txt`;
      return { reply: `real/${f}`, ...(existsSync(`${FIXTURES}${status}`) ? { status } : {}), golden: `exposition/real-${state}.prom` };
    });
  return [...recorded, ...real, ...DAEMON_CASES].sort((a, b) => a.golden.localeCompare(b.golden));
}

const fixture = (rel: string | undefined) => (rel === undefined ? undefined : readFileSync(`${FIXTURES}${rel}`, 'utf8'));

/** The snapshot a collection of the case's replies gives. */
export function goldenSnapshot(c: GoldenCase) {
  return snapshotOfReply(fixture(c.reply)!, { daemon: fixture(c.daemon), status: fixture(c.status) });
}

/** What the golden of a case must contain. */
export function renderGolden(c: GoldenCase): string {
  return renderMetrics({
    snapshot: goldenSnapshot(c),
    config: GOLDEN_CLUSTER,
    configStatus: GOLDEN_STATUS,
    failures: FAILURES,
    nodename: 'pve1',
    version: '1.2.3',
  });
}

const APPLIED = {
  path: '/c',
  valid: true,
  errors: [],
  digest: 'd',
  applyEnabled: true,
  lastApply: { finishedAt: 1.5e12, success: true, errors: [], changes: [], changed: true, reloadSuccess: true, refused: [] },
  lastChangeAt: 1.4e12,
};

/**
 * The expositions the contract is held to (docs/metrics.md, src/scrape/core/metric-families.ts):
 * every golden case, plus the inputs that bring out the remaining series (sysfs facts, an apply
 * pass, per-path series off). [name, exposition] pairs.
 */
export function contractExpositions(): [string, string][] {
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
