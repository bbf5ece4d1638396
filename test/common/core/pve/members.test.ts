import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCorosyncNodes, parseMembers } from '../../../../src/common/core/pve/members.js';
import { FIXTURES } from '../../../support/fixtures.js';

const fixture = (path: string) => readFileSync(`${FIXTURES}pve/${path}`, 'utf8');

describe('the cluster node list from pmxcfs', () => {
  it('.members: every node of the nodelist, online or not', () => {
    expect(parseMembers(fixture('zoned-fc-four-nodes/.members'), '.members')).toEqual({ ok: true, nodes: ['pve1', 'pve2', 'pve3', 'pve4'] });
  });

  it('.members of a standalone node: the node itself', () => {
    expect(parseMembers(fixture('standalone-node/.members'), '.members')).toEqual({ ok: true, nodes: ['pve-solo'] });
  });

  it('corosync.conf: the names in nodelist, not other sections (ring0_addr for a node without a name)', () => {
    expect(parseCorosyncNodes(fixture('zoned-fc-four-nodes/corosync.conf'), 'corosync.conf')).toEqual({ ok: true, nodes: ['pve1', 'pve2', 'pve3', 'pve4'] });
    expect(parseCorosyncNodes('nodelist {\n  node {\n    ring0_addr: pve7\n  }\n}\ntotem {\n  name: not-a-node\n}\n', 'c')).toEqual({ ok: true, nodes: ['pve7'] });
  });

  it('malformed files are errors naming the file', () => {
    expect(parseMembers('{"nodename": ', '/etc/pve/.members')).toMatchObject({ ok: false, errors: [{ file: '/etc/pve/.members', message: expect.stringMatching(/^not JSON/) }] });
    expect(parseCorosyncNodes('nodelist {\n  node {\n    name: pve1\n', '/etc/pve/corosync.conf')).toMatchObject({ ok: false, errors: [{ file: '/etc/pve/corosync.conf', message: 'unbalanced braces: 2 section(s) not closed' }] });
  });
});
