import { describe, expect, it } from 'vitest';
import { formatConfigError, parseConfigText } from '../../../src/common/core/config-text.js';
import { Cluster, clusterDigest, Config, defaultConfig, isExpectedOn } from '../../../src/common/core/config.js';

const FILE = '/etc/multipath-exporter/config.yml';

function errorsOf(text: string): string[] {
  const result = parseConfigText(text, FILE);
  if (result.ok) throw new Error('expected errors');
  return result.errors.map(formatConfigError);
}

describe('config file', () => {
  it('parses the documented example with its defaults filled in', () => {
    const result = parseConfigText(
      `node: pve1
listen: ":10036"
multipathd: { transport: socket, command: [/sbin/multipathd], timeout: 5s }
sysfsRoot: /sys
apply: { enabled: true, confDir: /etc/multipath/conf.d }
cluster:
  nodes: [pve1, pve2, pve3]
  defaults: { no_path_retry: queue, polling_interval: 5 }
  luns:
    - wwid: 3600140500a1b2c3d4e5f6a7b8c9d0e1f
      alias: san-a-lun0
      nodes: [pve1, pve2]
      paths: 4
      usedBy: vmstore
      no_path_retry: 18
  overrides: |
    devices {
      device {
        vendor "LIO-ORG"
        product ".*"
      }
    }
`,
      FILE,
    );
    if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
    const c = result.config;
    expect(c.listen).toEqual({ host: undefined, port: 10036 });
    expect(c.multipathd).toMatchObject({ transport: 'socket', timeout: 5000, socket: '@/org/kernel/linux/storage/multipathd', maxReplyBytes: 32 * 1024 * 1024 });
    expect(c.apply).toMatchObject({ enabled: true, wwidsFile: '/etc/multipath/wwids', stateDir: '/var/lib/multipath-exporter', multipath: ['/sbin/multipath'] });
    expect(c.cluster.defaults).toEqual({ no_path_retry: 'queue', polling_interval: '5' });
    expect(c.cluster.luns[0]).toMatchObject({ alias: 'san-a-lun0', paths: 4, usedBy: 'vmstore', no_path_retry: '18' });
  });

  it('a missing section means built-in defaults: monitor only, transport auto', () => {
    const c = defaultConfig();
    expect(c.multipathd.transport).toBe('auto');
    expect(c.apply.enabled).toBe(false);
    expect(c.cluster.luns).toEqual([]);
    expect(c.perPathMetrics).toBe(true);
  });

  it.each([
    ['apply:\n  enabled: true\n  bogus: 1\n', /line 3: apply: unknown key\(s\) "bogus"; allowed: .*confDir/],
    ['cluster:\n  luns:\n    - wwid: 3600a\n      no-path-retry: 3\n', /line 4: cluster\.luns\[0\]: unknown key\(s\) "no-path-retry"; allowed: .*no_path_retry/],
    ['cluster:\n  defaults:\n    polling_interval: 10s\n', /line 3: cluster\.defaults\.polling_interval: must be an integer from 1 to 3600/],
    ['cluster:\n  defaults:\n    polling_interval: -5\n', /polling_interval: must be an integer/],
    ['listen: "10036"\n', /line 1: listen: must be \[host\]:port/],
    ['multipathd:\n  timeout: soon\n', /line 2: multipathd\.timeout: must be a positive duration/],
    ['cluster:\n  luns:\n    - { wwid: "36 00" }\n', /cluster\.luns\[0\]\.wwid: must be a WWID/],
    ['cluster: [\n', /YAML syntax/],
    ['node: pve1\nnode: pve2\n', /YAML syntax/],
  ])('rejects %j with the file, line, YAML path and what is allowed', (text, message) => {
    const errors = errorsOf(text);
    expect(errors.join('\n')).toMatch(message);
    expect(errors[0]).toMatch(new RegExp(`^${FILE}`));
  });

  it('rejects two LUNs with one alias and a WWID listed twice', () => {
    const errors = errorsOf('cluster:\n  luns:\n    - { wwid: 3600a, alias: shared }\n    - { wwid: 3600b, alias: shared }\n    - { wwid: 3600a }\n');
    expect(errors).toContain(`${FILE}: line 4: cluster.luns[1].alias: alias "shared" is also used by luns[0] (3600a); multipathd would keep only the lowest WWID's map`);
    expect(errors.some((e) => /luns\[2\]\.wwid: WWID 3600a is listed twice/.test(e))).toBe(true);
  });

  it('rejects hostile override text through the guard, naming the override line', () => {
    const errors = errorsOf('cluster:\n  overrides: |\n    devices {\n    multipaths {\n    }\n');
    expect(errors.join('\n')).toMatch(/overrides: override line 2: 'multipaths' is generated/);
    expect(errors.join('\n')).toMatch(/unbalanced braces/);
  });
});

