// The one bounded poll of the simulation, the end-to-end test and the lab (src/sim/processes.ts).
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../src/sim/processes.js';

const fast = { timeoutMs: 50, everyMs: 1 };

describe('waitFor', () => {
  it('returns the first value `done` accepts, retrying a probe that throws', async () => {
    let calls = 0;
    const probe = async () => {
      calls++;
      if (calls === 2) throw new Error('not yet');
      return calls;
    };
    expect(await waitFor('three calls', { timeoutMs: 10_000, everyMs: 1 }, probe, (n) => n >= 3)).toBe(3);
    expect(calls).toBe(3);
  });

  it('by default waits for a truthy value', async () => {
    let calls = 0;
    expect(await waitFor('a truthy value', { timeoutMs: 10_000, everyMs: 1 }, async () => (++calls > 2 ? 'text' : ''))).toBe('text');
  });

  it('probes at least once, even with no time at all', async () => {
    expect(await waitFor('one probe', { timeoutMs: 0 }, async () => 7)).toBe(7);
  });

  it('gives up with what it waited for, the last value seen and the last error', async () => {
    await expect(waitFor('the answer', fast, async () => ({ answer: 41 }), (v) => v.answer === 42)).rejects.toThrow(
      /^timed out after 50 ms waiting for the answer; last seen: \{"answer":41\}$/,
    );
    let calls = 0;
    await expect(
      waitFor('a probe that stops working', fast, async () => {
        if (++calls > 1) throw new Error('connection refused');
        return 'first';
      }, () => false),
    ).rejects.toThrow(/waiting for a probe that stops working; last seen: "first" \(connection refused\)$/);
  });
});
