// HTTP basic auth against bcrypt hashes, as exporter-toolkit does it, with the verification itself
// (bcrypt, deliberately slow) injected: src/web/io/bcrypt-pool.ts runs it off the event loop.
// Pure apart from that function and the clock.
//
// - An unknown user costs exactly what a wrong password costs: one comparison against a dummy hash
//   of the configured cost, so response times do not tell which user names exist.
// - Successful checks are remembered briefly, keyed by a digest of user, stored hash and password
//   (a changed password misses the cache), so a scraper pays for bcrypt once a minute, not per scrape.
// - At most `maxInFlight` comparisons run or wait at once; beyond that a request is answered `busy`
//   before any comparison. A cached credential never waits: the cache is consulted first.
import { createHash } from 'node:crypto';

export type PasswordCompare = (password: string, hash: string) => Promise<boolean>;

export type AuthResult = 'ok' | 'denied' | 'busy';

export const AUTH_CACHE_TTL_MS = 60_000;
export const AUTH_CACHE_MAX = 100;
/** Comparisons running or queued at once; more wrong passwords than this are turned away unverified. */
export const AUTH_MAX_IN_FLIGHT = 16;

/** The cost (log2 rounds) of a bcrypt hash such as `$2y$10$...`. */
export function bcryptCost(hash: string): number | undefined {
  const m = /^\$2[aby]?\$(\d\d)\$/.exec(hash);
  return m ? Number(m[1]) : undefined;
}

// Salt and digest of a well-formed hash; with another cost prefix it still costs 2^cost rounds.
const DUMMY_BODY = 'QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';

/** A hash no password is known for, as slow to check as the slowest configured one. */
export function dummyHashFor(hashes: readonly string[]): string {
  const cost = Math.max(10, ...hashes.map((h) => bcryptCost(h) ?? 10));
  return `$2y$${String(cost).padStart(2, '0')}$${DUMMY_BODY}`;
}

/** `Authorization: Basic ...` -> user and password; undefined when malformed. */
export function parseBasicAuthHeader(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface BasicAuthDeps {
  compare: PasswordCompare;
  now?: () => number;
  maxInFlight?: number;
}

export class BasicAuth {
  private readonly cache = new Map<string, number>();
  private readonly now: () => number;
  private readonly compare: PasswordCompare;
  private readonly maxInFlight: number;
  private readonly dummyHash: string;
  private inFlight = 0;

  constructor(
    private readonly users: Readonly<Record<string, string>>,
    deps: BasicAuthDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.compare = deps.compare;
    this.maxInFlight = deps.maxInFlight ?? AUTH_MAX_IN_FLIGHT;
    this.dummyHash = dummyHashFor(Object.values(users));
  }

  get enabled(): boolean {
    return Object.keys(this.users).length > 0;
  }

  /** Check an `Authorization` header value. */
  async check(header: string | undefined): Promise<AuthResult> {
    const credentials = parseBasicAuthHeader(header);
    if (!credentials) return 'denied';
    const { user, password } = credentials;
    const known = Object.prototype.hasOwnProperty.call(this.users, user);
    const hash = known ? this.users[user]! : this.dummyHash;
    const key = createHash('sha256').update(`${user}\0${hash}\0${password}`).digest('hex');
    const cachedUntil = this.cache.get(key);
    if (known && cachedUntil !== undefined && cachedUntil > this.now()) return 'ok';
    if (this.inFlight >= this.maxInFlight) return 'busy';
    this.inFlight++;
    let ok = false;
    try {
      ok = await this.compare(password, hash);
    } catch {
      ok = false;
    } finally {
      this.inFlight--;
    }
    if (!known || !ok) return 'denied';
    this.remember(key);
    return 'ok';
  }

  private remember(key: string): void {
    if (this.cache.size >= AUTH_CACHE_MAX) {
      for (const [k, until] of this.cache) if (until <= this.now()) this.cache.delete(k);
      if (this.cache.size >= AUTH_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, this.now() + AUTH_CACHE_TTL_MS);
  }
}
