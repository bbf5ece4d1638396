// The HTTP(S) listener: plain HTTP without a web config; with `--web.config.file` (exporter-toolkit
// format, see src/web/core/web-config.ts) HTTPS with optional client certificates, basic auth with
// bcrypt hashes, fixed response headers and an optional rate limit.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import bcrypt from 'bcryptjs';
import { formatConfigError } from '../../common/core/config-text.js';
import { parseWebConfigText, type ResolvedTls, type Source, type WebConfig } from '../core/web-config.js';

/** Any Node request listener; an express app is one. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface WebServerOptions {
  /** Address to bind; absent or empty: every interface. */
  host?: string;
  port: number;
  /** exporter-toolkit web config file; absent: plain HTTP, no authentication. */
  webConfigFile?: string;
  /** One line per event (TLS on/off, reload). */
  log?: (line: string) => void;
}

export interface WebServer {
  server: Server;
  /** Base URL, e.g. `https://127.0.0.1:10036/`. */
  url: string;
  close(): Promise<void>;
  /**
   * Re-read the web config file (SIGHUP): users, headers, rate limit and the TLS certificate, key
   * and client CA. Rejects, keeping the old settings, when the file is invalid or would switch
   * between HTTP and HTTPS (that needs a restart).
   */
  reload(): Promise<void>;
}

export class WebConfigError extends Error {}

/** Read and validate a web config file; errors name the file, line and YAML path. */
export async function loadWebConfig(file: string): Promise<WebConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new WebConfigError(`${file}: cannot read web config: ${(e as Error).message}`);
  }
  const result = parseWebConfigText(text, file);
  if (!result.ok) throw new WebConfigError(result.errors.map(formatConfigError).join('\n'));
  return result.config;
}

async function readSource(src: Source, what: string): Promise<string> {
  if ('inline' in src) return src.inline;
  try {
    return await readFile(src.file, 'utf8');
  } catch (e) {
    throw new WebConfigError(`cannot read ${what} ${src.file}: ${(e as Error).message}`);
  }
}

/** Node TLS server options for a resolved tls_server_config (reads the files it names). */
export async function tlsServerOptions(tls: ResolvedTls): Promise<https.ServerOptions> {
  const [cert, key, ca] = await Promise.all([
    readSource(tls.cert, 'certificate'),
    readSource(tls.key, 'key'),
    tls.clientCa ? readSource(tls.clientCa, 'client CA') : Promise.resolve(undefined),
  ]);
  const requestCert = tls.clientAuth !== 'NoClientCert';
  return {
    cert,
    key,
    ...(ca !== undefined ? { ca } : {}),
    requestCert,
    // Only the strict mode lets the handshake itself fail; the others are checked per connection.
    rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
    minVersion: tls.minVersion,
    ...(tls.maxVersion ? { maxVersion: tls.maxVersion } : {}),
    ...(tls.ciphers ? { ciphers: tls.ciphers } : {}),
    ...(tls.ecdhCurve ? { ecdhCurve: tls.ecdhCurve } : {}),
    honorCipherOrder: tls.honorCipherOrder,
  };
}

/** Whether a TLS connection meets the client-certificate policy beyond what the handshake checks. */
function clientCertAcceptable(socket: TLSSocket, tls: ResolvedTls): boolean {
  const peer = socket.getPeerCertificate();
  const hasCert = Boolean(peer && Object.keys(peer).length > 0);
  switch (tls.clientAuth) {
    case 'RequireAnyClientCert':
      if (!hasCert) return false;
      break;
    case 'VerifyClientCertIfGiven':
      if (hasCert && !socket.authorized) return false;
      break;
    case 'RequireAndVerifyClientCert':
      if (!hasCert || !socket.authorized) return false;
      break;
    default:
      break;
  }
  if (tls.clientAllowedSans && hasCert) {
    const sans = (peer.subjectaltname ?? '')
      .split(',')
      .map((s) => s.trim().replace(/^(DNS|IP Address|email|URI):/, ''))
      .filter(Boolean);
    if (!tls.clientAllowedSans.some((allowed) => sans.includes(allowed))) return false;
  }
  return true;
}

/** bcrypt is slow by design: remember successful checks briefly (as exporter-toolkit does). */
const AUTH_CACHE_TTL_MS = 60_000;
const AUTH_CACHE_MAX = 100;
/** Compared against when the user is unknown, so unknown users cost as much as wrong passwords. */
const DUMMY_HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';

