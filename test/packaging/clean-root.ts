// Test helper: a clean Debian 12 root (debootstrap minbase + Debian's own nodejs 18 and systemd),
// built once from Debian's archive and cached as a tarball; each test run extracts a fresh copy.
// Commands run chrooted in a private mount namespace (`unshare -m`) with /proc mounted, so no
// mount outlives the command. The machine's own Node is never touched.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** Bump when the recipe changes. */
const RECIPE = 'bookworm-node18-systemd-v3';
const MIRROR = 'http://deb.debian.org/debian';
export const CACHE_DIR = process.env.MPE_TEST_CACHE ?? '/var/tmp/multipath-exporter-test-cache';

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** argv that runs `cmd` chrooted into `root` with /proc, in a private mount namespace. */
export function inRoot(root: string, cmd: string[], opts: { user?: string } = {}): string[] {
  const chroot = ['chroot', ...(opts.user ? [`--userspec=${opts.user}`] : []), root, ...cmd].map(shQuote).join(' ');
  return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mount -t proc proc ${shQuote(join(root, 'proc'))} && exec ${chroot}`];
}

export interface RootResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

export async function runInRoot(root: string, cmd: string[], opts: { user?: string; timeout?: number } = {}): Promise<RootResult> {
  const [file, ...args] = inRoot(root, cmd, opts);
  const r = await execa(file!, args, { reject: false, timeout: opts.timeout ?? 120_000, stdin: 'ignore' });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function buildTarball(tarball: string): Promise<void> {
  const work = await mkdtemp(join(CACHE_DIR, 'build-'));
  const root = join(work, 'root');
  try {
    await execa('debootstrap', ['--variant=minbase', 'bookworm', root, MIRROR], { timeout: 900_000 });
    await execa('cp', ['/etc/resolv.conf', join(root, 'etc/resolv.conf')]);
    const apt = await runInRoot(root, ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'nodejs', 'systemd', 'procps', 'ca-certificates'], { timeout: 600_000 });
    if (apt.exitCode !== 0) throw new Error(`apt-get in the clean root failed: ${String(apt.stderr)}`);
    await runInRoot(root, ['apt-get', 'clean']);
    await rm(join(root, 'etc/resolv.conf'), { force: true });
    await execa('sh', ['-c', `rm -rf ${shQuote(root)}/var/lib/apt/lists/*`]);
    await execa('tar', ['-C', root, '-cf', `${tarball}.partial`, '.']);
    await rename(`${tarball}.partial`, tarball);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A fresh clean root in a new temporary directory; remove it with `rm -rf` when done. */
export async function freshRoot(): Promise<string> {
  await mkdir(CACHE_DIR, { recursive: true });
  const tarball = join(CACHE_DIR, `${RECIPE}.tar`);
  if (!existsSync(tarball)) await buildTarball(tarball);
  const root = await mkdtemp(join(CACHE_DIR, 'root-'));
  await execa('tar', ['-C', root, '-xf', tarball]);
  return root;
}

/** Every path in the root (relative, sorted), for before/after comparisons. */
export async function listTree(root: string): Promise<string[]> {
  const { stdout } = await execa('find', ['.', '-xdev', '-path', './proc', '-prune', '-o', '-print'], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
  return stdout.split('\n').filter((p) => p && p !== '.' && p !== './proc').sort();
}
