// `multipath-exporter serve`: the long-running exporter. The apply loop owns the config in force
// (re-read on change, on SIGHUP and periodically); the collector reads multipathd per scrape.
import { defaultConfig, type ListenAddress } from './common/core/config.js';
import { nodeName, readConfigFile } from './common/io/config-file.js';
import { clientFor, stderrWarner } from './scrape/io/multipathd-client.js';
import { createApplyLoop } from './apply/io/apply-loop.js';
import { createCollector } from './scrape/io/collector.js';
import { createApp } from './web/io/http.js';
import type { Logger } from './common/io/log.js';
import { startWebServer } from './web/io/web-server.js';

export interface ServeOptions {
  configPath: string;
  listen?: ListenAddress;
  webConfigFile?: string;
  log: Logger;
  version: string;
}

export async function serve(opts: ServeOptions): Promise<number> {
  const { log } = opts;
  // The listen address and web config come from a first read of the file (defaults when invalid;
  // the loop then reports the errors), so the exporter listens before the first apply pass: a slow
  // `multipath -a` must not keep /metrics down.
  const initial = await readConfigFile(opts.configPath);
  const config = initial.ok ? initial.config : defaultConfig();
  const loop = createApplyLoop({
    configPath: opts.configPath,
    initialConfig: config,
    log,
    onConfig: (config) => log.info('config in force', { file: opts.configPath, node: nodeName(config), luns: config.cluster.luns.length, apply: config.apply.enabled }),
  });
  const stderrLog = stderrWarner(log);
  const collector = createCollector({
    client: () => clientFor(loop.config(), stderrLog),
    sysfsRoot: () => loop.config().sysfsRoot,
    log,
  });
  const listen = opts.listen ?? config.listen;
  const app = createApp({
    collector,
    config: () => loop.config(),
    configStatus: () => loop.status(),
    nodename: () => nodeName(loop.config()),
    version: opts.version,
    log,
  });
  const web = await startWebServer(app, {
    host: listen.host,
    port: listen.port,
    webConfigFile: opts.webConfigFile ?? config.webConfigFile,
    log,
  });
  void loop.start();
  log.info('listening', { url: web.url, node: nodeName(config), version: opts.version });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info('stopping', { signal });
      void loop.stop();
      void web.close().then(() => resolve(0));
    };
    // process.on, not once: execa's child cleanup (signal-exit) re-raises a signal that no other
    // listener handles, which would kill the process while it is still closing.
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      log.info('SIGHUP: re-reading config and web config');
      void loop.trigger();
      // A failed reload logs its error itself and keeps the old settings.
      void web.reload().catch(() => undefined);
    });
  });
}
