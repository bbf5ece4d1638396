// The Debian node's lab agent: runs inside a lab Debian VM (lab-agent.service, with the host's node
// binary from the 9p share, so it needs nothing the package under test brings) and lets the host
// harness (lab/debian-node.ts) drive the node the way an admin would: apt, systemctl, journalctl,
// systemd-analyze, sysfs path faults. Every action is a fixed name with validated arguments; no
// shell and no arbitrary command, although the port is only forwarded to the host's 127.0.0.1.
// Plain JavaScript, no dependencies (it runs from the share).
//
//   GET  /state[?node=1]              JSON: release, SCSI devices, multipathd maps, conf.d, wwids,
//                                     the package's status, the unit's properties, the guest's node
//   GET  /unit                        JSON: the unit's properties only (cheap enough to poll)
//   POST /action/<name>?...           JSON {code, stdout, stderr} (see `actions` below)
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const PORT = 9101;
const SHARE = '/mnt/run';
const SCSI = '/sys/bus/scsi/devices';
const UNIT = 'multipath-exporter.service';
const CONFIG = '/etc/multipath-exporter/config.yml';
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive', SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' };

function run(argv, opts = {}) {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: ENV, cwd: opts.cwd ?? '/' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}
const ok = (stdout) => ({ code: 0, stdout: `${stdout}\n`, stderr: '' });

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function scsiDevices() {
  return readdirSync(SCSI)
    .filter((n) => /^\d+:\d+:\d+:\d+$/.test(n))
    .map((hctl) => ({ hctl, state: read(`${SCSI}/${hctl}/state`)?.trim() ?? null, wwid: read(`${SCSI}/${hctl}/wwid`)?.trim() ?? null }))
    .sort((a, b) => a.hctl.localeCompare(b.hctl, 'en', { numeric: true }));
}

function files(dir) {
  const out = {};
  try {
    for (const f of readdirSync(dir).sort()) out[f] = read(`${dir}/${f}`);
  } catch {}
  return out;
}

