// The Debian package, end to end: build it with scripts/build-deb.sh, check its contents, then
// install, run (under Debian 12's own nodejs 18, inside a clean debootstrapped root), upgrade
// (an edited config is kept), remove and purge it (nothing left behind).
import { REPO } from '../support/repo.js';
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makePki, type TestPki } from '../support/certs.js';
import { freshRoot, listTree, runInRoot, inRoot } from './clean-root.js';

let out: string;
let debV1: string;
let debV2: string;
let root: string | undefined;
let pki: TestPki;
const ESC = String.fromCharCode(27);

/** A multipathd stand-in that binds its abstract socket exactly as multipathd does (exact name length). */
const PY_FAKE_MULTIPATHD = `
import json, socket, struct, sys, threading
replies = json.load(sys.stdin)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind('\\0' + sys.argv[1]); s.listen(16)
print('ready', flush=True)
def serve(c):
    with c:
        while True:
            h = c.recv(8, socket.MSG_WAITALL)
            if len(h) < 8: return
            n = struct.unpack('<Q', h)[0]
            cmd = c.recv(n, socket.MSG_WAITALL).rstrip(b'\\0').decode()
            body = replies.get(cmd, 'fail\\n').encode() + b'\\0'
            c.sendall(struct.pack('<Q', len(body)) + body)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

async function buildDeb(args: string[]): Promise<string> {
  const r = await execa('bash', ['scripts/build-deb.sh', '--out', out, ...args], { cwd: REPO, timeout: 180_000 });
  return r.stdout.trim().split('\n').pop()!;
}

async function inChroot(cmd: string[], user?: string) {
  return runInRoot(root!, cmd, user ? { user } : {});
}

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'mpe-deb-'));
  debV1 = await buildDeb(['--version', '0.1.0-1']);
  debV2 = await buildDeb(['--version', '0.1.0-2', '--no-build']);
  root = await freshRoot();
  await copyFile(debV1, join(root, 'tmp/v1.deb'));
  await copyFile(debV2, join(root, 'tmp/v2.deb'));
  pki = await makePki();
}, 1_200_000);

afterAll(async () => {
  await pki?.cleanup();
  if (root) await rm(root, { recursive: true, force: true });
  if (out) await rm(out, { recursive: true, force: true });
});

describe('the .deb', () => {
  it('holds the bundle, wrapper, conffiles, unit, drop-in and man page, and depends on nodejs >= 18.19', async () => {
    const list = (await execa('dpkg-deb', ['-c', debV1])).stdout
      .split('\n')
      .map((l) => l.split(/\s+/))
      .filter((f) => !f[0]!.startsWith('d'))
      .map((f) => `${f[0]} ${f[1]} ${f[5]}`)
      .sort();
    const required = [
      '-rw-r--r-- root/root ./etc/default/multipath-exporter',
      '-rw-r--r-- root/root ./etc/multipath-exporter/config.yml',
      '-rw-r--r-- root/root ./usr/lib/systemd/system/multipath-exporter.service',
      '-rw-r--r-- root/root ./usr/share/doc/multipath-exporter/changelog.Debian.gz',
      '-rw-r--r-- root/root ./usr/share/doc/multipath-exporter/copyright',
      '-rw-r--r-- root/root ./usr/share/doc/multipath-exporter/install.md',
      '-rw-r--r-- root/root ./usr/share/doc/multipath-exporter/web.yml.example',
      '-rw-r--r-- root/root ./usr/share/man/man1/multipath-exporter.1.gz',
      '-rw-r--r-- root/root ./usr/share/multipath-exporter/multipath-exporter.mjs',
      '-rw-r--r-- root/root ./usr/share/multipath-exporter/systemd/apply-mode.conf',
      '-rwxr-xr-x root/root ./usr/bin/multipath-exporter',
    ];
    for (const entry of required) expect(list).toContain(entry);
    // What install.md tells the admin to copy from the package is there.
    for (const f of ['alerts/multipath.rules.yml', 'alerts/multipath.alerts.yml', 'alerts/alertmanager.example.yml', 'dashboards/provisioning/dashboards.yml', 'dashboards/provisioning/datasource.example.yml']) {
      expect(list).toContain(`-rw-r--r-- root/root ./usr/share/multipath-exporter/${f}`);
    }
    expect(list.some((e) => /\.\/usr\/share\/multipath-exporter\/dashboards\/[^/]+\.json$/.test(e))).toBe(true);
    // Nothing else: every other file is documentation or shipped examples, none executable.
    const extra = list.filter((e) => !required.includes(e));
    for (const e of extra) expect(e).toMatch(/^-rw-r--r-- root\/root \.\/usr\/share\/(doc\/multipath-exporter\/[\w.-]+\.md|multipath-exporter\/(alerts|dashboards|examples)\/)/);
    const field = async (name: string) => (await execa('dpkg-deb', ['-f', debV1, name])).stdout;
    expect(await field('Depends')).toBe('nodejs (>= 18.19), passwd, procps');
    expect(await field('Architecture')).toBe('all');
    expect(await field('Version')).toBe('0.1.0-1');
    const ctl = await mkdtemp(join(out, 'ctl-'));
    await execa('dpkg-deb', ['-e', debV1, ctl]);
    expect((await readFile(join(ctl, 'conffiles'), 'utf8')).trim().split('\n')).toEqual(['/etc/multipath-exporter/config.yml', '/etc/default/multipath-exporter']);
    // The bundle needs nothing from npm: no bare import of a package outside node's own modules.
    const bundle = (await execa('dpkg-deb', ['--fsys-tarfile', debV1]).pipe('tar', ['-xO', './usr/share/multipath-exporter/multipath-exporter.mjs'])).stdout;
    // The bundle's own imports: at a line start (the banner) or after a `;` (the whitespace-minified
    // body writes `;import{x}from"node:fs"`); help text never matches.
    const imports = [...bundle.matchAll(/(?:^|;)import\s*(?:[\w$*{},\s]+?\s*from\s*)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
    expect(imports).toContain('node:module');
    expect(imports.length).toBeGreaterThan(20);
    expect(imports.filter((s) => !s.startsWith('node:') && !['fs', 'path', 'os', 'util', 'crypto', 'events', 'stream', 'http', 'https', 'net', 'tls', 'url', 'zlib', 'buffer', 'child_process', 'module'].includes(s))).toEqual([]);
  });

  it('installs into a clean Debian 12 root: user, state directory, enabled unit, valid default config', async () => {
    const r = await inChroot(['dpkg', '-i', '/tmp/v1.deb']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect((await inChroot(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'multipath-exporter'])).stdout).toBe('install ok installed 0.1.0-1');
    expect((await inChroot(['getent', 'passwd', 'multipath-exporter'])).stdout).toMatch(/^multipath-exporter:x:\d+:\d+:multipath-exporter:\/var\/lib\/multipath-exporter:\/usr\/sbin\/nologin$/);
    expect((await inChroot(['stat', '-c', '%U:%G %a', '/var/lib/multipath-exporter'])).stdout).toBe('multipath-exporter:multipath-exporter 750');
    expect((await inChroot(['readlink', '/etc/systemd/system/multi-user.target.wants/multipath-exporter.service'])).stdout).toMatch(/^(\/usr)?\/lib\/systemd\/system\/multipath-exporter.service$/);
    // Debian's own Node 18 runs the packaged exporter.
    expect((await inChroot(['node', '--version'])).stdout).toMatch(/^v18\.(19|[2-9]\d)\./);
    expect((await inChroot(['/usr/bin/multipath-exporter', '--version'])).stdout).toBe('multipath-exporter 0.1.0');
    const check = await inChroot(['/usr/bin/multipath-exporter', 'check-config', '--config', '/etc/multipath-exporter/config.yml']);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/valid .*apply disabled/);
    // The unit is valid for this root's systemd (paths exist, directives known).
    const verify = await inChroot(['systemd-analyze', 'verify', '--man=no', '/usr/lib/systemd/system/multipath-exporter.service']);
    expect(`${verify.stdout}${verify.stderr}`.trim()).toBe('');
    expect(verify.exitCode).toBe(0);
    const applyRoot = join(root!, 'etc/systemd/system/multipath-exporter.service.d');
    await execa('install', ['-D', '-m644', join(root!, 'usr/share/multipath-exporter/systemd/apply-mode.conf'), join(applyRoot, 'apply-mode.conf')]);
    const verifyApply = await inChroot(['systemd-analyze', 'verify', '--man=no', 'multipath-exporter.service']);
    expect(`${verifyApply.stdout}${verifyApply.stderr}`.trim()).toBe('');
    await rm(applyRoot, { recursive: true });
  });

  it('man page documents exactly the commands and options of --help', async () => {
    const help = (await inChroot(['/usr/bin/multipath-exporter', '--help'])).stdout;
    const man = (await inChroot(['sh', '-c', 'zcat /usr/share/man/man1/multipath-exporter.1.gz'])).stdout.replace(/\\-/g, '-');
    const helpOptions = [...help.matchAll(/(?:^|[\s,])(--?[a-zA-Z][\w.-]*)/gm)].map((m) => m[1]!);
    const helpCommands = [...help.split(/\nCommands:\n/)[1]!.split(/\n\n/)[0]!.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!);
    expect(helpCommands).toEqual(['serve', 'check-config', 'metrics', 'plan', 'apply', 'import']);
    expect(helpOptions.length).toBeGreaterThanOrEqual(8);
    for (const token of [...helpOptions, ...helpCommands]) expect(man, token).toContain(token);
    const manOptions = [...man.matchAll(/^\.BR (--?[\w.-]+)(?: ", " (--[\w.-]+))?/gm)].flatMap((m) => [m[1]!, m[2]].filter(Boolean) as string[]);
    const manCommands = [...man.split('.SH COMMANDS')[1]!.split('.SH OPTIONS')[0]!.matchAll(/^\.B (\S+)$/gm)].map((m) => m[1]!);
    expect(new Set(manOptions)).toEqual(new Set(helpOptions));
    expect(manCommands).toEqual(helpCommands);
  });

  it('as the unprivileged service user under Node 18: `metrics` collects through the exec transport', async () => {
    // A stand-in for the multipathd client (the clean root has no multipath-tools): the exporter
    // runs it with execa, no shell, exactly as it runs /sbin/multipathd.
    await writeFile(join(root!, 'tmp/daemon.txt'), await readFile(join(REPO, 'fixtures/multipathd/show-daemon-idle.txt'), 'utf8'));
    await writeFile(join(root!, 'tmp/maps.json'), await readFile(join(REPO, 'fixtures/multipathd/fc-alua-4paths-2groups.json'), 'utf8'));
    await writeFile(join(root!, 'tmp/status.txt'), await readFile(join(REPO, 'fixtures/multipathd/show-status-idle.txt'), 'utf8'));
    await writeFile(
      join(root!, 'tmp/fake-multipathd'),
      '#!/bin/sh\ncase "$*" in\n  "show daemon") cat /tmp/daemon.txt ;;\n  "show maps json") cat /tmp/maps.json ;;\n  "show status") cat /tmp/status.txt ;;\n  *) exit 1 ;;\nesac\n',
    );
    await chmod(join(root!, 'tmp/fake-multipathd'), 0o755);
    await writeFile(join(root!, 'tmp/test-config.yml'), `node: debtest\nmultipathd: { transport: exec, command: [/tmp/fake-multipathd] }\nsysfsRoot: /nonexistent\n`);
    await chmod(join(root!, 'tmp/test-config.yml'), 0o644);
    const r = await inChroot(['/usr/bin/multipath-exporter', 'metrics', '--config', '/tmp/test-config.yml'], 'multipath-exporter:multipath-exporter');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^multipath_up 1$/m);
    expect(r.stdout).toMatch(/^multipath_daemon_busy 0$/m);
    expect(r.stdout).toMatch(/^multipath_exporter_info\{version="0\.1\.0",nodename="debtest"\} 1$/m);
    expect(r.stdout).toMatch(/^multipath_map_state\{state="optimal",wwid="3600a098038314c6f6b5d4f2d41434b31"\} 1$/m);
  });

  it('(control) the exact-length fake answers a client that binds names like multipathd does', async () => {
    const name = `mpe-exact-ctl-${process.pid}`;
    const py = execa('python3', ['-c', PY_FAKE_MULTIPATHD, name], { input: JSON.stringify({ 'show daemon': 'pid 1842 idle\n' }), reject: false, timeout: 60_000 });
    try {
      await new Promise<void>((resolve, reject) => {
        py.stdout?.once('data', () => resolve());
        py.once('exit', () => reject(new Error(`python fake exited: ${String(py.stderr)}`)));
      });
      const client = `import socket, struct, sys
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect('\\0' + sys.argv[1])
cmd = b'show daemon\\0'; c.sendall(struct.pack('<Q', len(cmd)) + cmd)
n = struct.unpack('<Q', c.recv(8, socket.MSG_WAITALL))[0]; sys.stdout.write(c.recv(n, socket.MSG_WAITALL).rstrip(b'\\0').decode())`;
      expect((await execa('python3', ['-c', client, name], { timeout: 10_000 })).stdout).toBe('pid 1842 idle');
    } finally {
      py.kill();
      await py;
    }
  });

  // Node's libuv (1.44 in Node 18, 1.46 in Node 20) connects to an abstract socket with the whole
  // 108-byte sun_path; multipathd <= 0.11 binds the exact name length, so the kernel sees two
  // different names. This fake binds like multipathd (Python uses the exact length). The exporter
  // therefore defaults to transport `auto` (0.12's pathname socket, else exec); an explicit
  // `socket` on an abstract name must fail clearly rather than look like a dead daemon.
  it('under Node 18: an explicit abstract socket transport reports why it cannot reach a multipathd-style socket', async () => {
    const name = `mpe-exact-${process.pid}`;
    const daemon = await readFile(join(REPO, 'fixtures/multipathd/show-daemon-idle.txt'), 'utf8');
    const maps = await readFile(join(REPO, 'fixtures/multipathd/fc-alua-4paths-2groups.json'), 'utf8');
    const py = execa('python3', ['-c', PY_FAKE_MULTIPATHD, name], { input: JSON.stringify({ 'show daemon': daemon, 'show maps json': maps }), reject: false, timeout: 60_000 });
    try {
      await new Promise<void>((resolve, reject) => {
        py.stdout?.once('data', () => resolve());
        py.once('exit', () => reject(new Error(`python fake exited: ${String(py.stderr)}`)));
      });
      await writeFile(join(root!, 'tmp/socket-config.yml'), `node: debtest\nmultipathd: { transport: socket, socket: "@${name}" }\nsysfsRoot: /nonexistent\n`);
      const r = await inChroot(['/usr/bin/multipath-exporter', 'metrics', '--config', '/tmp/socket-config.yml'], 'multipath-exporter:multipath-exporter');
      expect(r.stdout).toMatch(/^multipath_up 0$/m);
      expect(r.stdout).toMatch(/^multipath_collection_error\{reason="daemon_down"\} 1$/m);
      expect(r.stderr).toMatch(/Node\.js cannot reach the abstract socket of a real multipathd <= 0\.11, use transport auto or exec/);
    } finally {
      py.kill();
      await py;
      await rm(join(root!, 'tmp/socket-config.yml'), { force: true });
    }
  });

  it('`serve` under Node 18 with TLS + basic auth: refuses without credentials, serves with them, SIGHUP reloads, logs plain lines', async () => {
    const etc = join(root!, 'etc/multipath-exporter');
    for (const f of ['server.crt', 'server.key']) await copyFile(join(pki.dir, f), join(etc, f));
    await execa('chroot', [root!, 'sh', '-c', 'chgrp multipath-exporter /etc/multipath-exporter/server.key && chmod 640 /etc/multipath-exporter/server.key']);
    const web = (pw: string) => `tls_server_config: { cert_file: server.crt, key_file: server.key }\nbasic_auth_users: { prometheus: '${bcrypt.hashSync(pw, 8)}' }\n`;
    await writeFile(join(etc, 'web.yml'), web('first'));
    const port = await freePort();
    const [file, ...args] = inRoot(
      root!,
      ['/usr/bin/multipath-exporter', 'serve', '--config', '/tmp/test-config.yml', '--listen', `127.0.0.1:${port}`, '--web.config.file', '/etc/multipath-exporter/web.yml'],
      { user: 'multipath-exporter:multipath-exporter' },
    );
    const proc: ResultPromise = execa(file!, args, { reject: false, all: true, timeout: 120_000, forceKillAfterDelay: 3000 });
    let log = '';
    proc.all?.on('data', (c: Buffer) => (log += c.toString()));
    const ca = await readFile(pki.caCert, 'utf8');
    const get = (auth?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = https.get(`https://127.0.0.1:${port}/metrics`, { ca, agent: false, ...(auth ? { auth } : {}) }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
      });
    try {
      for (let i = 0; !/msg=listening/.test(log); i++) {
        if (i > 200 || proc.exitCode !== null) throw new Error(`exporter did not start: ${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await get()).status).toBe(401);
      expect((await get('prometheus:wrong')).status).toBe(401);
      const ok = await get('prometheus:first');
      expect(ok.status).toBe(200);
      expect(ok.body).toMatch(/^multipath_up 1$/m);
      await writeFile(join(etc, 'web.yml'), web('second'));
      proc.kill('SIGHUP');
      for (let i = 0; !/web config reloaded/.test(log); i++) {
        if (i > 100) throw new Error(`no reload: ${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await get('prometheus:first')).status).toBe(401);
      expect((await get('prometheus:second')).status).toBe(200);
    } finally {
      proc.kill('SIGTERM');
      await proc;
      for (const f of ['server.crt', 'server.key', 'web.yml']) await rm(join(etc, f), { force: true });
    }
    expect(proc.exitCode).toBe(0);
    const lines = log.trim().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      expect(line).not.toContain(ESC);
      expect(line).toMatch(/^level=(info|warn|error) msg=/);
    }
  });

  it('upgrades keeping an edited config and the state, then removes and purges without a stray file', async () => {
    // Snapshot of the root as it was before the package (the test files in /tmp aside).
    const before = await (async () => {
      const r = await freshRoot();
      try {
        return await listTree(r);
      } finally {
        await rm(r, { recursive: true, force: true });
      }
    })();
    const accounts = async (dir: string) => Promise.all(['passwd', 'group', 'shadow', 'gshadow'].map((f) => readFile(join(dir, 'etc', f), 'utf8')));
    const accountsBefore = await (async () => {
      const r = await freshRoot();
      try {
        return await accounts(r);
      } finally {
        await rm(r, { recursive: true, force: true });
      }
    })();

    const configPath = join(root!, 'etc/multipath-exporter/config.yml');
    const edited = `${await readFile(configPath, 'utf8')}\n# edited by the admin\nnode: edited-node\n`;
    await writeFile(configPath, edited);
    await writeFile(join(root!, 'var/lib/multipath-exporter/managed-wwids.json'), '[]\n');
    const uid = (await inChroot(['id', '-u', 'multipath-exporter'])).stdout;

    // No --force-conf*: a conffile prompt would read EOF from stdin and fail the upgrade.
    const up = await inChroot(['dpkg', '-i', '/tmp/v2.deb']);
    expect(up.exitCode, `${up.stdout}${up.stderr}`).toBe(0);
    expect((await inChroot(['dpkg-query', '-W', '-f', '${Version}', 'multipath-exporter'])).stdout).toBe('0.1.0-2');
    expect(await readFile(configPath, 'utf8')).toBe(edited);
    expect(await readFile(join(root!, 'var/lib/multipath-exporter/managed-wwids.json'), 'utf8')).toBe('[]\n');
    expect((await inChroot(['id', '-u', 'multipath-exporter'])).stdout).toBe(uid);
    expect((await inChroot(['/usr/bin/multipath-exporter', 'check-config', '--config', '/etc/multipath-exporter/config.yml'])).exitCode).toBe(0);

    // Remove: the program goes, config, state and user stay.
    expect((await inChroot(['dpkg', '-r', 'multipath-exporter'])).exitCode).toBe(0);
    expect((await inChroot(['test', '-e', '/usr/bin/multipath-exporter'])).exitCode).not.toBe(0);
    expect(await readFile(configPath, 'utf8')).toBe(edited);
    expect((await inChroot(['getent', 'passwd', 'multipath-exporter'])).exitCode).toBe(0);

    // Purge: nothing left.
    const purge = await inChroot(['dpkg', '-P', 'multipath-exporter']);
    expect(purge.exitCode, `${purge.stdout}${purge.stderr}`).toBe(0);
    for (const f of ['v1.deb', 'v2.deb', 'test-config.yml', 'daemon.txt', 'maps.json', 'status.txt', 'fake-multipathd']) await rm(join(root!, 'tmp', f), { force: true });
    // /run is a tmpfs on a real system (systemd-analyze verify leaves a marker there).
    const ignore = (p: string) =>
      p.startsWith('./run/') ||
      p.startsWith('./var/lib/dpkg/') || p.startsWith('./var/log/') || p.startsWith('./var/cache/') || /^\.\/etc\/(passwd|group|shadow|gshadow)-$/.test(p);
    const after = await listTree(root!);
    expect(after.filter((p) => !ignore(p) && !before.includes(p))).toEqual([]);
    expect(before.filter((p) => !ignore(p) && !after.includes(p))).toEqual([]);
    expect(await accounts(root!)).toEqual(accountsBefore);
    expect((await inChroot(['dpkg-query', '-W', 'multipath-exporter'])).exitCode).not.toBe(0);
  });
});
