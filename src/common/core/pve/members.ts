// The cluster's node names from pmxcfs: /etc/pve/.members (pmxcfs' JSON view of the corosync
// membership; a standalone node lists only itself) or, without it, corosync.conf's `nodelist`.
// Online state is not read: an offline node is still a node of the cluster. Pure.
import { z } from 'zod';
import type { ConfigError } from '../yaml-schema.js';

export type NodesResult = { ok: true; nodes: string[] | undefined } | { ok: false; errors: ConfigError[] };

const Members = z.object({
  nodename: z.string().optional(),
  nodelist: z.record(z.string(), z.unknown()).optional(),
});

/** `.members`: the `nodelist` keys, else the standalone node's own `nodename`. */
export function parseMembers(text: string, file: string): NodesResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [{ file, path: '', message: `not JSON: ${(err as Error).message}` }] };
  }
  const members = Members.safeParse(json);
  if (!members.success) return { ok: false, errors: [{ file, path: '', message: `not a pmxcfs member list: ${members.error.issues[0]!.message}` }] };
  const { nodelist, nodename } = members.data;
  const nodes = nodelist ? Object.keys(nodelist) : nodename ? [nodename] : [];
  return { ok: true, nodes: nodes.length > 0 ? nodes.sort() : undefined };
}

/** corosync.conf: every `nodelist { node { name: ... } }` (`ring0_addr` when a node has no name, as PVE does). */
export function parseCorosyncNodes(text: string, file: string): NodesResult {
  const stack: string[] = [];
  const nodes: string[] = [];
  let node: Record<string, string> = {};
  const errors: ConfigError[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const open = /^(\S+)\s*\{$/.exec(line);
    const pair = /^([^:\s]+)\s*:\s*(.*)$/.exec(line);
    if (open) {
      stack.push(open[1]!);
      if (stack.join('.') === 'nodelist.node') node = {};
    } else if (line === '}') {
      if (stack.join('.') === 'nodelist.node') {
        const name = node.name ?? node.ring0_addr;
        if (name) nodes.push(name);
        else errors.push({ file, line: index + 1, path: 'nodelist.node', message: 'a node without name or ring0_addr' });
      }
      if (stack.pop() === undefined) errors.push({ file, line: index + 1, path: '', message: 'unbalanced "}"' });
    } else if (pair) {
      if (stack.join('.') === 'nodelist.node') node[pair[1]!] = pair[2]!.trim();
    } else {
      errors.push({ file, line: index + 1, path: stack.join('.'), message: `expected "key: value", "<section> {" or "}", got ${JSON.stringify(raw.trim())}` });
    }
  });
  if (stack.length > 0) errors.push({ file, path: stack.join('.'), message: `unbalanced braces: ${stack.length} section(s) not closed` });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, nodes: nodes.length > 0 ? nodes.sort() : undefined };
}
