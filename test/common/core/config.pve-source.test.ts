import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/common/core/config.js';
import { formatConfigError, parseConfigText } from '../../../src/common/core/config-text.js';

const errorsOf = (yaml: string) => {
  const result = parseConfigText(yaml, 'config.yml');
  return result.ok ? [] : result.errors.map(formatConfigError);
};

describe('cluster.source', () => {
  it('source: pve with dir is valid; the YAML keeps apply, listen and node', () => {
    const result = parseConfigText('node: pve1\napply: { enabled: true }\ncluster: { source: pve, dir: /etc/pve }\n', 'config.yml');
    expect(result.ok && result.config.cluster).toMatchObject({ source: 'pve', dir: '/etc/pve', luns: [] });
  });

  it('the shared keys next to source: pve are errors (they would be ignored), each on its line', () => {
    expect(errorsOf('cluster:\n  source: pve\n  nodes: [pve1]\n  defaults: { polling_interval: 5 }\n  luns: [{ wwid: 3600abc }]\n  overrides: "devices {\\n}\\n"\n')).toEqual([
      'config.yml: line 3: cluster.nodes: comes from the Proxmox VE cluster files with source: pve (/etc/pve); remove it here',
      'config.yml: line 4: cluster.defaults: comes from the Proxmox VE cluster files with source: pve (/etc/pve); remove it here',
      'config.yml: line 5: cluster.luns: comes from the Proxmox VE cluster files with source: pve (/etc/pve); remove it here',
      'config.yml: line 6: cluster.overrides: comes from the Proxmox VE cluster files with source: pve (/etc/pve); remove it here',
    ]);
  });

  it('dir without source: pve, a relative dir and an unknown source are errors', () => {
    expect(errorsOf('cluster: { dir: /etc/pve }\n')).toEqual(['config.yml: line 1: cluster.dir: is only read with source: pve']);
    expect(errorsOf('cluster: { source: pve, dir: pve }\n')).toEqual(['config.yml: line 1: cluster.dir: must be an absolute path']);
    expect(errorsOf('cluster: { source: ceph }\n')).toEqual(['config.yml: line 1: cluster.source: must be one of yaml, pve']);
  });

  it('an existing config keeps its digest: the new keys are optional, not defaulted into the cluster section', () => {
    const cluster = defaultConfig().cluster;
    expect(Object.keys(cluster).filter((k) => cluster[k as keyof typeof cluster] !== undefined).sort()).toEqual(['defaults', 'luns', 'overrides']);
    const explicit = parseConfigText('cluster: { source: yaml }\n', 'config.yml');
    expect(explicit.ok && explicit.config.cluster.source).toBe('yaml');
  });
});
