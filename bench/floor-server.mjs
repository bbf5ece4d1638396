// The benchmark's floor: the same work as the exporter's /metrics done the plainest way bare Node
// allows, with no caching, no validation and no project code. Per scrape: `show maps json` from
// the daemon socket, JSON.parse, the same series (names, labels, order) as the exporter's contract
// built by string concatenation, gzip when the scrape asks for it, served over loopback HTTP.
// Plain JavaScript run by plain `node`, so its memory is Node's and nothing else's.
// Usage: node bench/floor-server.mjs <port> <@abstract-socket> <headers.json>
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { gzip } from 'node:zlib';

const [port, socket, headersFile] = process.argv.slice(2);
/** `# HELP`/`# TYPE` text per family name (the exporter's own, so the bytes match). */
const HEADERS = JSON.parse(readFileSync(headersFile, 'utf8'));

function ask(command) {
  return new Promise((resolve, reject) => {
    const conn = connect(`\0${socket.slice(1)}`);
    const payload = Buffer.from(`${command}\0`);
    const header = Buffer.alloc(8);
    header.writeBigUInt64LE(BigInt(payload.length));
    conn.end(Buffer.concat([header, payload]));
    const parts = [];
    conn.on('data', (part) => parts.push(part));
    conn.on('error', reject);
    conn.on('end', () => {
      const reply = Buffer.concat(parts);
      resolve(reply.subarray(8, 8 + Number(reply.readBigUInt64LE(0)) - 1).toString('utf8'));
    });
  });
}

const undef = (v) => (v === '[undef]' ? '' : v);
const ZEROS = (name, label, values, one) => values.map((v) => `${name}{${label}="${v}"} ${v === one ? 1 : 0}\n`).join('');

