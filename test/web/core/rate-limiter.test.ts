import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/web/core/rate-limiter.js';

describe('RateLimiter', () => {
  it('lets a burst through, then one request per interval', () => {
    let now = 0;
    const limiter = new RateLimiter(1000, 2, () => now);
    expect([limiter.take(), limiter.take(), limiter.take()]).toEqual([true, true, false]);
    now += 500;
    expect(limiter.take()).toBe(false);
    now += 500;
    expect([limiter.take(), limiter.take()]).toEqual([true, false]);
  });

  it('refills no further than the burst after a long pause', () => {
    let now = 0;
    const limiter = new RateLimiter(100, 3, () => now);
    for (let i = 0; i < 3; i++) limiter.take();
    now += 60_000;
    expect([limiter.take(), limiter.take(), limiter.take(), limiter.take()]).toEqual([true, true, true, false]);
  });
});
