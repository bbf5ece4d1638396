// The HTTP edge: /metrics (one snapshot per scrape), /healthz and the landing page, on node:http
// alone: three GET routes do not need a framework, and express cost ~4 MB of idle RSS on every
// node. The app is a plain request listener that does not listen, so tests drive it with supertest.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import Negotiator from 'negotiator';
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
export function wantsGzip(req: IncomingMessage): boolean {
  return new Negotiator(req).encodings(['gzip', 'identity'])[0] === 'gzip';
}

/** A Node request listener: what startWebServer serves (and supertest drives). */
export type App = (req: IncomingMessage, res: ServerResponse) => void;

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** A whole small body with its type and exact length (node:http itself sends no body to HEAD). */
function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(body);
  for (const [name, value] of Object.entries({ ...headers, 'Content-Type': contentType, 'Content-Length': String(bytes.length) })) res.setHeader(name, value);
  res.writeHead(status);
  res.end(bytes);
}

const TEXT = 'text/plain; charset=utf-8';

export function createApp(ctx: AppContext): App {
  const processMetrics = ctx.processMetrics === false ? undefined : startProcessMetrics();

  // The map section is nearly all of a big scrape: re-render only the maps that changed, and
  // compress only the family chunks that changed.
  const mapSections = new MapSectionCache();
  const gzipMembers = new GzipMembers();

  const metrics: Route = async (req, res) => {
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
    // setHeader, not writeHead's object: headers set so stay readable (getHeader) after the fact.
    res.setHeader('Content-Type', EXPOSITION_CONTENT_TYPE);
    res.setHeader('Content-Length', String(body.reduce((n, b) => n + b.length, 0)));
    res.setHeader('Vary', 'Accept-Encoding');
    if (gzipped) res.setHeader('Content-Encoding', 'gzip');
    res.writeHead(200);
    // Chunk by chunk, never one joined buffer (the scrape can be ~10 MB); corked, so the ~40 parts
    // leave in one writev instead of a syscall each.
    res.cork();
    for (const part of body) res.write(part);
    res.uncork();
    res.end();
  };

  const routes: Record<string, Route> = {
    '/metrics': metrics,
    '/healthz': (_req, res) => send(res, 200, TEXT, 'ok\n'),
    '/': async (_req, res) => {
      const snapshot = await ctx.collector.collect();
      const page = renderLandingPage({
        nodename: ctx.nodename(),
        version: ctx.version,
        snapshot,
        configStatus: ctx.configStatus(),
        luns: lunsByWwid(ctx.config()),
      });
      send(res, 200, 'text/html; charset=utf-8', page);
    },
  };

  return (req, res) => {
    const route = routes[pathOf(req.url)];
    if (!route) return send(res, 404, TEXT, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, TEXT, 'method not allowed\n', { Allow: 'GET, HEAD' });
    Promise.resolve()
      .then(() => route(req, res))
      .catch((err: unknown) => {
        // No stack traces to clients; one log line instead.
        ctx.log.error('request failed', { path: pathOf(req.url), error: err instanceof Error ? err.message : String(err) });
        if (!res.headersSent) send(res, 500, TEXT, 'internal error\n');
        else res.destroy();
      });
  };
}

/** The path of a request target, without its query (`/metrics?x=1` is `/metrics`). */
function pathOf(url: string | undefined): string {
  const target = url ?? '/';
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}