const UNIT_PROPERTIES = ['ActiveState', 'SubState', 'MainPID', 'NRestarts', 'User', 'DropInPaths', 'UnitFileState', 'Result'];
async function unitProperties() {
  const r = await run(['systemctl', 'show', UNIT, ...UNIT_PROPERTIES.map((p) => `-p${p}`)]);
  return Object.fromEntries(r.stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** `withNode`: also start the guest's /usr/bin/node for its versions (seconds of emulated CPU: only when asked). */
async function state(withNode) {
  const [maps, pkg, guestNode, unit, multipathd] = await Promise.all([
    run(['multipathd', 'show', 'maps', 'json']),
    run(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'multipath-exporter']),
    withNode && existsSync('/usr/bin/node') ? run(['/usr/bin/node', '-p', 'JSON.stringify({ node: process.version, uv: process.versions.uv })']) : null,
    unitProperties(),
    run(['systemctl', 'is-active', 'multipathd.service']),
  ]);
  let mapsParsed = null;
  try {
    mapsParsed = JSON.parse(maps.stdout);
  } catch {}
  return {
    hostname: hostname(),
    release: /^VERSION_CODENAME=(.*)$/m.exec(read('/etc/os-release') ?? '')?.[1] ?? null,
    uptime: Number(read('/proc/uptime')?.split(' ')[0]),
    scsi: scsiDevices(),
    multipathd: multipathd.stdout.trim(),
    maps: mapsParsed,
    confd: files('/etc/multipath/conf.d'),
    wwids: read('/etc/multipath/wwids'),
    package: pkg.code === 0 ? pkg.stdout : null,
    nodeInstalled: existsSync('/usr/bin/node'),
    guestNode: guestNode && guestNode.code === 0 ? JSON.parse(guestNode.stdout) : null,
    unit,
    config: read(CONFIG),
    users: names('/etc/passwd'),
    groups: names('/etc/group'),
  };
}

const names = (file) => (read(file) ?? '').split('\n').filter(Boolean).map((l) => l.split(':')[0]).sort();

/** Every path an installed package could leave behind (for the purge check); noise that any boot changes is left out. */
const TREE_SKIP = ['/proc', '/sys', '/dev', '/run', '/tmp', '/mnt', '/var/log', '/var/cache', '/var/tmp', '/var/lib/dpkg', '/var/lib/apt', '/var/lib/systemd/timers', '/var/lib/systemd/random-seed', '/var/lib/systemd/catalog', '/var/lib/systemd/coredump', '/var/lib/dbus', '/etc/ld.so.cache', '/etc/multipath', '/var/lib/multipath'];
async function tree() {
  const prune = TREE_SKIP.flatMap((p) => ['-path', p, '-prune', '-o']);
  const r = await run(['find', '/', '-xdev', ...prune, '-print'], { timeoutMs: 120_000 });
  return ok(r.stdout.split('\n').filter((p) => p && p !== '/' && !TREE_SKIP.includes(p)).sort().join('\n'));
}

function arg(url, name, re) {
  const v = url.searchParams.get(name) ?? '';
  if (!re.test(v)) throw new Error(`bad ${name} ${JSON.stringify(v)}`);
  return v;
}
const hctlArg = (url) => {
  const hctl = arg(url, 'hctl', /^\d+:\d+:\d+:\d+$/);
  if (!existsSync(`${SCSI}/${hctl}`)) throw new Error(`no such SCSI device ${hctl}`);
  return hctl;
};
/** A package on the run share, installed by file name as an admin would: `apt-get install ./<deb>`. */
const debArg = (url) => {
  const deb = arg(url, 'deb', /^multipath-exporter_[A-Za-z0-9.+~-]+_all\.deb$/);
  if (!existsSync(`${SHARE}/${deb}`)) throw new Error(`no ${deb} on the share`);
  return deb;
};
const SYSTEMCTL_VERBS = ['is-active', 'start', 'stop', 'restart', 'reload', 'daemon-reload', 'status'];
async function mainPid() {
  const pid = Number((await unitProperties()).MainPID);
  if (!(pid > 0)) throw new Error(`${UNIT} has no main process`);
  return pid;
}

/**
 * The bench: the packaged exporter (guest node, /usr/share/multipath-exporter) serving on a private
 * port with one transport, `count` sequential scrapes after three warm-ups; wall time per scrape and
 * the exporter's CPU per scrape including its reaped children (utime+stime+cutime+cstime).
 */
async function bench(transport, count) {
  const port = 19100 + (transport === 'socket' ? 1 : 2);
  const config = `/tmp/bench-${transport}.yml`;
  writeFileSync(config, `node: bench\nlisten: "127.0.0.1:${port}"\nmultipathd: { transport: ${transport} }\napply: { enabled: false }\n`);
  const child = spawn('/usr/bin/node', ['/usr/share/multipath-exporter/multipath-exporter.mjs', 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const ticks = () => read(`/proc/${child.pid}/stat`).replace(/^.*\) /, '').split(' ').slice(11, 15).reduce((a, b) => a + Number(b), 0);
  const hz = Number((await run(['getconf', 'CLK_TCK'])).stdout) || 100;
  try {
    for (let i = 0; !/msg=listening/.test(log); i++) {
      if (i > 600 || child.exitCode !== null) throw new Error(`bench exporter did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      const text = await res.text();
      if (!/^multipath_up 1$/m.test(text)) throw new Error(`bench scrape without multipath_up 1: ${text.slice(0, 400)}`);
    };
    for (let i = 0; i < 3; i++) await scrape();
    const c0 = ticks();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await scrape();
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6 / count;
    const cpuMs = ((ticks() - c0) / hz) * 1000 / count;
    return ok(JSON.stringify({ transport, count, wallMsPerScrape: wallMs, cpuMsPerScrape: cpuMs }));
  } finally {
    child.kill('SIGTERM');
  }
}

const actions = {
  install: async (url) => run(['apt-get', 'install', '-y', `./${debArg(url)}`], { cwd: SHARE, timeoutMs: 300_000 }),
  // Purge the package; then purge what apt installed for it (everything not in the image's own
  // list /etc/lab/packages), so the node's file tree can be compared with the one before the install.
  purge: async () => {
    const purge = await run(['apt-get', 'purge', '-y', 'multipath-exporter'], { timeoutMs: 300_000 });
    if (purge.code !== 0) return purge;
    const image = new Set((read('/etc/lab/packages') ?? '').split('\n').filter(Boolean));
    const installed = (await run(['dpkg-query', '-W', '-f', '${Package} ${db:Status-Abbrev}\n'])).stdout.split('\n').filter((l) => /^\S+ ii/.test(l)).map((l) => l.split(' ')[0]);
    const added = installed.filter((p) => !image.has(p));
    const deps = added.length ? await run(['apt-get', 'purge', '-y', ...added], { timeoutMs: 300_000 }) : { code: 0, stdout: '', stderr: '' };
    return { code: deps.code, stdout: `${purge.stdout}${deps.stdout}purged dependencies: ${added.join(' ')}\n`, stderr: purge.stderr + deps.stderr };
  },
  // The package's own paths (dpkg -L), for the check that purge removed them.
  files: async () => run(['dpkg-query', '-L', 'multipath-exporter']),
  systemctl: async (url) => run(['systemctl', arg(url, 'verb', new RegExp(`^(${SYSTEMCTL_VERBS.join('|')})$`)), ...(url.searchParams.get('verb') === 'daemon-reload' ? [] : [UNIT])]),
  // What the exporter itself wrote (SyslogIdentifier=multipath-exporter), not systemd's lines about the unit.
  journal: async () => run(['journalctl', '-b', '-t', 'multipath-exporter', '-o', 'cat', '--no-pager']),
  'journal-multipathd': async () => run(['journalctl', '-b', '-u', 'multipathd.service', '-o', 'cat', '--no-pager']),
  security: async () => run(['systemd-analyze', 'security', '--no-pager', UNIT]),
  // The apply mode exactly as install.md says: the shipped drop-in into /etc/systemd/system.
  'apply-mode': async () => {
    const r = await run(['install', '-D', '-m644', '/usr/share/multipath-exporter/systemd/apply-mode.conf', `/etc/systemd/system/${UNIT}.d/apply-mode.conf`]);
    return r.code === 0 ? run(['systemctl', 'daemon-reload']) : r;
  },
  // Back to monitor only (install.md): remove the drop-in, daemon-reload, restart.
  'monitor-mode': async () => {
    rmSync(`/etc/systemd/system/${UNIT}.d`, { recursive: true, force: true });
    const r = await run(['systemctl', 'daemon-reload']);
    return r.code === 0 ? run(['systemctl', 'restart', UNIT]) : r;
  },
  // The admin edits the config: /mnt/run/config-<name>.yml becomes /etc/multipath-exporter/config.yml.
  config: async (url) => {
    const name = arg(url, 'name', /^[a-z0-9-]+$/);
    copyFileSync(`${SHARE}/config-${name}.yml`, CONFIG);
    return ok(`config ${name} written`);
  },
  'kill-main': async () => {
    const pid = await mainPid();
    process.kill(pid, 'SIGKILL');
    return ok(String(pid));
  },
  'path-offline': async (url) => (writeFileSync(`${SCSI}/${hctlArg(url)}/state`, 'offline\n'), ok('offline')),
  'path-running': async (url) => (writeFileSync(`${SCSI}/${hctlArg(url)}/state`, 'running\n'), ok('running')),
  tree,
  bench: async (url) => bench(arg(url, 'transport', /^(socket|exec)$/), Number(arg(url, 'count', /^[1-9]\d{0,3}$/))),
};

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://guest');
  const reply = (code, body) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  try {
    if (req.method === 'GET' && url.pathname === '/state') return reply(200, await state(url.searchParams.get('node') === '1'));
    if (req.method === 'GET' && url.pathname === '/unit') return reply(200, await unitProperties());
    if (req.method === 'POST' && url.pathname.startsWith('/action/')) {
      const action = actions[url.pathname.slice(8)];
      if (!action) return reply(404, { error: 'unknown action' });
      return reply(200, await action(url));
    }
    reply(404, { error: 'not found' });
  } catch (err) {
    reply(500, { error: err instanceof Error ? err.message : String(err) });
  }
});
server.listen(PORT, '0.0.0.0', () => console.log(`LAB: agent listening ${PORT}`));
