// Keeps the node converged: an apply pass at start, when the config file changes (fs.watch on its
// directory), every `apply.recheckInterval`, and on demand (`trigger()`, e.g. from SIGHUP). The file
// is re-read and validated every time; an invalid file keeps the last good config in force.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { clusterDigest, DEFAULT_PVE_DIR, defaultConfig, type Config } from '../../common/core/config.js';
import { PVE_FILES } from '../../common/core/pve/cluster.js';
import { readConfigFile } from '../../common/io/config-file.js';
import type { ApplyReport, ConfigStatus } from '../../common/core/status.js';
import { applyOnce, type ApplyDeps } from './apply.js';

export interface ApplyLoopOptions {
  configPath: string;
  deps?: ApplyDeps;
  /** Called after every pass that ran (apply enabled). */
  onReport?: (report: ApplyReport, config: Config) => void;
  /** Called with each new config in force (valid and different from the last). */
  onConfig?: (config: Config) => void;
  log?: (line: string) => void;
  /** Debounce for file-change events, ms (default 300). */
  debounceMs?: number;
  /** The config in force until the first pass has read the file (serve reads it once to listen). */
  initialConfig?: Config;
  /** Replaces `applyOnce` (tests). */
  apply?: typeof applyOnce;
}

export interface ApplyLoop {
  /** Reads the config, runs the first pass and starts watching. Resolves after the first pass. */
  start(): Promise<void>;
  /** Re-reads the config and runs a pass; concurrent calls share one pass (plus one queued). */
  trigger(): Promise<void>;
  stop(): void;
  status(): ConfigStatus;
  /** The config in force (the last good one). */
  config(): Config;
}

export function createApplyLoop(options: ApplyLoopOptions): ApplyLoop {
  const { configPath } = options;
  const log = options.log ?? ((line: string) => console.error(line));
  const apply = options.apply ?? applyOnce;
  let current: Config = options.initialConfig ?? defaultConfig();
  let lastText: string | null | undefined;
  const status: ConfigStatus = { path: configPath, valid: true, errors: [], digest: clusterDigest(current.cluster), applyEnabled: false };
  let watcher: FSWatcher | undefined;
  /** `cluster.source: pve`: a watch on the cluster files' directory too, and which one. */
  let sourceWatch: { dir: string; watcher: FSWatcher | undefined } | undefined;
  let watching = false;
  let timer: NodeJS.Timeout | undefined;
  let interval = 0;
  let debounce: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let stopped = false;

  async function pass(): Promise<void> {
    const read = await readConfigFile(configPath);
    if (read.ok) {
      // With `source: pve` the cluster part can change while the file stays the same.
      const isNew = read.text !== lastText || clusterDigest(read.config.cluster) !== status.digest;
      current = read.config;
      lastText = read.text;
      status.valid = true;
      status.errors = [];
      status.digest = clusterDigest(current.cluster);
      status.applyEnabled = current.apply.enabled;
      if (isNew) options.onConfig?.(current);
      watchSource();
    } else {
      if (status.valid || status.errors.join('\n') !== read.errors.join('\n')) {
        log(`config ${configPath} is invalid, keeping the last good config:\n  ${read.errors.join('\n  ')}`);
      }
      status.valid = false;
      status.errors = read.errors;
    }
    schedule();
    if (!current.apply.enabled) return;
    const report = await apply(current, configPath, options.deps);
    status.lastApply = report;
    if (report.changed) status.lastChangeAt = report.finishedAt;
    for (const line of report.changes) log(`apply: ${line}`);
    for (const line of report.errors) log(`apply error: ${line}`);
    options.onReport?.(report, current);
  }

  function schedule(): void {
    if (stopped || interval === current.apply.recheckInterval) return;
    interval = current.apply.recheckInterval;
    if (timer) clearInterval(timer);
    timer = setInterval(() => void loop.trigger(), interval);
    timer.unref?.();
  }

  /** Triggers a pass (debounced) when one of `names` in `dir` changes. */
  function watchDir(dir = dirname(configPath), names: readonly string[] = [basename(configPath)]): FSWatcher | undefined {
    try {
      const dirWatcher = watch(dir, { persistent: false }, (_event, file) => {
        if (file !== null && file !== undefined && !names.includes(String(file))) return;
        if (debounce) clearTimeout(debounce);
        debounce = setTimeout(() => void loop.trigger(), options.debounceMs ?? 300);
        debounce.unref?.();
      });
      dirWatcher.on('error', (err) => log(`watching ${dir} failed: ${err.message}; the periodic re-check still runs`));
      return dirWatcher;
    } catch (err) {
      log(`watching ${dir} failed: ${(err as Error).message}; the periodic re-check still runs`);
      return undefined;
    }
  }

  /** Follows `cluster.dir` while `cluster.source` is pve (changes arriving from other nodes need the periodic re-check). */
  function watchSource(): void {
    const dir = current.cluster.source === 'pve' ? (current.cluster.dir ?? DEFAULT_PVE_DIR) : undefined;
    if (stopped || !watching || sourceWatch?.dir === dir) return;
    sourceWatch?.watcher?.close();
    sourceWatch = dir === undefined ? undefined : { dir, watcher: watchDir(dir, PVE_FILES) };
  }

  const loop: ApplyLoop = {
    async start() {
      await loop.trigger();
      if (!stopped) {
        watcher = watchDir();
        watching = true;
        watchSource();
      }
    },
    trigger() {
      if (stopped) return Promise.resolve();
      if (!running) {
        running = pass()
          .catch((err: Error) => log(`apply pass failed: ${err.stack ?? err.message}`))
          .finally(() => {
            running = undefined;
          });
        return running;
      }
      // A pass is under way: queue exactly one more after it, shared by every caller meanwhile.
      queued ??= running.then(() => {
        queued = undefined;
        return loop.trigger();
      });
      return queued;
    },
    stop() {
      stopped = true;
      watcher?.close();
      sourceWatch?.watcher?.close();
      if (timer) clearInterval(timer);
      if (debounce) clearTimeout(debounce);
    },
    status: () => ({ ...status, errors: [...status.errors] }),
    config: () => current,
  };
  return loop;
}