export class BasicAuth {
  private readonly cache = new Map<string, number>();
  private readonly now: () => number;
  private readonly compare: (password: string, hash: string) => Promise<boolean>;
  constructor(
    private readonly users: Record<string, string>,
    deps: { now?: () => number; compare?: (password: string, hash: string) => Promise<boolean> } = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.compare = deps.compare ?? ((password, hash) => bcrypt.compare(password, hash));
  }

  get enabled(): boolean {
    return Object.keys(this.users).length > 0;
  }

  /** Check an `Authorization` header value. */
  async check(header: string | undefined): Promise<boolean> {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const known = Object.prototype.hasOwnProperty.call(this.users, user);
    const hash = known ? this.users[user]! : DUMMY_HASH;
    // The key covers the stored hash, so a changed password invalidates the entry.
    const key = createHash('sha256').update(`${user}\0${hash}\0${password}`).digest('hex');
    const cachedUntil = this.cache.get(key);
    if (known && cachedUntil !== undefined && cachedUntil > this.now()) return true;
    let ok = false;
    try {
      ok = await this.compare(password, hash);
    } catch {
      ok = false;
    }
    if (!known || !ok) return false;
    if (this.cache.size >= AUTH_CACHE_MAX) {
      for (const [k, until] of this.cache) if (until <= this.now()) this.cache.delete(k);
      if (this.cache.size >= AUTH_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, this.now() + AUTH_CACHE_TTL_MS);
    return true;
  }
}

/** A token bucket: `burst` requests at once, refilled one per `intervalMs`. */
class RateLimiter {
  private tokens: number;
  private last: number;
  constructor(
    private readonly intervalMs: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
    this.last = Date.now();
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / this.intervalMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface Active {
  config: WebConfig;
  auth: BasicAuth;
  limiter?: RateLimiter;
}

function activate(config: WebConfig): Active {
  return {
    config,
    auth: new BasicAuth(config.users),
    ...(config.rateLimit ? { limiter: new RateLimiter(config.rateLimit.intervalMs, config.rateLimit.burst) } : {}),
  };
}

function urlHost(host: string | undefined): string {
  if (!host || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Start the listener. Resolves once it accepts connections; rejects on a bad web config or bind error. */
export async function startWebServer(app: RequestListener, opts: WebServerOptions): Promise<WebServer> {
  const log = opts.log ?? (() => {});
  let active = activate(opts.webConfigFile ? await loadWebConfig(opts.webConfigFile) : { users: {}, headers: {} });

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const current = active;
    for (const [name, value] of Object.entries(current.config.headers)) res.setHeader(name, value);
    if (current.limiter && !current.limiter.take()) {
      res.writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Too Many Requests\n');
      return;
    }
    if (!current.auth.enabled) {
      app(req, res);
      return;
    }
    current.auth.check(req.headers.authorization).then(
      (ok) => {
        if (ok) {
          app(req, res);
          return;
        }
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="multipath-exporter"', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Unauthorized\n');
      },
      () => {
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
      if (policy && !clientCertAcceptable(socket, policy)) socket.destroy();
    });
    log(`TLS enabled (client auth ${tls.clientAuth}, min ${tls.minVersion})${active.auth.enabled ? ', basic auth enabled' : ''}`);
  } else {
    server = http.createServer(handler);
    if (opts.webConfigFile) log(`TLS disabled: the web config has no TLS settings${active.auth.enabled ? '; basic auth enabled over plain HTTP' : ''}`);
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

  return {
    server,
    url,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
    },
    async reload() {
      if (!opts.webConfigFile) return;
      const next = await loadWebConfig(opts.webConfigFile);
      if (Boolean(next.tls) !== Boolean(active.config.tls)) {
        throw new WebConfigError(`${opts.webConfigFile}: switching between HTTP and HTTPS needs a restart; keeping the current settings`);
      }
      if (next.tls && next.tls.clientAuth !== active.config.tls?.clientAuth) {
        throw new WebConfigError(`${opts.webConfigFile}: changing client_auth_type needs a restart; keeping the current settings`);
      }
      if (next.tls) (server as https.Server).setSecureContext(await tlsServerOptions(next.tls));
      active = activate(next);
      log(`web config reloaded from ${opts.webConfigFile}`);
    },
  };
}
