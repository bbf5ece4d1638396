// `multipath-exporter import`: the nodes' existing multipath files -> a commented config.yml.
// Exit 0: written, every node agreed (or every disagreement was settled by a flag); 2: written, with
// UNRESOLVED points left as comments; 1: unreadable or malformed input, nothing written; 64: usage.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { formatConfigError, parseConfigText } from '../../common/core/config-text.js';
import { writeFileAtomic } from '../../apply/io/atomic-write.js';
import { type NodeFiles, loadNode } from '../core/load-node.js';
import { type Issue, type NodeInput, importCluster } from '../core/merge-cluster.js';
import { formatConfProblem } from '../core/multipath-conf.js';
import { importedConfigYaml } from '../core/write-yaml.js';
import { LIVE_LAYOUT, readNodeDirectories, readNodeFiles } from './read-nodes.js';

export const IMPORT_USAGE = `Usage: multipath-exporter import <dir> [options]
       multipath-exporter import --local [options]

Writes a config.yml from the multipath configuration the nodes already have.
<dir> holds one directory per node, named after it, with copies of that node's
/etc/multipath.conf, /etc/multipath/conf.d/*.conf (as conf.d/), /etc/multipath/wwids,
/etc/multipath/bindings and optionally \`multipathd show maps json\` (as maps.json).

Options:
      --local              Read this node's live files instead (read-only)
      --node <name>        Node name for --local (default: the short host name)
  -o, --output <file>      Write the config here (default: standard output)
      --force              Replace an existing --output file
      --prefer <node>      Settle every disagreement with this node's value
      --resolve majority   Settle the remaining ones by a strict majority of the nodes
  -h, --help               Print this help

Exit status: 0 written, nothing left open; 2 written, UNRESOLVED points left as
comments; 1 unreadable or malformed input (nothing written); 64 bad usage.
`;

export interface ImportIo {
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** Root of the live files for --local (default /). */
  localRoot?: string;
}

const LABEL: Record<Issue['severity'], string> = { unresolved: 'UNRESOLVED', resolved: 'resolved', note: 'note' };

function formatIssue(issue: Issue): string {
  const where = issue.at.startsWith('lun:') ? `LUN ${issue.at.slice(4)}` : issue.at;
  return `${LABEL[issue.severity]}: ${where}: ${issue.message}`;
}

export async function runImportCommand(argv: readonly string[], io: ImportIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const err = io.err ?? ((t: string) => void process.stderr.write(t));
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        local: { type: 'boolean' },
        node: { type: 'string' },
        output: { type: 'string', short: 'o' },
        force: { type: 'boolean' },
        prefer: { type: 'string' },
        resolve: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err(`multipath-exporter import: ${(e as Error).message}\n\n${IMPORT_USAGE}`);
    return 64;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(IMPORT_USAGE);
    return 0;
  }
  const usage = (message: string) => {
    err(`multipath-exporter import: ${message}\n\n${IMPORT_USAGE}`);
    return 64;
  };
  if (values.local ? positionals.length > 0 : positionals.length !== 1) return usage(values.local ? '--local takes no directory' : 'give one directory (one sub-directory per node), or --local');
  if (values.resolve !== undefined && values.resolve !== 'majority') return usage(`--resolve: only "majority" is supported, got ${JSON.stringify(values.resolve)}`);
  if (values.node !== undefined && !values.local) return usage('--node is for --local (a directory names its nodes)');
  if (values.output !== undefined && existsSync(values.output) && !values.force) {
    err(`multipath-exporter import: ${values.output} exists; add --force to replace it\n`);
    return 1;
  }

  let files: NodeFiles[];
  try {
    files = values.local
      ? [await readNodeFiles(values.node ?? (hostname().split('.')[0] || 'localhost'), io.localRoot ?? '/', LIVE_LAYOUT, io.localRoot ? io.localRoot.replace(/\/+$/, '') : '')]
      : await readNodeDirectories(positionals[0]!);
  } catch (e) {
    err(`multipath-exporter import: ${(e as Error).message}\n`);
    return 1;
  }

  const inputs: NodeInput[] = [];
  const notes: Issue[] = [];
  let failed = false;
  for (const f of files) {
    const loaded = loadNode(f);
    if (!loaded.ok) {
      failed = true;
      for (const e of loaded.errors) err(`error: ${formatConfProblem(e)}\n`);
      continue;
    }
    inputs.push(loaded.input);
    for (const w of loaded.warnings) notes.push({ at: 'cluster', severity: 'note', message: formatConfProblem(w) });
  }
  if (failed) {
    err('multipath-exporter import: nothing written; fix the files above first\n');
    return 1;
  }

  const result = importCluster(inputs, { prefer: values.prefer, majority: values.resolve === 'majority' });
  const issues = [...notes, ...result.issues];
  const source = values.local ? `this node's live files (${files[0]!.name})` : positionals[0]!;
  const yaml = importedConfigYaml(result.cluster, issues, { source });
  const check = parseConfigText(yaml, values.output ?? 'config.yml');
  if (!check.ok) {
    // The import must only ever write a valid file: this is a bug, not an input problem.
    err(`multipath-exporter import: internal error, the generated config does not validate:\n${check.errors.map(formatConfigError).join('\n')}\n`);
    return 70;
  }
  for (const issue of issues) err(`${formatIssue(issue)}\n`);
  if (values.output === undefined) out(yaml);
  else {
    try {
      await writeFileAtomic(values.output, yaml);
    } catch (e) {
      err(`multipath-exporter import: ${values.output}: cannot write: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const open = issues.filter((i) => i.severity === 'unresolved').length;
  err(`${inputs.length} node(s), ${result.cluster.luns.length} LUN(s); ${open === 0 ? 'nothing left open' : `${open} UNRESOLVED point(s) left as comments`}${values.output ? `; written to ${values.output}` : ''}\n`);
  return open > 0 ? 2 : 0;
}