describe('expected nodes', () => {
  const cluster = Cluster.parse({ nodes: ['a', 'b', 'c'], luns: [{ wwid: 'w1', nodes: ['a'] }, { wwid: 'w2' }] });
  const open = Cluster.parse({ luns: [{ wwid: 'w3' }] });
  it.each([
    [cluster, 0, 'a', true],
    [cluster, 0, 'b', false], // the LUN's own list wins
    [cluster, 1, 'b', true], // falls back to cluster.nodes
    [cluster, 1, 'z', false],
    [open, 0, 'anything', true], // neither set: every node running this config
  ])('case %#', (c, index, node, expected) => {
    expect(isExpectedOn(c.luns[index]!, c, node)).toBe(expected);
  });
});

describe('cluster digest', () => {
  it('is equal for equal config written differently, and changes with the content', () => {
    const a = Config.parse({ cluster: { nodes: ['n1'], luns: [{ wwid: 'w1', alias: 'x', no_path_retry: 18 }] } });
    const b = Config.parse({ node: 'other', cluster: { luns: [{ no_path_retry: '18', alias: 'x', wwid: 'w1' }], nodes: ['n1'] } });
    const c = Config.parse({ cluster: { nodes: ['n1'], luns: [{ wwid: 'w1', alias: 'y', no_path_retry: 18 }] } });
    expect(clusterDigest(a.cluster)).toBe(clusterDigest(b.cluster));
    expect(clusterDigest(a.cluster)).not.toBe(clusterDigest(c.cluster));
    expect(clusterDigest(a.cluster)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("multipath-tools' own limits", () => {
  it('a WWID is at most 127 characters (WWID_SIZE 128 with its NUL; multipath -a fails for more)', () => {
    const wwid = (n: number) => `3${'6'.repeat(n - 1)}`;
    expect(parseConfigText(`cluster:\n  luns: [{ wwid: "${wwid(127)}" }]\n`, FILE).ok).toBe(true);
    expect(errorsOf(`cluster:\n  luns: [{ wwid: "${wwid(128)}" }]\n`)).toEqual([expect.stringMatching(/cluster\.luns\[0\]\.wwid: must be a WWID .*at most 127/)]);
  });

  it('a cluster.defaults knob whose line would pass 1023 bytes is rejected at its path', () => {
    const long = `1 ${'w'.repeat(1100)}`;
    expect(errorsOf(`cluster:\n  defaults:\n    features: "${long}"\n`)).toEqual([
      expect.stringMatching(/^\/etc\/multipath-exporter\/config\.yml: line 3: cluster\.defaults\.features: the rendered line "features \.\.\." is 1114 bytes, over multipath-tools' limit of 1023 bytes/),
    ]);
  });
});

describe('durations', () => {
  it('go through the one duration parser: Go notation or a number of seconds', () => {
    const timeout = (v: string) => Config.parse({ multipathd: { timeout: v } }).multipathd.timeout;
    expect([timeout('500ms'), timeout('5s'), timeout('1m30s'), timeout('2'), timeout('1.5')]).toEqual([500, 5000, 90_000, 2000, 1500]);
    expect(Config.safeParse({ multipathd: { timeout: '5 s' } }).success).toBe(false);
    expect(Config.safeParse({ multipathd: { timeout: '0s' } }).success).toBe(false);
  });
});
