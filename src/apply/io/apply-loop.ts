// Keeps the node converged: an apply pass at start, when the config file changes (fs.watch on its
// directory), every `apply.recheckInterval`, and on demand (`trigger()`, e.g. from SIGHUP). The file
// is re-read and validated every time; an invalid file keeps the last good config in force. A new
// text is applied only once it has settled (the same across two reads `settleMs` apart), so a file
// written in place in parts is never applied half-written.
import { watch, type FSWatcher } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename, dirname } from 'node:path';
import { clusterDigest, DEFAULT_PVE_DIR, defaultConfig, type Config } from '../../common/core/config.js';
import { PVE_FILES } from '../../common/core/pve/cluster.js';
import { readConfigFile, type ReadConfigResult } from '../../common/io/config-file.js';
import type { Logger } from '../../common/io/log.js';
import { configStatusOf, type ApplyReport, type ConfigStatus } from '../../common/core/status.js';
import { applyOnce, type ApplyDeps } from './apply.js';

export interface ApplyLoopOptions {
  configPath: string;
  deps?: ApplyDeps;
  /** Called after every pass that ran (apply enabled). */
  onReport?: (report: ApplyReport, config: Config) => void;
  /** Called with each new config in force (valid and different from the last). */
  onConfig?: (config: Config) => void;
  log: Logger;
  /** Debounce for file-change events, ms (default 300). */
  debounceMs?: number;
  /** A new config text must read the same twice this far apart before it is used, ms (default 1000). */
  settleMs?: number;
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
  /**
   * Stops watching and re-checking. Resolves once a pass under way has finished (nothing is written
   * after); the exporter does not wait for it on SIGTERM, since a hung multipath command must not hold up the stop.
   */
  stop(): Promise<void>;
  status(): ConfigStatus;
  /** The config in force (the last good one). */
  config(): Config;
}

export function createApplyLoop(options: ApplyLoopOptions): ApplyLoop {
  const { configPath } = options;
  const { log } = options;
  const apply = options.apply ?? applyOnce;
  const settleMs = options.settleMs ?? 1000;
  let current: Config = options.initialConfig ?? defaultConfig();
  let lastText: string | null | undefined;
  const status: ConfigStatus = configStatusOf(configPath, current);
  let watcher: FSWatcher | undefined;
  /** `cluster.source: pve`: a watch on the cluster files' directory too, and which one. */
  let sourceWatch: { dir: string; watcher: FSWatcher | undefined } | undefined;
  let watching = false;
  let timer: NodeJS.Timeout | undefined;
  let interval = 0;
  let debounce: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let previousRefused: string[] | undefined;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let stopped = false;

  /** The file read until two reads `settleMs` apart agree; undefined when it is still changing. */
  async function readSettled(): Promise<ReadConfigResult | undefined> {
    // The digest covers what the file names but does not hold (`cluster.source: pve`).
    const first = await readConfigFile(configPath);
    if (first.ok && first.text === lastText && clusterDigest(first.config.cluster) === status.digest) return first;
    await sleep(settleMs);
    const second = await readConfigFile(configPath);
    const same =
      first.ok && second.ok
        ? first.text === second.text && clusterDigest(first.config.cluster) === clusterDigest(second.config.cluster)
        : !first.ok && !second.ok && first.errors.join('\n') === second.errors.join('\n');
    return same ? second : undefined;
  }

  async function pass(): Promise<void> {
    const read = await readSettled();
    if (read === undefined) {
      // Still being written: look again right after this pass, keep everything as it is meanwhile.
      log.info('config file is changing; waiting for it to settle', { file: configPath });
      retry = setTimeout(() => void loop.trigger(), 0);
      retry.unref?.();
      return;
    }
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
        log.error('config is invalid, keeping the last good config', { file: configPath, errors: read.errors.join('\n') });
      }
      status.valid = false;
      status.errors = read.errors;
    }
    schedule();
    if (!current.apply.enabled) return;
    const report = await apply(current, configPath, options.deps);
    status.lastApply = report;
    if (report.changed) status.lastChangeAt = report.finishedAt;
    for (const line of report.changes) log.info(`apply: ${line}`);
    for (const line of report.errors) log.error(`apply error: ${line}`);
    // Refusals repeat every pass while the cause lasts: logged when they change.
    if (report.refused.join('\n') !== (previousRefused ?? []).join('\n')) for (const line of report.refused) log.warn(`apply refused a removal: ${line}`);
    previousRefused = report.refused;
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
      dirWatcher.on('error', (err) => log.warn(`watching ${dir} failed; the periodic re-check still runs`, { error: err.message }));
      return dirWatcher;
    } catch (err) {
      log.warn(`watching ${dir} failed; the periodic re-check still runs`, { error: (err as Error).message });
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
          .catch((err: Error) => log.error('apply pass failed', { error: err.stack ?? err.message }))
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
      if (retry) clearTimeout(retry);
      return running ?? Promise.resolve();
    },
    status: () => ({ ...status, errors: [...status.errors] }),
    config: () => current,
  };
  return loop;
}
