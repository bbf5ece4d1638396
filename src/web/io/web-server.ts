// The HTTP(S) listener: plain HTTP without a web config; with `--web.config.file` (exporter-toolkit
// format, see src/web/core/web-config.ts) HTTPS with optional client certificates
// (src/web/core/client-cert-policy.ts), basic auth (src/web/core/basic-auth.ts, bcrypt on worker
// threads), fixed response headers and an optional rate limit (src/web/core/rate-limiter.ts).
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../common/io/log.js';
import { BasicAuth, type PasswordCompare } from '../core/basic-auth.js';
import { clientCertRefusal } from '../core/client-cert-policy.js';
import { RateLimiter } from '../core/rate-limiter.js';
import type { WebConfig } from '../core/web-config.js';
import { type BcryptPool, createBcryptPool } from './bcrypt-pool.js';
import { peerCertificateOf, tlsServerOptions } from './tls.js';
import { loadWebConfig, WebConfigError } from './web-config-file.js';

/** Any Node request listener (the app of src/web/io/http.ts is one). */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface WebServerOptions {
  /** Address to bind; absent or empty: every interface. */
  host?: string;
  port: number;
  /** exporter-toolkit web config file; absent: plain HTTP, no authentication. */
  webConfigFile?: string;
  /** TLS on/off and reloads at info; refused connections at warn; a failed reload at error. */
  log?: Logger;
}

export interface WebServer {
  server: Server;
  /** Base URL, e.g. `https://127.0.0.1:10036/`. */
  url: string;
  close(): Promise<void>;
  /**
   * Re-read the web config file (SIGHUP): users, headers, rate limit and the TLS certificate, key
   * and client CA. Rejects (and logs the error), keeping the old settings, when the file is invalid
   * or would switch between HTTP and HTTPS (that needs a restart).
   */
  reload(): Promise<void>;
}

const SILENT: Logger = { info: () => {}, warn: () => {}, error: () => {} };

interface Active {
  config: WebConfig;
  auth: BasicAuth;
  limiter?: RateLimiter;
}

function activate(config: WebConfig, compare: PasswordCompare): Active {
  return {
    config,
    auth: new BasicAuth(config.users, { compare }),
    ...(config.rateLimit ? { limiter: new RateLimiter(config.rateLimit.intervalMs, config.rateLimit.burst) } : {}),
  };
}

function urlHost(host: string | undefined): string {
  if (!host || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

const remoteOf = (socket: Socket | undefined) => (socket?.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : undefined);

function tooMany(res: ServerResponse): void {
  res.writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1' }).end('Too Many Requests\n');
}

/** Start the listener. Resolves once it accepts connections; rejects on a bad web config or bind error. */
export async function startWebServer(app: RequestListener, opts: WebServerOptions): Promise<WebServer> {
  const log = opts.log ?? SILENT;
  // Threads start on the first password check, so a server without users never starts one.
  let pool: BcryptPool | undefined;
  const compare: PasswordCompare = (password, hash) => (pool ??= createBcryptPool()).compare(password, hash);
  let active = activate(opts.webConfigFile ? await loadWebConfig(opts.webConfigFile) : { users: {}, headers: {} }, compare);

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const current = active;
    for (const [name, value] of Object.entries(current.config.headers)) res.setHeader(name, value);
    if (current.limiter && !current.limiter.take()) return tooMany(res);
    if (!current.auth.enabled) {
      app(req, res);
      return;
    }
    current.auth.check(req.headers.authorization).then(
      (result) => {
        if (result === 'ok') {
          app(req, res);
          return;
        }
        // More password checks at once than the bound: turned away before any bcrypt work.
        if (result === 'busy') return tooMany(res);
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="multipath-exporter"', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Unauthorized\n');
      },
      (err: unknown) => {
        log.error('basic auth check failed', { error: err instanceof Error ? err.message : String(err) });
        res.writeHead(500).end();
      },
    );
  };

  let server: http.Server | https.Server;
  const tls = active.config.tls;
  if (tls) {
    server = https.createServer(await tlsServerOptions(tls), handler);
    server.on('secureConnection', (socket: TLSSocket) => {
      const policy = active.config.tls;
      const refusal = policy && clientCertRefusal(peerCertificateOf(socket), policy);
      if (!refusal) return;
      log.warn('TLS connection refused', { remote: remoteOf(socket), reason: refusal });
      socket.destroy();
    });
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      log.warn('TLS handshake failed', { remote: remoteOf(socket), error: err.message.trim() });
    });
    log.info(`TLS enabled (client auth ${tls.clientAuth}, min ${tls.minVersion})${active.auth.enabled ? ', basic auth enabled' : ''}`);
  } else {
    server = http.createServer(handler);
    if (opts.webConfigFile) {
      if (active.auth.enabled) log.warn('TLS disabled: the web config has no TLS settings; basic auth enabled over plain HTTP');
      else log.info('TLS disabled: the web config has no TLS settings');
    }
  }
  // Bounded: a scraper that stalls cannot hold a connection for ever.
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen({ port: opts.port, ...(opts.host ? { host: opts.host } : {}) }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `${tls ? 'https' : 'http'}://${urlHost(opts.host)}:${address.port}/`;

  const reload = async (file: string) => {
    const next = await loadWebConfig(file);
    if (Boolean(next.tls) !== Boolean(active.config.tls)) {
      throw new WebConfigError(`${file}: switching between HTTP and HTTPS needs a restart; keeping the current settings`);
    }
    if (next.tls && next.tls.clientAuth !== active.config.tls?.clientAuth) {
      throw new WebConfigError(`${file}: changing client_auth_type needs a restart; keeping the current settings`);
    }
    if (next.tls) (server as https.Server).setSecureContext(await tlsServerOptions(next.tls));
    active = activate(next, compare);
    log.info('web config reloaded', { file });
  };

  return {
    server,
    url,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await pool?.close();
    },
    async reload() {
      if (!opts.webConfigFile) return;
      try {
        await reload(opts.webConfigFile);
      } catch (err) {
        log.error('web config reload failed, keeping the old one', { error: (err as Error).message });
        throw err;
      }
    },
  };
}
