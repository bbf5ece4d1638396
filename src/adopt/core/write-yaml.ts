// The imported cluster -> a commented config.yml (pure). Every issue is written next to what it is
// about, the open ones marked UNRESOLVED, so the file itself tells the admin what is left to decide.
import { Document, isMap, isSeq, type Node } from 'yaml';
import type { ImportedCluster, Issue } from './merge-cluster.js';

const LABEL: Record<Issue['severity'], string> = { unresolved: 'UNRESOLVED', resolved: 'resolved', note: 'note' };

function commentLines(issues: readonly Issue[]): string | undefined {
  if (issues.length === 0) return undefined;
  return issues.map((i) => ` ${LABEL[i.severity]}: ${i.message}`).join('\n');
}

function indentComment(text: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');
}

export interface WriteOptions {
  /** Where the files came from, for the header. */
  source: string;
}

/** Integers as YAML numbers (`no_path_retry: 30`), every other knob value as text. */
function knobValues(knobs: Record<string, string>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(knobs).map(([k, v]) => [k, /^\d{1,9}$/.test(v) ? Number(v) : v]));
}

export function importedConfigYaml(cluster: ImportedCluster, issues: readonly Issue[], options: WriteOptions): string {
  const luns = cluster.luns.map((l) => ({
    wwid: l.wwid,
    ...(l.alias !== undefined ? { alias: l.alias } : {}),
    ...(l.nodes !== undefined ? { nodes: l.nodes } : {}),
    ...(l.paths !== undefined ? { paths: l.paths } : {}),
    ...knobValues(l.knobs),
  }));
  const doc = new Document({
    cluster: {
      nodes: cluster.nodes,
      defaults: knobValues(cluster.defaults),
      luns,
      overrides: cluster.overrides,
    },
  });
  const at = (where: string) => issues.filter((i) => i.at === where);
  const open = issues.filter((i) => i.severity === 'unresolved').length;
  const header = [
    ` multipath-exporter configuration, written by \`multipath-exporter import\` from ${options.source}`,
    ` (nodes: ${cluster.nodes.join(', ')}). The same file goes on every node (reference: docs/config.md).`,
    ' Review the comments, validate with `multipath-exporter check-config` and preview each node with',
    ' `multipath-exporter plan`. apply stays off (monitor only) until you set apply.enabled: true.',
    open > 0 ? ` ${open} point(s) are UNRESOLVED: the nodes disagree or a setting could not be carried over.` : ' Every node agreed; nothing is left to decide.',
  ];
  const clusterLevel = commentLines(at('cluster'));
  doc.commentBefore = clusterLevel ? `${header.join('\n')}\n\n${clusterLevel}` : header.join('\n');

  const clusterNode = doc.get('cluster', true) as Node;
  if (!isMap(clusterNode)) throw new Error('cluster is not a map');
  const nodesNode = clusterNode.get('nodes', true);
  if (isSeq(nodesNode)) nodesNode.flow = true;
  const pair = (key: string) => clusterNode.items.find((p) => (p.key as { value?: unknown }).value === key)!;

  const defaultsPair = pair('defaults');
  const defaultsNote = [' multipath.conf `defaults` every node agrees on, on top of the managed baseline', ' (find_multipaths strict, user_friendly_names no, polling_interval 5).'].join('\n');
  const defaultsIssues = commentLines(at('defaults'));
  (defaultsPair.key as Node).commentBefore = defaultsIssues ? `${defaultsNote}\n${defaultsIssues}` : defaultsNote;

  const lunsPair = pair('luns');
  (lunsPair.key as Node).commentBefore = ' One LUN per WWID in any node\'s wwids, multipaths, bindings or saved maps; nodes: where it is seen.';
  const lunsNode = lunsPair.value;
  if (isSeq(lunsNode)) {
    cluster.luns.forEach((lun, index) => {
      const item = lunsNode.items[index] as Node;
      const text = commentLines(at(`lun:${lun.wwid}`));
      if (text) item.commentBefore = text;
      const nodes = isMap(item) ? item.get('nodes', true) : undefined;
      if (isSeq(nodes)) nodes.flow = true;
    });
  }

  const overridesPair = pair('overrides');
  const lines = [' Free multipath.conf text (devices, blacklist, blacklist_exceptions, overrides, and defaults', ' keywords the cluster config has no knob for), the same on every node.'];
  const overrideIssues = commentLines(at('overrides'));
  if (overrideIssues) lines.push(overrideIssues);
  for (const { section, variants } of cluster.overrideVariants) {
    for (const v of variants) {
      lines.push(` ${section} on ${v.nodes.join(', ')}:`);
      lines.push(v.text === undefined ? '   (none)' : indentComment(v.text));
    }
  }
  (overridesPair.key as Node).commentBefore = lines.join('\n');
  return doc.toString({ lineWidth: 0 });
}
