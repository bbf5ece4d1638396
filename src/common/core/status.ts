// Plain-data status shared between the I/O edges (collector, apply loop) and the pure renderers
// (metrics, landing page), and its one constructor.
import { clusterDigest, type Config } from './config.js';

/** Outcome of one apply pass (see src/apply/io/apply.ts). */
export interface ApplyReport {
  /** Epoch milliseconds when the pass finished. */
  finishedAt: number;
  /** True when every operation of the pass succeeded. */
  success: boolean;
  /** One human-readable line per failed operation. */
  errors: string[];
  /** One human-readable line per change made (file written/removed, WWID added/removed, reload). */
  changes: string[];
  /** True when the pass changed something on disk or in the wwids file. */
  changed: boolean;
  /** False only when a needed `multipathd reconfigure` failed. */
  reloadSuccess: boolean;
  /** Removals refused for safety (not owned, or carrying a mounted filesystem), with reasons. */
  refused: string[];
}

/** What the exporter knows about its config file and the apply loop, for metrics and the landing page. */
export interface ConfigStatus {
  /** Path of the config file in force. */
  path: string;
  /** False when the file last read was invalid (the last good config stays in force). */
  valid: boolean;
  /** The validation errors of the last read, formatted for humans. */
  errors: string[];
  /** Digest of the `cluster` section in force. */
  digest: string;
  applyEnabled: boolean;
  lastApply?: ApplyReport;
  /** Epoch milliseconds of the last pass that changed something. */
  lastChangeAt?: number;
}

/** The status of a config just read and valid, before any apply pass. */
export function configStatusOf(path: string, config: Config): ConfigStatus {
  return { path, valid: true, errors: [], digest: clusterDigest(config.cluster), applyEnabled: config.apply.enabled };
}
