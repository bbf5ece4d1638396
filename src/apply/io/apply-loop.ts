// Keeps the node converged: an apply pass at start, when the config file changes (fs.watch on its
// directory), every `apply.recheckInterval`, and on demand (`trigger()`, e.g. from SIGHUP). The file
// is re-read and validated every time; an invalid file keeps the last good config in force.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { clusterDigest, defaultConfig, type Config } from '../../common/core/config.js';
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
  let timer: NodeJS.Timeout | undefined;
  let interval = 0;
  let debounce: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let stopped = false;

  async function pass(): Promise<void> {
    const read = await readConfigFile(configPath);
    if (read.ok) {
      const isNew = read.text !== lastText;
      current = read.config;
      lastText = read.text;
      status.valid = true;
      status.errors = [];
      status.digest = clusterDigest(current.cluster);
      status.applyEnabled = current.apply.enabled;
      if (isNew) options.onConfig?.(current);
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

  function watchDir(): void {
    try {
      const name = basename(configPath);
      watcher = watch(dirname(configPath), { persistent: false }, (_event, file) => {
        if (file !== null && file !== undefined && String(file) !== name) return;
        if (debounce) clearTimeout(debounce);
        debounce = setTimeout(() => void loop.trigger(), options.debounceMs ?? 300);
        debounce.unref?.();
      });
      watcher.on('error', (err) => log(`watching ${dirname(configPath)} failed: ${err.message}; the periodic re-check still runs`));
    } catch (err) {
      log(`watching ${dirname(configPath)} failed: ${(err as Error).message}; the periodic re-check still runs`);
    }
  }

  const loop: ApplyLoop = {
    async start() {
      await loop.trigger();
      if (!stopped) watchDir();
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
      if (timer) clearInterval(timer);
      if (debounce) clearTimeout(debounce);
    },
    status: () => ({ ...status, errors: [...status.errors] }),
    config: () => current,
  };
  return loop;
}
