import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { AUTH_CACHE_MAX, BasicAuth, bcryptCost, dummyHashFor, parseBasicAuthHeader, type PasswordCompare } from '../../../src/web/core/basic-auth.js';

const header = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const HASH_6 = bcrypt.hashSync('s3cret', 6);
// Well-formed cost-12 hash; the counting compares below never run bcrypt on it.
const HASH_12 = '$2y$12$Un4pJnb98MjGNvAX6vpELOV.83UVa7nyVB949r2A4g.U7jXppPnL2';

/** A compare that records every call and answers from a table instead of running bcrypt. */
function countingCompare(answer: (password: string, hash: string) => boolean = () => false) {
  const calls: Array<{ password: string; hash: string; cost: number | undefined }> = [];
  const compare: PasswordCompare = async (password, hash) => {
    calls.push({ password, hash, cost: bcryptCost(hash) });
    return answer(password, hash);
  };
  return { calls, compare };
}

describe('parseBasicAuthHeader', () => {
  it('splits user and password at the first colon', () => {
    expect(parseBasicAuthHeader(header('prometheus', 'a:b'))).toEqual({ user: 'prometheus', password: 'a:b' });
    expect(parseBasicAuthHeader(`basic   ${Buffer.from('u:').toString('base64')}  `)).toEqual({ user: 'u', password: '' });
  });

  it.each([undefined, '', 'Bearer abc', 'Basic', 'Basic !!!', `Basic ${Buffer.from('nocolon').toString('base64')}`])('rejects %j', (h) => {
    expect(parseBasicAuthHeader(h)).toBeUndefined();
  });
});

describe('dummyHashFor', () => {
  it('has the cost of the slowest configured hash (at least 10) and the bcrypt format', () => {
    expect(bcryptCost(dummyHashFor([HASH_12]))).toBe(12);
    expect(bcryptCost(dummyHashFor([HASH_6, HASH_12]))).toBe(12);
    expect(bcryptCost(dummyHashFor([]))).toBe(10);
    expect(dummyHashFor([HASH_12])).toMatch(/^\$2y\$12\$[./A-Za-z0-9]{53}$/);
  });

  it('is a hash bcrypt accepts and no password matches', async () => {
    const dummy = dummyHashFor([HASH_6]).replace('$10$', '$04$');
    expect(await bcrypt.compare('', dummy)).toBe(false);
    expect(await bcrypt.compare('s3cret', dummy)).toBe(false);
  });
});

describe('BasicAuth', () => {
  it('an unknown user and a wrong password take the same path: one comparison each, at the configured cost', async () => {
    const { calls, compare } = countingCompare();
    const auth = new BasicAuth({ prometheus: HASH_12 }, { compare });
    expect(await auth.check(header('mallory', 'guess'))).toBe('denied');
    expect(await auth.check(header('prometheus', 'guess'))).toBe('denied');
    expect(calls.map((c) => c.cost)).toEqual([12, 12]);
    expect(calls[0]!.hash).not.toBe(HASH_12);
    expect(calls[1]!.hash).toBe(HASH_12);
  });

  it('an unknown user is denied even when its password matches the dummy hash', async () => {
    const { compare } = countingCompare(() => true);
    const auth = new BasicAuth({ prometheus: HASH_12 }, { compare });
    expect(await auth.check(header('mallory', 'anything'))).toBe('denied');
  });

  it('caches successful bcrypt checks briefly, never failures, and forgets after the TTL', async () => {
    let calls = 0;
    let now = 1_000_000;
    const auth = new BasicAuth({ prometheus: HASH_6 }, { now: () => now, compare: (pw, h) => (calls++, bcrypt.compare(pw, h)) });
    expect(await auth.check(header('prometheus', 's3cret'))).toBe('ok');
    expect(await auth.check(header('prometheus', 's3cret'))).toBe('ok');
    expect(calls).toBe(1);
    expect(await auth.check(header('prometheus', 'bad'))).toBe('denied');
    expect(await auth.check(header('prometheus', 'bad'))).toBe('denied');
    expect(calls).toBe(3);
    now += 61_000;
    expect(await auth.check(header('prometheus', 's3cret'))).toBe('ok');
    expect(calls).toBe(4);
  });

  it('the cache is bounded and keyed by the stored hash: a changed password misses it', async () => {
    const { calls, compare } = countingCompare((pw, h) => h === HASH_12 || pw.startsWith('ok'));
    const users = Object.fromEntries(Array.from({ length: AUTH_CACHE_MAX + 5 }, (_, i) => [`u${i}`, HASH_6]));
    const auth = new BasicAuth(users, { compare });
    for (let i = 0; i < AUTH_CACHE_MAX + 5; i++) expect(await auth.check(header(`u${i}`, 'ok'))).toBe('ok');
    // The oldest entries were evicted, the newest kept.
    const before = calls.length;
    expect(await auth.check(header(`u${AUTH_CACHE_MAX + 4}`, 'ok'))).toBe('ok');
    expect(calls.length).toBe(before);
    expect(await auth.check(header('u0', 'ok'))).toBe('ok');
    expect(calls.length).toBe(before + 1);
    // Same user and password, another stored hash: verified again.
    const changed = new BasicAuth({ u1: HASH_12 }, { compare });
    expect(await changed.check(header('u1', 'ok'))).toBe('ok');
    expect(calls.at(-1)!.hash).toBe(HASH_12);
  });

  it('turns requests away unverified beyond maxInFlight comparisons, for known and unknown users alike; a cached credential still passes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const compare: PasswordCompare = async (pw) => {
      calls++;
      if (pw !== 'right') await gate;
      return pw === 'right';
    };
    const auth = new BasicAuth({ prometheus: HASH_6 }, { compare, maxInFlight: 3 });
    expect(await auth.check(header('prometheus', 'right'))).toBe('ok');
    const pending = [1, 2, 3].map(() => auth.check(header('prometheus', 'wrong')));
    expect(await auth.check(header('prometheus', 'wrong'))).toBe('busy');
    expect(await auth.check(header('mallory', 'wrong'))).toBe('busy');
    expect(await auth.check(header('prometheus', 'right'))).toBe('ok');
    expect(calls).toBe(4);
    release();
    expect(await Promise.all(pending)).toEqual(['denied', 'denied', 'denied']);
    expect(await auth.check(header('mallory', 'wrong'))).toBe('denied');
  });

  it('a throwing comparison denies', async () => {
    const auth = new BasicAuth({ prometheus: HASH_6 }, { compare: async () => Promise.reject(new Error('worker died')) });
    expect(await auth.check(header('prometheus', 's3cret'))).toBe('denied');
  });

  it('is disabled without users', () => {
    expect(new BasicAuth({}, { compare: async () => true }).enabled).toBe(false);
    expect(new BasicAuth({ a: HASH_6 }, { compare: async () => true }).enabled).toBe(true);
  });
});
