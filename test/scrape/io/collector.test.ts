import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCollector } from '../../../src/scrape/io/collector.js';
import { memoryLogger } from '../../../src/common/io/log.js';
import { type MultipathdClient, socketClient } from '../../../src/scrape/io/multipathd-client.js';
import { type FakeMultipathd, type FakeReply, startFakeMultipathd } from '../../../src/sim/fake-multipathd.js';
import { multipathdFixture } from '../../support/fixtures.js';

let fake: FakeMultipathd | undefined;
let sysfs: string | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  if (sysfs) await rm(sysfs, { recursive: true, force: true });
  sysfs = undefined;
});

/** Each command the collector sent, with the time it was given (ms left before its deadline). */
type Sent = { command: string; leftMs: number };

async function collectorFor(respond: Parameters<typeof startFakeMultipathd>[0]['respond'], sysfsRoot = '/nonexistent-sysfs', timeoutMs = 400) {
  fake = await startFakeMultipathd({ socket: `@mpe-collector-${process.pid}-${Math.random()}`, respond });
  const log = memoryLogger();
  const socket = fake.socket;
  const sent: Sent[] = [];
  const client = (): MultipathdClient => {
    const real = socketClient({ socket, timeoutMs, maxReplyBytes: 32 << 20 });
    return {
      ...real,
      command: (command, deadline) => {
        sent.push({ command, leftMs: deadline === undefined ? Infinity : deadline - performance.now() });
        return real.command(command, deadline);
      },
    };
  };
  const collector = createCollector({ client, sysfsRoot: () => sysfsRoot, log });
  return { collector, log, fake, sent };
}

const healthy = (reply = multipathdFixture('iscsi-2paths-one-faulty.json')) => (command: string) =>
  command === 'show daemon' ? 'pid 1842 idle\n' : { reply, delayMs: 50 };

