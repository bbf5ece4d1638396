// One node's copied files (text) -> the parsed, merged input of the import (pure), or every error
// with its file and line.
import { parseWwids } from '../../apply/core/apply-plan.js';
import type { NodeInput } from './merge-cluster.js';
import { type ConfFile, type ConfProblem, parseMultipathConf } from './multipath-conf.js';
import { mergeNodeFiles } from './node-config.js';
import { parseBindings, parseSavedMaps } from './state-files.js';

export interface TextFile {
  /** Shown in messages, e.g. `pve1/conf.d/10-netapp.conf`. */
  path: string;
  text: string;
}

export interface NodeFiles {
  name: string;
  /** multipath.conf first, then conf.d in multipath-tools' order (confDirOrder). */
  confFiles: TextFile[];
  wwids?: TextFile;
  bindings?: TextFile;
  maps?: TextFile;
}

export type LoadedNode = { ok: true; input: NodeInput; warnings: ConfProblem[] } | { ok: false; errors: ConfProblem[] };

export function loadNode(files: NodeFiles): LoadedNode {
  const errors: ConfProblem[] = [];
  const warnings: ConfProblem[] = [];
  const parsed: ConfFile[] = [];
  for (const f of files.confFiles) {
    const r = parseMultipathConf(f.text, f.path);
    if (r.ok) {
      parsed.push(r.conf);
      warnings.push(...r.warnings);
    } else errors.push(...r.errors);
  }
  const bindings = files.bindings ? parseBindings(files.bindings.text, files.bindings.path) : { bindings: [], warnings: [] };
  warnings.push(...bindings.warnings);
  let maps;
  if (files.maps) {
    const r = parseSavedMaps(files.maps.text, files.maps.path);
    if (r.ok) maps = r.maps;
    else errors.push(r.error);
  }
  if (errors.length > 0) return { ok: false, errors };
  const merged = mergeNodeFiles(parsed);
  warnings.push(...merged.warnings);
  return {
    ok: true,
    input: { name: files.name, conf: merged.conf, wwids: parseWwids(files.wwids?.text ?? null), bindings: bindings.bindings, maps },
    warnings,
  };
}
