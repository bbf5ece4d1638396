import { spawn } from 'node:child_process';
import { open, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCli, USAGE } from '../src/cli.js';
import { clientFor } from '../src/scrape/io/multipathd-client.js';
import { Config } from '../src/common/core/config.js';
import { type FakeMultipathd, startFakeMultipathd } from '../src/sim/fake-multipathd.js';
import { generatedMaps, mapsReply } from '../src/sim/maps-reply.js';
import { sleep } from '../src/sim/processes.js';
import { multipathdFixture } from './support/fixtures.js';
import { samples } from './support/scrape.js';

const cli = (args: string[]) => execa('node', ['--import', 'tsx', 'src/cli.ts', ...args], { reject: false, timeout: 60_000 });
let dir: string;
let fake: FakeMultipathd;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mpe-cli-'));
  fake = await startFakeMultipathd({
    socket: `@mpe-cli-${process.pid}`,
    respond: (c) => (c === 'show daemon' ? 'pid 9 idle\n' : multipathdFixture('all-six-maps.json')),
  });
});
afterAll(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('argument parsing', () => {
  it.each([
    [[], { command: 'serve', config: '/etc/multipath-exporter/config.yml' }],
    [['metrics', '-c', '/x.yml'], { command: 'metrics', config: '/x.yml' }],
    [['--listen', '127.0.0.1:9999'], { listen: { host: '127.0.0.1', port: 9999 } }],
    [['serve', '--web.config.file', '/w.yml'], { webConfigFile: '/w.yml' }],
  ])('%j', (argv, expected) => {
    const parsed = parseCli(argv);
    expect(parsed.ok && parsed.args).toMatchObject(expected);
  });

  it.each([
    [['frobnicate'], /unknown command; expected one of serve, check-config, metrics, plan, apply/],
    [['--listen', 'nope'], /listen: must be \[host\]:port/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['metrics', 'extra'], /unexpected argument: extra/],
  ])('rejects %j', (argv, message) => {
    const parsed = parseCli(argv);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });
});

describe('multipath-exporter CLI', () => {
  it('--help prints the usage and --version the version', async () => {
    const help = await cli(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toBe(USAGE.trimEnd());
    const version = await cli(['--version']);
    expect(version.stdout).toMatch(/^multipath-exporter \S+$/);
  });

  it('exits 64 with the usage on a bad argument', async () => {
    const result = await cli(['frobnicate']);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toMatch(/unknown command/);
  });

  it('check-config: 0 for a valid file, 1 with located errors for an invalid or empty one, 0 for a missing one', async () => {
    const good = join(dir, 'good.yml');
    const bad = join(dir, 'bad.yml');
    await writeFile(good, 'cluster:\n  luns:\n    - { wwid: 3600a, alias: a }\n');
    await writeFile(bad, 'cluster:\n  defaults:\n    failback: sometimes\n');
    const ok = await cli(['check-config', '-c', good]);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/valid \(cluster digest [0-9a-f]{16}, 1 LUN\(s\), apply disabled\)/);
    const ko = await cli(['check-config', '-c', bad]);
    expect(ko.exitCode).toBe(1);
    expect(ko.stderr).toContain(`${bad}: line 3: cluster.defaults.failback: must be one of manual, immediate, followover or an integer`);
    expect(ko.stderr).toContain('got "sometimes"');
    const empty = join(dir, 'empty.yml');
    await writeFile(empty, '\n');
    const none = await cli(['check-config', '-c', empty]);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain(`${empty}: empty config file`);
    const missing = await cli(['check-config', '-c', join(dir, 'absent.yml')]);
    expect(missing.exitCode).toBe(0);
    expect(missing.stdout).toMatch(/not found; built-in defaults apply/);
  });

  it('metrics: one collection over the socket, printed in the textfile format', async () => {
    const config = join(dir, 'metrics.yml');
    await writeFile(config, `node: pve2\nmultipathd: { transport: socket, socket: "${fake.socket}" }\n`);
    const result = await cli(['metrics', '-c', config]);
    expect(result.exitCode).toBe(0);
    const s = samples(result.stdout);
    expect(s.get('multipath_up')).toBe(1);
    expect(s.get('multipath_exporter_info{version="0.1.0-dev",nodename="pve2"}')).toBe(1);
    expect([...s.keys()].filter((k) => k.startsWith('multipath_map_info{'))).toHaveLength(6);
  });

  it('metrics: a dead daemon still prints multipath_up 0 and says why on stderr', async () => {
    const config = join(dir, 'dead.yml');
    await writeFile(config, `multipathd: { transport: socket, socket: "@mpe-nobody-listens-${process.pid}" }\n`);
    const result = await cli(['metrics', '-c', config]);
    expect(result.exitCode).toBe(0);
    expect(samples(result.stdout).get('multipath_up')).toBe(0);
    expect(samples(result.stdout).get('multipath_collection_error{reason="daemon_down"}')).toBe(1);
    expect(result.stderr).toMatch(/level=warn msg="collection failed" reason=daemon_down/);
  });
});

/** Runs the CLI with stdout as a pipe nobody reads until the CLI exits (or 1 s passes), then drains it. */
async function runIntoSlowPipe(args: string[]): Promise<{ code: number | null; stdout: Buffer }> {
  const child = spawn('node', ['--import', 'tsx', 'src/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  // The listener first: child_process resumes a paused stdout itself when the child exits.
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stdout.pause();
  const ended = new Promise((resolve) => child.stdout.once('close', resolve));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await Promise.race([exited, sleep(1000)]);
  child.stdout.resume();
  const [code] = await Promise.all([exited, ended]);
  return { code, stdout: Buffer.concat(chunks) };
}

/** The same CLI run with stdout to a file, which Node writes synchronously: the full output. */
async function runIntoFile(args: string[]): Promise<Buffer> {
  const file = join(dir, `out-${Math.random().toString(36).slice(2)}.txt`);
  const handle = await open(file, 'w');
  await new Promise((resolve, reject) => {
    const child = spawn('node', ['--import', 'tsx', 'src/cli.ts', ...args], { stdio: ['ignore', handle.fd, 'ignore'] });
    child.once('exit', resolve).once('error', reject);
  });
  await handle.close();
  return readFile(file);
}

describe('CLI output through a pipe', () => {
  let big: FakeMultipathd;
  beforeAll(async () => {
    const reply = mapsReply(generatedMaps(120));
    big = await startFakeMultipathd({ socket: `@mpe-cli-big-${process.pid}`, respond: (c) => (c === 'show daemon' ? 'pid 9 idle\n' : reply) });
  });
  afterAll(async () => {
    await big?.close();
  });
  // The scrape duration differs from run to run; everything else is deterministic.
  const normalized = (text: string) => text.replace(/^(multipath_scrape_duration_seconds\S*) \S+$/gm, '$1 X');

  it('metrics larger than a pipe buffer reach a slow reader complete', async () => {
    const config = join(dir, 'big.yml');
    await writeFile(config, `node: pve2\nmultipathd: { transport: socket, socket: "${big.socket}" }\n`);
    const full = await runIntoFile(['metrics', '-c', config]);
    expect(full.length).toBeGreaterThan(2 * 65_536);
    const piped = await runIntoSlowPipe(['metrics', '-c', config]);
    expect(piped.code).toBe(0);
    expect(piped.stdout.length).toBeGreaterThan(2 * 65_536);
    expect(normalized(piped.stdout.toString('utf8'))).toBe(normalized(full.toString('utf8')));
  });

  it('--help through a slow pipe is complete too', async () => {
    const piped = await runIntoSlowPipe(['--help']);
    expect(piped.code).toBe(0);
    expect(piped.stdout.toString('utf8')).toBe(USAGE);
  });
});

describe('transport selection', () => {
  const config = (transport: string) => Config.parse({ multipathd: { transport, socket: '@x' } });
  it.each([
    ['auto', true, 'socket /run/multipathd.socket'],
    ['auto', false, 'command /sbin/multipathd'],
    ['exec', true, 'command /sbin/multipathd'],
    ['socket', false, 'socket @x'],
  ])('%s with the 0.12 pathname socket present=%s uses %s', (transport, present, expected) => {
    expect(clientFor(config(transport), undefined, () => present).describe).toBe(expected);
  });
});
