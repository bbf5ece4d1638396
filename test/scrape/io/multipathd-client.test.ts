import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { execClient, frame, type MultipathdError, readLength, socketClient, stderrWarner } from '../../../src/scrape/io/multipathd-client.js';
import { memoryLogger } from '../../../src/common/io/log.js';
import { type FakeMultipathd, startFakeMultipathd } from '../../../src/sim/fake-multipathd.js';
import { multipathdFixture } from '../../support/fixtures.js';

const FAKE_CLI = fileURLToPath(new URL('../../support/bin/fake-multipathd-cli', import.meta.url));
let fake: FakeMultipathd | undefined;
let counter = 0;
const uniqueSocket = () => `@mpe-test-${process.pid}-${++counter}`;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Whether a process runs (a killed orphan may stay a zombie until someone reaps it). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function reason(promise: Promise<unknown>): Promise<string> {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as MultipathdError | undefined;
  if (!err) throw new Error('expected a rejection');
  return `${err.reason}: ${err.message}`;
}

describe('multipathd framing', () => {
  it('frames a command as an 8-byte length including the NUL, then the bytes', () => {
    const bytes = frame('show daemon');
    expect(bytes.length).toBe(8 + 12);
    expect(readLength(bytes)).toBe(12);
    expect(bytes.subarray(8).toString('latin1')).toBe('show daemon\0');
  });
});