describe('collector', () => {
  it('shares one in-flight collection between 50 simultaneous scrapes', async () => {
    const { collector, fake } = await collectorFor(healthy());
    const snapshots = await Promise.all(Array.from({ length: 50 }, () => collector.collect()));
    expect(fake.commands.filter((c) => c === 'show maps json')).toHaveLength(1);
    expect(new Set(snapshots).size).toBe(1);
    expect(snapshots[0]).toMatchObject({ ok: true, daemon: { pid: 1842, state: 'idle' } });
    // The next scrape after completion collects afresh.
    await collector.collect();
    expect(fake.commands.filter((c) => c === 'show maps json')).toHaveLength(2);
  });

  it('retries once when show maps json answers fail (a map vanished mid-command)', async () => {
    let calls = 0;
    const { collector } = await collectorFor((c) => (c === 'show daemon' ? 'pid 1 idle\n' : c === 'show status' ? 'fail\n' : ++calls === 1 ? 'fail\n' : multipathdFixture('no-maps.json')));
    await expect(collector.collect()).resolves.toMatchObject({ ok: true, maps: [] });
    expect(calls).toBe(2);
  });

  it.each([
    ['a hung daemon', (): FakeReply => ({ hang: true }), 'timeout'],
    ['garbage', (): FakeReply => 'Usage: multipathd ...\n', 'bad_output'],
    ['truncated JSON', (): FakeReply => multipathdFixture('truncated.json'), 'bad_output'],
    ['fail twice', (): FakeReply => 'fail\n', 'fail'],
  ] as const)('turns %s into a failed snapshot, counts it and logs it once', async (_name, mapsReply, reason) => {
    const { collector, log } = await collectorFor((c) => (c === 'show daemon' ? 'pid 1 idle\n' : mapsReply()));
    const first = await collector.collect();
    await collector.collect();
    expect(first).toMatchObject({ ok: false, reason });
    expect(collector.failures()[reason]).toBe(2);
    expect(log.lines.filter((l) => l.includes('collection failed'))).toHaveLength(1);
    expect(log.lines[0]).toContain(`reason=${reason}`);
  });

  it('reports a stopped daemon as daemon_down, then logs the recovery', async () => {
    const { collector, log, fake: first } = await collectorFor(healthy());
    await first.close();
    const down = await collector.collect();
    expect(down).toMatchObject({ ok: false, reason: 'daemon_down' });
    expect(log.lines.filter((l) => l.includes('collection failed'))).toHaveLength(1);
    fake = await startFakeMultipathd({ socket: first.socket, respond: healthy() });
    await expect(collector.collect()).resolves.toMatchObject({ ok: true });
    await collector.collect();
    expect(log.lines.filter((l) => l.includes('collection recovered'))).toEqual(['level=info msg="collection recovered" maps=1']);
  });

  it.each([
    ['two commands at 0.6x the budget each', [600, 600]],
    ['a fail reply and its retry', [100, 500, 500]],
  ] as const)('fits one collection into its budget: %s end in a timeout', async (_name, delays) => {
    let call = 0;
    const { collector, sent } = await collectorFor(
      (c) => {
        const delayMs = delays[call++] ?? 0;
        if (c === 'show daemon') return { reply: 'pid 1 idle\n', delayMs };
        return { reply: call < delays.length ? 'fail\n' : multipathdFixture('no-maps.json'), delayMs };
      },
      undefined,
      1000,
    );
    const snapshot = await collector.collect();
    expect(snapshot).toMatchObject({ ok: false, reason: 'timeout' });
    if (snapshot.ok) return;
    expect(snapshot.message).toMatch(/show maps json: no reply from multipathd within \d+ ms, what was left of the 1000 ms collection budget/);
    expect(sent).toHaveLength(delays.length);
    expect(sent[0]!.leftMs).toBeLessThanOrEqual(1000);
    // The last command got only what the ones before it left, not a timeout of its own.
    const before = delays.slice(0, -1).reduce((a, b) => a + b, 0);
    expect(sent.at(-1)!.leftMs).toBeLessThanOrEqual(1000 - before + 5);
    expect(sent.at(-1)!.leftMs).toBeGreaterThan(0);
    expect(snapshot.durationSeconds).toBeLessThan(1.9); // generous: the budget plus scheduling
  });

  it('runs show status after the maps within the same budget, into the same snapshot', async () => {
    const { collector, sent } = await collectorFor((c) =>
      c === 'show daemon' ? 'pid 1 idle (pending reconfigure)\n' : c === 'show status' ? multipathdFixture('show-status-busy.txt') : { reply: multipathdFixture('fc-alua-4paths-2groups.json'), delayMs: 100 },
    );
    const snapshot = await collector.collect();
    expect(snapshot).toMatchObject({ ok: true, daemon: { reconfigurePending: true }, status: { paths: { ready: 4 }, monitored: 4, busy: true } });
    expect(sent.map((x) => x.command)).toEqual(['show daemon', 'show maps json', 'show status']);
    expect(sent[2]!.leftMs).toBeLessThanOrEqual(400 - 100 + 5); // what the maps left, not a timeout of its own
  });

  it.each([
    ['fail (an error in the daemon)', (): FakeReply => 'fail\n', 'fail'],
    ['a help text (a daemon without the command)', (): FakeReply => 'show status: not found\nmultipathd ...\n', 'bad_output'],
    ['a hang (no time left)', (): FakeReply => ({ hang: true }), 'timeout'],
  ] as const)('keeps the scrape when show status answers %s: no status, logged once, recovery logged', async (_name, statusReply, reason) => {
    let status: () => FakeReply = statusReply;
    const { collector, log } = await collectorFor((c) => (c === 'show daemon' ? 'pid 1 idle\n' : c === 'show status' ? status() : multipathdFixture('no-maps.json')));
    const first = await collector.collect();
    const second = await collector.collect();
    for (const snapshot of [first, second]) {
      expect(snapshot).toMatchObject({ ok: true, maps: [] });
      expect(snapshot.ok && snapshot.status).toBe(undefined);
    }
    expect(collector.failures()).toMatchObject({ fail: 0, timeout: 0, bad_output: 0 });
    const failed = log.lines.filter((l) => l.includes('show status failed'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain(`reason=${reason}`);
    status = () => multipathdFixture('show-status-idle.txt');
    await expect(collector.collect()).resolves.toMatchObject({ ok: true, status: { busy: false } });
    expect(log.lines.filter((l) => l.includes('show status recovered'))).toHaveLength(1);
  });

  it('reuses the parsed maps while the reply is byte-identical, and re-parses on any change', async () => {
    let reply = multipathdFixture('iscsi-2paths-one-faulty.json');
    const { collector } = await collectorFor((c) => (c === 'show daemon' ? 'pid 1 idle\n' : reply));
    const first = await collector.collect();
    const second = await collector.collect();
    if (!first.ok || !second.ok) throw new Error('collection failed');
    expect(second.maps).toBe(first.maps);
    reply = reply.replace('"path_faults" : 3', '"path_faults" : 4');
    const third = await collector.collect();
    if (!third.ok) throw new Error('collection failed');
    expect(third.maps).not.toBe(first.maps);
    expect(third.maps[0]!.counters.pathFaults).toBe(4);
  });

  it('recomputes the enrichment when sysfs changes under an identical reply', async () => {
    sysfs = await mkdtemp(join(tmpdir(), 'mpe-sysfs-'));
    await mkdir(join(sysfs, 'block/dm-4/holders'), { recursive: true });
    await writeFile(join(sysfs, 'block/dm-4/size'), '2048\n');
    const { collector } = await collectorFor(healthy(), sysfs);
    const before = await collector.collect();
    await writeFile(join(sysfs, 'block/dm-4/size'), '4096\n');
    await mkdir(join(sysfs, 'block/dm-4/holders/dm-9'));
    const after = await collector.collect();
    if (!before.ok || !after.ok) throw new Error('collection failed');
    expect(before.maps[0]).toMatchObject({ sizeBytes: 2048 * 512, holders: 0 });
    expect(after.maps[0]).toMatchObject({ sizeBytes: 4096 * 512, holders: 1 });
  });

  it('adds sysfs size, holders and per-path transport', async () => {
    sysfs = await mkdtemp(join(tmpdir(), 'mpe-sysfs-'));
    await mkdir(join(sysfs, 'block/dm-4/holders/dm-7'), { recursive: true });
    await writeFile(join(sysfs, 'block/dm-4/size'), '67108864\n');
    await symlink('../devices/platform/host3/session1/target3:0:0/3:0:0:0/block/sdj', join(sysfs, 'block/sdj'));
    await symlink('../devices/platform/host4/session2/target4:0:0/4:0:0:0/block/sdk', join(sysfs, 'block/sdk'));
    const { collector } = await collectorFor(healthy(), sysfs);
    const snapshot = await collector.collect();
    if (!snapshot.ok) throw new Error(snapshot.message);
    const [map] = snapshot.maps;
    expect(map).toMatchObject({ sizeBytes: 67108864 * 512, holders: 1, transport: 'iscsi' });
    expect(map!.pathGroups[0]!.paths.map((p) => p.transport)).toEqual(['iscsi', 'iscsi']);
  });
});
