// The HTTP edge: /metrics (one snapshot -> one fresh registry per scrape), /healthz and the
// landing page. The app factory does not listen, so tests drive it with supertest.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../../common/core/config.js';
import { renderLandingPage } from '../core/landing-page.js';
import { startProcessMetrics } from './process-metrics.js';
import { MapSectionCache } from '../../scrape/core/map-section.js';
import { lunsByWwid, renderMetricsChunks } from '../../scrape/core/metrics.js';
import type { ConfigStatus } from '../../common/core/status.js';
import type { Collector } from '../../scrape/io/collector.js';
import type { Logger } from '../../common/io/log.js';

export interface AppContext {
  collector: Collector;
  /** The config in force (it may change on reload). */
  config: () => Config;
  configStatus: () => ConfigStatus | undefined;
  nodename: () => string;
  version: string;
  log: Logger;
  /** Include process_* and nodejs_* metrics (default true). */
  processMetrics?: boolean;
}

/** The text exposition format's content type, as every Prometheus client library sends it. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const gzipAsync = promisify(gzip);

/**
 * gzip members of exposition chunks, kept per chunk Buffer while that Buffer lives. A gzip stream
 * may hold several members one after another (RFC 1952), and every client that decodes gzip reads
 * them as one body, so a reply is the members of its chunks in order: a chunk the map section
 * kept from the last scrape is not compressed again. Compressed off the event loop (libuv's pool).
 */
export class GzipMembers {
  private readonly members = new WeakMap<Buffer, Promise<Buffer>>();

  of(chunk: Buffer): Promise<Buffer> {
    let member = this.members.get(chunk);
    if (!member) {
      member = gzipAsync(chunk);
      this.members.set(chunk, member);
    }
    return member;
  }
}

/** gzip when the request accepts it with q > 0 (as promhttp negotiates), else identity. */
export function wantsGzip(req: Request): boolean {
  return req.acceptsEncodings('gzip', 'identity') === 'gzip';
}

export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  // An ETag means hashing every response; a 10 MB exposition made that a large share of a scrape.
  app.set('etag', false);
  const processMetrics = ctx.processMetrics === false ? undefined : startProcessMetrics();

  // The map section is nearly all of a big scrape: re-render only the maps that changed, and
  // compress only the family chunks that changed.
  const mapSections = new MapSectionCache();
  const gzipMembers = new GzipMembers();

  app.get('/metrics', async (req, res) => {
    const snapshot = await ctx.collector.collect();
    const chunks = renderMetricsChunks({
      snapshot,
      failures: ctx.collector.failures(),
      config: ctx.config(),
      nodename: ctx.nodename(),
      version: ctx.version,
      configStatus: ctx.configStatus(),
    }, (maps, config) => mapSections.renderChunks(maps, config));
    if (processMetrics) chunks.push(Buffer.from(`\n${processMetrics.render()}`));
    const gzipped = wantsGzip(req);
    const body = gzipped ? await Promise.all(chunks.map((chunk) => gzipMembers.of(chunk))) : chunks;
    res.vary('Accept-Encoding');
    res.set({ 'Content-Type': EXPOSITION_CONTENT_TYPE, 'Content-Length': String(body.reduce((n, b) => n + b.length, 0)) });
    if (gzipped) res.set('Content-Encoding', 'gzip');
    // Chunk by chunk, never one joined buffer (the scrape can be ~10 MB); corked, so the ~40 parts
    // leave in one writev instead of a syscall each.
    res.cork();
    for (const part of body) res.write(part);
    res.uncork();
    res.end();
  });

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });

  app.get('/', async (_req, res) => {
    const snapshot = await ctx.collector.collect();
    res.type('html').send(
      renderLandingPage({
        nodename: ctx.nodename(),
        version: ctx.version,
        snapshot,
        configStatus: ctx.configStatus(),
        luns: lunsByWwid(ctx.config()),
      }),
    );
  });

  // No stack traces to clients; one log line instead.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    ctx.log.error('request failed', { error: err instanceof Error ? err.message : String(err) });
    res.status(500).type('text/plain').send('internal error\n');
  });
  return app;
}
