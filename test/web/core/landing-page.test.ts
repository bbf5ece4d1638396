import { describe, expect, it } from 'vitest';
import { emptyReason, formatBytes, renderLandingPage } from '../../../src/web/core/landing-page.js';
import type { Snapshot } from '../../../src/scrape/core/snapshot.js';
import { snapshotFromFixture } from '../../support/scrape.js';

const page = (snapshot: Snapshot | undefined, extra: Partial<Parameters<typeof renderLandingPage>[0]> = {}) =>
  renderLandingPage({ nodename: 'pve1', version: '1.2.3', snapshot, luns: new Map(), ...extra });

const rows = (html: string) => [...html.matchAll(/<tr class="(\w+)"><td>(.*?)<\/td><td><code>(\w+)<\/code><\/td><td class="health">(\w+)<\/td>/g)].map((m) => ({ cls: m[1], name: m[2], wwid: m[3], health: m[4] }));

describe('renderLandingPage', () => {
  it('one row per map sorted by WWID, the row class and the badge naming its health', () => {
    const snapshot = snapshotFromFixture('all-six-maps.json');
    const r = rows(page(snapshot));
    expect(r).toHaveLength(6);
    expect(r.map((x) => x.wwid)).toEqual([...r.map((x) => x.wwid)].sort());
    for (const row of r) expect(row.cls).toBe(row.health);
    expect(r.map((x) => x.health)).toEqual(['degraded', 'failed', 'failed', 'optimal', 'failed', 'optimal']);
  });

  it('names a map by its multipathd alias, else the configured alias, and shows size, holders and used-by', () => {
    const snapshot = snapshotFromFixture('iscsi-2paths-one-faulty.json');
    const map = snapshot.maps[0]!;
    snapshot.maps[0] = { ...map, name: map.wwid, sizeBytes: 107374182400, holders: 2 };
    const html = page(snapshot, { luns: new Map([[map.wwid, { alias: 'san-a', usedBy: 'vmstore' }]]) });
    expect(rows(html)[0]!.name).toBe('san-a');
    expect(html).toContain('<td>100 GiB</td><td>yes (2) vmstore</td>');
  });

  it('escapes every text it did not write itself', () => {
    const snapshot = snapshotFromFixture('iscsi-2paths-one-faulty.json');
    snapshot.maps[0] = { ...snapshot.maps[0]!, name: '<img src=x onerror=alert(1)>' };
    const html = page(snapshot, { nodename: '"><script>x</script>', configStatus: { path: "/etc/a'b.yml", valid: false, errors: ['bad <value>'], digest: 'd', applyEnabled: false } });
    expect(html).not.toMatch(/<img|<script>x/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&quot;&gt;&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('/etc/a&#39;b.yml');
    expect(html).toContain('<li>bad &lt;value&gt;</li>');
  });

  it('says why there is no table, and shows none', () => {
    const html = page({ ok: false, takenAt: 0, durationSeconds: 0, reason: 'daemon_down', message: 'connect ECONNREFUSED' });
    expect(html).toContain('<p class="reason" id="reason">multipathd is not running (connect ECONNREFUSED).</p>');
    expect(html).not.toContain('<table>');
  });

  it('shows the configuration state: valid or not, apply on or off, the last apply', () => {
    const html = page(snapshotFromFixture('no-maps.json'), {
      configStatus: { path: '/c.yml', valid: true, errors: [], digest: 'abc', applyEnabled: true, lastApply: { finishedAt: Date.UTC(2026, 0, 2), success: true, errors: [], changes: [], changed: false, reloadSuccess: true, refused: [] } },
    });
    expect(html).toContain('File <code>/c.yml</code>: valid; digest <code>abc</code>; apply enabled.');
    expect(html).toContain('Last apply 2026-01-02T00:00:00.000Z: success.');
    expect(page(undefined)).not.toContain('<h2>Configuration</h2>');
  });
});

describe('emptyReason', () => {
  it.each([
    [undefined, /No collection has run yet/],
    [{ ok: false, takenAt: 0, durationSeconds: 0, reason: 'daemon_down', message: '/sbin/multipathd not found: multipath-tools is not installed' }, /^multipath-tools is not installed on this node/],
    [{ ok: false, takenAt: 0, durationSeconds: 0, reason: 'timeout', message: 'no reply in 5 s' }, /^Reading multipathd failed: no reply in 5 s$/],
    [{ ok: true, takenAt: 0, durationSeconds: 0, maps: [], skipped: 0 }, /has assembled no maps/],
  ] as const)('%#', (snapshot, reason) => {
    expect(emptyReason(snapshot as Snapshot | undefined)).toMatch(reason);
  });

  it('is undefined when there are maps', () => {
    expect(emptyReason(snapshotFromFixture('all-six-maps.json'))).toBeUndefined();
  });
});

describe('formatBytes', () => {
  it.each([
    [undefined, ''],
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [107374182400, '100 GiB'],
    [2 ** 60, '1024 PiB'],
  ])('%s -> %j', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