describe('socket transport', () => {
  const client = (socket: string, timeoutMs = 500, maxReplyBytes = 32 * 1024 * 1024) => socketClient({ socket, timeoutMs, maxReplyBytes });

  it('sends the command with multipathd framing and strips the trailing NUL of the reply', async () => {
    const maps = multipathdFixture('all-six-maps.json');
    fake = await startFakeMultipathd({ socket: uniqueSocket(), respond: (c) => (c === 'show maps json' ? maps : 'fail\n') });
    await expect(client(fake.socket).command('show maps json')).resolves.toBe(maps);
    expect(fake.commands).toEqual(['show maps json']);
  });

  it('works on a filesystem socket path as well (0.12+ /run/multipathd.socket)', async () => {
    const path = `${fileURLToPath(new URL('../../../.tmp/', import.meta.url))}mpe-${process.pid}.sock`;
    const { mkdir } = await import('node:fs/promises');
    await mkdir(new URL('../../../.tmp/', import.meta.url), { recursive: true });
    fake = await startFakeMultipathd({ socket: path, respond: () => 'pid 1 idle\n' });
    await expect(client(path).command('show daemon')).resolves.toBe('pid 1 idle\n');
  });

  it('reports a missing daemon as daemon_down', async () => {
    expect(await reason(client(uniqueSocket()).command('show daemon'))).toMatch(/^daemon_down: multipathd is not running/);
  });

  it('times out on a hung daemon', async () => {
    fake = await startFakeMultipathd({ socket: uniqueSocket(), respond: () => ({ hang: true }) });
    const started = Date.now();
    expect(await reason(client(fake.socket, 300).command('show maps json'))).toMatch(/^timeout: no reply from multipathd within 300 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('gives a command no more than what is left before the deadline', async () => {
    fake = await startFakeMultipathd({ socket: uniqueSocket(), respond: () => ({ hang: true }) });
    const deadline = performance.now() + 200;
    expect(await reason(client(fake.socket, 5000).command('show maps json', deadline))).toMatch(/^timeout: no reply from multipathd within (1\d\d|200) ms, what was left of the 5000 ms collection budget/);
    expect(await reason(client(fake.socket, 5000).command('show maps json', performance.now() - 1))).toMatch(/^timeout: no time left of the 5000 ms collection budget/);
  });

  it('refuses a reply announced over the cap without reading it', async () => {
    const header = Buffer.alloc(8);
    header.writeBigUInt64LE(64n * 1024n * 1024n);
    fake = await startFakeMultipathd({ socket: uniqueSocket(), respond: () => ({ rawFrame: header }) });
    expect(await reason(client(fake.socket).command('show maps json'))).toMatch(/^too_large: multipathd reply of 67108864 bytes exceeds the 33554432-byte cap/);
  });

  it('reports a connection closed mid-reply as bad_output', async () => {
    fake = await startFakeMultipathd({ socket: uniqueSocket(), respond: () => ({ reply: multipathdFixture('all-six-maps.json'), closeAfterBytes: 100 }) });
    expect(await reason(client(fake.socket).command('show maps json'))).toMatch(/^bad_output: multipathd closed the connection after 92 of/);
  });

  it('returns an empty reply as an empty string (classification is the parser\'s job)', async () => {
    fake = await startFakeMultipathd({ socket: uniqueSocket(), respond: () => '' });
    await expect(client(fake.socket).command('show maps json')).resolves.toBe('');
  });
});

describe('exec transport', () => {
  const client = (env: Record<string, string>, timeoutMs = 2000, stderr: string[] = []) => {
    Object.assign(process.env, env);
    return execClient({ command: [FAKE_CLI], timeoutMs, maxReplyBytes: 1024 * 1024, onStderr: (t) => stderr.push(t) });
  };
  afterEach(() => {
    delete process.env.FAKE_MODE;
    delete process.env.FAKE_FIXTURE;
  });

  it('runs the command words without a shell and keeps stdout and stderr apart', async () => {
    const stderr: string[] = [];
    const reply = await client({ FAKE_MODE: 'ok' }, 2000, stderr).command('show maps json');
    expect(reply).toBe(multipathdFixture('iscsi-2paths-one-faulty.json'));
    expect(stderr).toEqual(['12.345678 | /etc/multipath/conf.d/x.conf line 3, invalid keyword: bogus']);
  });

  it('reads 0.9.4\'s silent exit 1 as daemon_down', async () => {
    expect(await reason(client({ FAKE_MODE: 'down' }).command('show daemon'))).toMatch(/^daemon_down: multipathd is not running/);
  });

  it('kills a hung command at the timeout', async () => {
    expect(await reason(client({ FAKE_MODE: 'hang' }, 300).command('show daemon'))).toMatch(/^timeout: .* did not answer within 300 ms/);
  });

  it('caps the reply size', async () => {
    expect(await reason(client({ FAKE_MODE: 'flood' }).command('show maps json'))).toMatch(/^too_large:/);
  });

  it('never fails a good reply over a lot of stderr, and keeps only its tail for the log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mpe-stderr-'));
    try {
      const script = join(dir, 'multipathd');
      // 230 KB of warnings on stderr, then a good reply on stdout.
      await writeFile(script, `#!/bin/sh\nyes 'warning: something about the config' | head -n 6000 >&2\necho 'pid 1 idle'\n`);
      await chmod(script, 0o755);
      const stderr: string[] = [];
      const noisy = execClient({ command: [script], timeoutMs: 5000, maxReplyBytes: 1024, onStderr: (t) => stderr.push(t) });
      await expect(noisy.command('show daemon')).resolves.toBe('pid 1 idle\n');
      expect(stderr).toHaveLength(1);
      expect(stderr[0]!.length).toBeLessThanOrEqual(4096);
      expect(stderr[0]).toMatch(/warning: something about the config$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not wait for a child that keeps stdout open: the deadline kills its process group', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mpe-orphan-'));
    let orphan: number | undefined;
    try {
      const script = join(dir, 'multipathd');
      // A wrapper that backgrounds a long-lived child holding stdout, answers, and exits.
      await writeFile(script, `#!/bin/sh\nsleep 600 &\necho $! > ${dir}/orphan.pid\necho 'pid 1 idle'\n`);
      await chmod(script, 0o755);
      const wrapped = execClient({ command: [script], timeoutMs: 300, maxReplyBytes: 1024 });
      expect(await reason(wrapped.command('show daemon'))).toMatch(/^timeout: .* did not answer within 300 ms/);
      orphan = Number(await readFile(join(dir, 'orphan.pid'), 'utf8'));
      for (let i = 0; i < 50 && running(orphan); i++) await new Promise((r) => setTimeout(r, 20));
      expect(running(orphan)).toBe(false);
    } finally {
      if (orphan && running(orphan)) process.kill(orphan, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 10_000);

  it('gives a command no more than what is left before the deadline', async () => {
    const deadline = performance.now() + 200;
    expect(await reason(client({ FAKE_MODE: 'hang' }, 5000).command('show daemon', deadline))).toMatch(/^timeout: .* did not answer within (1\d\d|200) ms, what was left of the 5000 ms collection budget/);
    expect(await reason(client({ FAKE_MODE: 'ok' }, 5000).command('show daemon', performance.now() - 1))).toMatch(/^timeout: no time left of the 5000 ms collection budget/);
  });

  it('reports a missing binary as multipath-tools not installed', async () => {
    const missing = execClient({ command: ['/nonexistent/sbin/multipathd'], timeoutMs: 1000, maxReplyBytes: 1024 });
    expect(await reason(missing.command('show daemon'))).toMatch(/^daemon_down: .*not installed/);
  });
});

describe('stderrWarner', () => {
  it('warns of a stderr text once until it changes (a client that prints the same line on every call)', () => {
    const log = memoryLogger();
    const warn = stderrWarner(log);
    for (const text of ['Cannot open /proc/sys/fs/nr_open', 'Cannot open /proc/sys/fs/nr_open', 'Cannot open /proc/sys/fs/nr_open', 'timeout receiving packet', 'Cannot open /proc/sys/fs/nr_open']) warn(text);
    expect(log.lines.map((l) => /text=("[^"]*"|\S+)/.exec(l)?.[1])).toEqual(['"Cannot open /proc/sys/fs/nr_open"', '"timeout receiving packet"', '"Cannot open /proc/sys/fs/nr_open"']);
    expect(log.lines[0]).toMatch(/^level=warn msg="multipathd stderr"/);
  });
});
