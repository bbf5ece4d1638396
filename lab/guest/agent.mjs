// The lab agent: runs inside a lab VM (started by lab/guest/init with the host's node binary from
// the 9p share) and lets the host harness read the node's real state and run a fixed set of lab
// actions by name. No shell and no arbitrary command from the network, although the port is only
// forwarded to the host's 127.0.0.1. Plain JavaScript, no dependencies (it runs from the share).
//
//   GET  /state                 JSON: hostname, scsi devices, multipathd replies, wwids, conf.d, ...
//   GET  /raw/maps-json         the exact `multipathd show maps json` stdout (fixtures)
//   GET  /raw/daemon            the exact `multipathd show daemon` stdout
//   GET  /raw/status            the exact `multipathd show status` stdout
//   GET  /raw/topology          `multipathd show topology`
//   POST /action/<name>?hctl=H:C:T:L   path-offline, path-running, path-delete, host-rescan,
//                               multipathd-stop, multipathd-start, exporter-start, exporter-stop,
//                               exporter-reload, metrics-unprivileged; ?wwid=W: lun-remove, wwid-add
import { execFile, spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const PORT = Number(process.env.LAB_AGENT_PORT ?? 9101);
const SHARE = '/mnt/run';
const NODE_BIN = '/mnt/node/node';
const SCSI = '/sys/bus/scsi/devices';

function run(argv, timeoutMs = 10_000) {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Every SCSI disk: H:C:T:L, block device, state and WWID (from sysfs, as multipathd sees it). */
function scsiDevices() {
  const out = [];
  for (const hctl of readdirSync(SCSI).filter((n) => /^\d+:\d+:\d+:\d+$/.test(n))) {
    let dev = null;
    try {
      dev = readdirSync(`${SCSI}/${hctl}/block`)[0] ?? null;
    } catch {}
    out.push({
      hctl,
      dev,
      state: read(`${SCSI}/${hctl}/state`)?.trim() ?? null,
      wwid: read(`${SCSI}/${hctl}/wwid`)?.trim() ?? null,
      mpathWwid: wwidOf(read(`${SCSI}/${hctl}/wwid`)?.trim() ?? ''),
    });
  }
  return out.sort((a, b) => a.hctl.localeCompare(b.hctl, 'en', { numeric: true }));
}

function confD() {
  const dir = '/etc/multipath/conf.d';
  const files = {};
  try {
    for (const f of readdirSync(dir).sort()) files[f] = read(`${dir}/${f}`);
  } catch {}
  return files;
}

// The exporter: started with the agent (the node's boot) and on request, with the shared bundle and config.
const exporter = { child: null, log: [], exits: [] };
function logLine(s) {
  exporter.log.push(...String(s).split('\n').filter(Boolean));
  if (exporter.log.length > 400) exporter.log.splice(0, exporter.log.length - 400);
}
function startExporter() {
  if (exporter.child) return 'already running';
  const argv = [`${SHARE}/multipath-exporter.mjs`, 'serve', '--config', `${SHARE}/config.yml`];
  if (!existsSync(argv[0])) throw new Error(`no exporter bundle at ${argv[0]}`);
  const child = spawn(NODE_BIN, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  exporter.child = child;
  child.stdout.on('data', logLine);
  child.stderr.on('data', logLine);
  child.on('exit', (code, signal) => {
    exporter.exits.push({ code, signal, at: Date.now() });
    if (exporter.child === child) exporter.child = null;
  });
  return `started pid ${child.pid}`;
}

async function stopExporter() {
  const child = exporter.child;
  if (!child) return 'not running';
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  return 'stopped';
}

function daemonPid() {
  const pid = read('/run/multipathd.pid')?.trim();
  return pid && existsSync(`/proc/${pid}`) ? Number(pid) : null;
}

async function state() {
  const [daemon, maps, dm] = await Promise.all([
    run(['/sbin/multipathd', 'show', 'daemon']),
    run(['/sbin/multipathd', 'show', 'maps', 'json']),
    run(['/sbin/dmsetup', 'ls', '--target', 'multipath']),
  ]);
  let mapsParsed = null;
  try {
    mapsParsed = JSON.parse(maps.stdout);
  } catch {}
  return {
    hostname: hostname(),
    uptime: Number(read('/proc/uptime')?.split(' ')[0]),
    scsi: scsiDevices(),
    daemon: { pid: daemonPid(), ...daemon },
    maps: mapsParsed,
    mapsRaw: maps,
    dmsetup: dm,
    wwids: read('/etc/multipath/wwids'),
    bindings: read('/etc/multipath/bindings'),
    confd: confD(),
    exporter: { pid: exporter.child?.pid ?? null, exits: exporter.exits, log: exporter.log.slice(-80) },
  };
}

function hctlArg(url) {
  const hctl = url.searchParams.get('hctl') ?? '';
  if (!/^\d+:\d+:\d+:\d+$/.test(hctl) || !existsSync(`${SCSI}/${hctl}`)) throw new Error(`no such SCSI device ${JSON.stringify(hctl)}`);
  return hctl;
}

function wwidArg(url) {
  const wwid = url.searchParams.get('wwid') ?? '';
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(wwid)) throw new Error(`bad WWID ${JSON.stringify(wwid)}`);
  return wwid;
}
/** sysfs `naa.33333330000007d0` -> multipathd's WWID `333333330000007d0` (scsi_id: 3 = NAA). */
function wwidOf(sysfsWwid) {
  return sysfsWwid.startsWith('naa.') ? `3${sysfsWwid.slice(4)}` : sysfsWwid;
}

const actions = {
  'path-offline': (url) => (writeFileSync(`${SCSI}/${hctlArg(url)}/state`, 'offline\n'), 'ok'),
  'path-running': (url) => (writeFileSync(`${SCSI}/${hctlArg(url)}/state`, 'running\n'), 'ok'),
  'path-delete': (url) => (writeFileSync(`${SCSI}/${hctlArg(url)}/delete`, '1'), 'ok'),
  // Remove every path of one LUN (all SCSI devices with that WWID): the LUN is gone from this node.
  'lun-remove': (url) => {
    const wwid = wwidArg(url);
    const gone = scsiDevices().filter((d) => d.mpathWwid === wwid);
    if (!gone.length) throw new Error(`no SCSI device with WWID ${wwid}`);
    for (const d of gone) writeFileSync(`${SCSI}/${d.hctl}/delete`, '1');
    return `removed ${gone.map((d) => d.hctl).join(' ')}`;
  },
  // Fallback when no exporter bundle exists yet: allow-list one WWID by hand, as an admin would.
  'wwid-add': async (url) => {
    const wwid = wwidArg(url);
    const a = await run(['/sbin/multipath', '-a', wwid]);
    const r = await run(['/sbin/multipathd', 'reconfigure']);
    return `${a.stdout.trim()} / reconfigure: ${r.stdout.trim()}`;
  },
  'host-rescan': () => {
    for (const h of readdirSync('/sys/class/scsi_host')) writeFileSync(`/sys/class/scsi_host/${h}/scan`, '- - -');
    return 'ok';
  },
  'multipathd-stop': async () => {
    const pid = daemonPid();
    if (!pid) return 'not running';
    await run(['/sbin/multipathd', 'shutdown']);
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
    if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
    return 'stopped';
  },
  'multipathd-start': async () => {
    if (daemonPid()) return 'already running';
    const r = await run(['/sbin/multipathd']);
    if (r.code !== 0) throw new Error(`multipathd exited ${r.code}: ${r.stderr}`);
    return 'started';
  },
  // The monitor-only read path as the packaged unprivileged service runs it: `metrics` as
  // nobody (uid/gid 65534), default transport (the multipathd client; `show` is allowed for
  // non-root peers), apply disabled. Returns the exposition. The collection budget is the lab's
  // (software emulation makes one `multipathd show` exec take seconds; see lab/scenario.ts).
  'metrics-unprivileged': async () => {
    const config = '/tmp/monitor-only.yml';
    writeFileSync(config, `node: ${hostname()}\napply: { enabled: false }\nmultipathd: { timeout: 20s }\n`, { mode: 0o644 });
    return new Promise((resolve, reject) => {
      execFile(NODE_BIN, [`${SHARE}/multipath-exporter.mjs`, 'metrics', '--config', config], { uid: 65534, gid: 65534, timeout: 30_000, maxBuffer: 16 * 1024 * 1024, env: { PATH: '/sbin:/bin:/usr/sbin:/usr/bin' } }, (err, stdout, stderr) => {
        if (err && !stdout) reject(new Error(`metrics as nobody failed (exit ${err.code}, signal ${err.signal}${err.killed ? ', killed at the 30 s timeout' : ''}): ${err.message} ${stderr}`));
        else resolve(`${stdout}# stderr: ${stderr.replace(/\n/g, ' ')}`);
      });
    });
  },
  'exporter-start': () => startExporter(),
  'exporter-stop': () => stopExporter(),
  'exporter-reload': () => {
    if (!exporter.child) throw new Error('exporter not running');
    exporter.child.kill('SIGHUP');
    return 'ok';
  },
};

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://guest');
  const reply = (code, body) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(code, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
    res.end(text);
  };
  try {
    if (req.method === 'GET' && url.pathname === '/state') return reply(200, await state());
    if (req.method === 'GET' && url.pathname.startsWith('/raw/')) {
      const words = { 'maps-json': ['show', 'maps', 'json'], daemon: ['show', 'daemon'], status: ['show', 'status'], topology: ['show', 'topology'] }[url.pathname.slice(5)];
      if (!words) return reply(404, 'unknown raw reply\n');
      const r = await run(['/sbin/multipathd', ...words]);
      res.setHeader('x-exit-code', String(r.code));
      return reply(200, r.stdout);
    }
    if (req.method === 'POST' && url.pathname.startsWith('/action/')) {
      const action = actions[url.pathname.slice(8)];
      if (!action) return reply(404, 'unknown action\n');
      return reply(200, `${await action(url)}\n`);
    }
    reply(404, 'not found\n');
  } catch (err) {
    reply(500, `${err instanceof Error ? err.message : String(err)}\n`);
  }
});
server.listen(PORT, '0.0.0.0', () => {
  // The exporter starts with the node, as its service would (when the share has a bundle).
  if (existsSync(`${SHARE}/multipath-exporter.mjs`)) logLine(`agent: ${startExporter()}`);
  console.log(`LAB: agent listening ${PORT}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, async () => (await stopExporter(), process.exit(0)));
