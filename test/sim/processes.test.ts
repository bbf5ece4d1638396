// Managed processes and the one bounded poll of the simulation, the end-to-end test and the lab
// (src/sim/processes.ts).
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src/common/io/process.js';
import { freePort, spawnManaged, waitFor } from '../../src/sim/processes.js';
import { REPO } from '../support/repo.js';

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

describe('spawnManaged', () => {
  /** True while any process of the group exists. */
  const groupAlive = (pgid: number) => processAlive(-pgid);
  const harness = async (mode: 'guarded' | 'plain') => {
    const child = execa('node', ['--import', 'tsx', path.join(REPO, 'test/support/guarded-child.ts'), mode], { cwd: REPO, reject: false });
    const pgid = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      void child.then((r) => reject(new Error(`harness exited: ${r.stderr}`)));
    });
    return { child, pgid };
  };

  it('streams every chunk of output to a listener and keeps the tail', async () => {
    const chunks: string[] = [];
    const m = spawnManaged('echo', 'sh', ['-c', 'echo one; echo two >&2'], { onOutput: (c) => chunks.push(c) });
    await m.exited;
    expect(chunks.join('').split('\n').filter(Boolean).sort()).toEqual(['one', 'two']);
    expect(m.output()).toContain('one');
  });

  it('a guarded process is stopped when its harness is SIGKILLed (no exit hook runs); an unguarded one is not', async () => {
    const plain = await harness('plain');
    const guarded = await harness('guarded');
    try {
      expect(groupAlive(plain.pgid) && groupAlive(guarded.pgid)).toBe(true);
      plain.child.kill('SIGKILL');
      guarded.child.kill('SIGKILL');
      await Promise.all([plain.child, guarded.child]);
      await waitFor('the guarded sleep to be stopped', { timeoutMs: 30_000, everyMs: 100 }, async () => !groupAlive(guarded.pgid));
      // The guard's last seconds are long enough for the unguarded one to show it outlives its harness.
      expect(groupAlive(plain.pgid)).toBe(true);
    } finally {
      for (const pgid of [plain.pgid, guarded.pgid]) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});

describe('freePort', () => {
  it('never hands out the same port twice in one process, though the kernel offers closed ones again', async () => {
    // 1000 draws from the ~28 000 ephemeral ports: the kernel repeats one with near certainty
    const ports: number[] = [];
    for (let i = 0; i < 1000; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.every((p) => p > 0 && p < 65536)).toBe(true);
  });
});