function exposition(maps) {
  const paths = maps.flatMap((m) => m.path_groups.flatMap((g) => g.paths));
  let out = '';
  const family = (name, body) => {
    out += `${out ? '\n' : ''}${HEADERS[name]}\n${body}`;
  };
  family('multipath_up', 'multipath_up 1\n');
  family('multipath_scrape_duration_seconds', 'multipath_scrape_duration_seconds 0.01\n');
  family('multipath_collection_error', ZEROS('multipath_collection_error', 'reason', ['none', 'daemon_down', 'timeout', 'fail', 'bad_output', 'too_large', 'permission'], 'none'));
  family('multipath_collection_failures_total', ZEROS('multipath_collection_failures_total', 'reason', ['daemon_down', 'timeout', 'fail', 'bad_output', 'too_large', 'permission']));
  family('multipath_exporter_info', 'multipath_exporter_info{version="floor",nodename="bench"} 1\n');
  family('multipath_config_valid', 'multipath_config_valid 1\n');
  family('multipath_config_info', 'multipath_config_info{digest="e3adb9c3aa1697b6"} 1\n');
  family('multipath_config_apply_enabled', 'multipath_config_apply_enabled 0\n');
  family('multipath_daemon_state', ZEROS('multipath_daemon_state', 'state', ['init', 'startup', 'configure', 'idle', 'running', 'shutdown', 'unknown'], 'idle'));
  family('multipath_daemon_reconfigure_pending', 'multipath_daemon_reconfigure_pending 0\n');
  family('multipath_daemon_busy', 'multipath_daemon_busy 0\n');
  const states = ['wild', 'unchecked', 'faulty', 'ready', 'shaky', 'ghost', 'pending', 'timeout', 'removed', 'delayed', 'disconnected'];
  family('multipath_daemon_paths', states.map((s) => `multipath_daemon_paths{state="${s}"} ${paths.filter((p) => p.chk_st === s).length}\n`).join(''));
  family('multipath_daemon_paths_monitored', `multipath_daemon_paths_monitored ${paths.length}\n`);
  family('multipath_maps_skipped', ZEROS('multipath_maps_skipped', 'reason', ['no_wwid', 'invalid_wwid', 'duplicate_wwid', 'malformed']));
  family('multipath_duplicates_dropped', ZEROS('multipath_duplicates_dropped', 'entry', ['path_group', 'path']));
  const perMap = (name, line) => family(name, maps.map(line).join(''));
  const perGroup = (name, line) => family(name, maps.map((m) => m.path_groups.map((g) => line(m, g)).join('')).join(''));
  const perPath = (name, line) => family(name, maps.map((m) => m.path_groups.map((g) => g.paths.map((p) => line(m, g, p)).join('')).join('')).join(''));
  const total = (m) => m.path_groups.reduce((n, g) => n + g.paths.length, 0);
  const active = (m) => m.path_groups.reduce((n, g) => n + g.paths.filter((p) => p.dm_st === 'active').length, 0);
  perMap('multipath_map_info', (m) => `multipath_map_info{wwid="${m.uuid}",name="${m.name}",alias="${m.name === m.uuid ? '' : m.name}",sysfs="${m.sysfs}",vendor="${m.vend}",product="${m.prod}",transport="",used_by=""} 1\n`);
  perMap('multipath_map_state', (m) => {
    const state = active(m) === total(m) ? 'optimal' : active(m) > 0 ? 'degraded' : 'failed';
    return ['optimal', 'degraded', 'failed'].map((s) => `multipath_map_state{state="${s}",wwid="${m.uuid}"} ${s === state ? 1 : 0}\n`).join('');
  });
  perMap('multipath_map_paths', (m) => `multipath_map_paths{wwid="${m.uuid}"} ${total(m)}\n`);
  perMap('multipath_map_paths_active', (m) => `multipath_map_paths_active{wwid="${m.uuid}"} ${active(m)}\n`);
  perMap('multipath_map_paths_usable', (m) => `multipath_map_paths_usable{wwid="${m.uuid}"} ${m.paths}\n`);
  perMap('multipath_map_suspended', (m) => `multipath_map_suspended{wwid="${m.uuid}"} ${m.dm_st === 'suspend' ? 1 : 0}\n`);
  perMap('multipath_map_read_only', (m) => `multipath_map_read_only{wwid="${m.uuid}"} ${m.write_prot === 'ro' ? 1 : 0}\n`);
  perMap('multipath_map_queueing', (m) => `multipath_map_queueing{wwid="${m.uuid}",mode="${m.queueing}"} 1\n`);
  perMap('multipath_map_path_faults_total', (m) => `multipath_map_path_faults_total{wwid="${m.uuid}"} ${m.path_faults}\n`);
  perMap('multipath_map_path_group_switches_total', (m) => `multipath_map_path_group_switches_total{wwid="${m.uuid}"} ${m.switch_grp}\n`);
  perMap('multipath_map_queueing_seconds_total', (m) => `multipath_map_queueing_seconds_total{wwid="${m.uuid}"} ${m.total_q_time}\n`);
  perGroup('multipath_path_group_state', (m, g) => `multipath_path_group_state{wwid="${m.uuid}",group="${g.group}",state="${g.dm_st}"} 1\n`);
  perGroup('multipath_path_group_priority', (m, g) => `multipath_path_group_priority{wwid="${m.uuid}",group="${g.group}"} ${g.pri}\n`);
  perPath('multipath_path_active', (m, g, p) => `multipath_path_active{wwid="${m.uuid}",dev="${p.dev}"} ${p.dm_st === 'active' ? 1 : 0}\n`);
  perPath('multipath_path_state', (m, g, p) => `multipath_path_state{wwid="${m.uuid}",dev="${p.dev}",dm_state="${p.dm_st}",checker_state="${p.chk_st}",device_state="${p.dev_st}"} 1\n`);
  perPath('multipath_path_priority', (m, g, p) => `multipath_path_priority{wwid="${m.uuid}",dev="${p.dev}"} ${p.pri}\n`);
  perPath('multipath_path_marginal', (m, g, p) => `multipath_path_marginal{wwid="${m.uuid}",dev="${p.dev}"} ${p.marginal_st === 'normal' ? 0 : 1}\n`);
  perPath(
    'multipath_path_info',
    (m, g, p) =>
      `multipath_path_info{wwid="${m.uuid}",dev="${p.dev}",dev_t="${p.dev_t}",group="${g.group}",checker="${p.checker}",transport="",host_adapter="${p.host_adapter}",target_wwpn="${undef(p.target_wwpn)}",lun_hex="${p.lun_hex}"} 1\n`,
  );
  return out;
}

createServer(async (req, res) => {
  if (req.url === '/healthz') return res.end('ok\n');
  const text = exposition(JSON.parse(await ask('show maps json')).maps);
  const send = (body, encoding) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': body.length, Vary: 'Accept-Encoding', ...(encoding ? { 'Content-Encoding': encoding } : {}) });
    res.end(body);
  };
  if (/\bgzip\b(?!;q=0)/.test(req.headers['accept-encoding'] ?? '')) gzip(text, (err, body) => send(body, 'gzip'));
  else send(Buffer.from(text), undefined);
}).listen(Number(port), '127.0.0.1');
