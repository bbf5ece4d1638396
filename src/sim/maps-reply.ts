// Builds `show maps json` and `show status` replies in multipath-tools 0.9.4's exact byte layout
// (libmultipath/print.c templates, see fixtures/real/) from a compact description. Used by the fake
// multipathd (demo, end-to-end, benchmark); unit tests use the recorded fixtures instead.

export interface SimPath {
  dev: string;
  devT?: string;
  /** dm state: active | failed (kernel view). */
  dmState?: string;
  devState?: string;
  checkerState?: string;
  priority?: number;
  /** FC target WWPN; `[undef]` for iSCSI/SAS. */
  targetWwpn?: string;
  hostAdapter?: string;
  targetWwnn?: string;
}

export interface SimGroup {
  priority?: number;
  dmState?: string;
  paths: SimPath[];
}

export interface SimMap {
  wwid: string;
  /** Map name; default the WWID (user_friendly_names no). */
  name?: string;
  sysfs?: string;
  vendor?: string;
  product?: string;
  features?: string;
  /** The `queueing` field (`on`, `off`, `-`, `12 chk`, `30 sec`); default `on` with queue_if_no_path, else `off`. */
  queueing?: string;
  pathFaults?: number;
  switchGroup?: number;
  mapLoads?: number;
  groups: SimGroup[];
}

const usable = (p: SimPath) => ['ready', 'ghost'].includes(p.checkerState ?? 'ready');

function pathJson(p: SimPath): string {
  return [
    '{',
    `            "dev" : "${p.dev}",`,
    `            "dev_t" : "${p.devT ?? '8:0'}",`,
    `            "dm_st" : "${p.dmState ?? 'active'}",`,
    `            "dev_st" : "${p.devState ?? 'running'}",`,
    `            "chk_st" : "${p.checkerState ?? 'ready'}",`,
    '            "checker" : "tur",',
    `            "pri" : ${p.priority ?? 50},`,
    `            "host_wwnn" : "${p.targetWwpn?.startsWith('0x') ? '0x20000024ff7f5c10' : '[undef]'}",`,
    `            "target_wwnn" : "${p.targetWwnn ?? 'iqn.2003-01.org.linux-iscsi.sim:sn.0001'}",`,
    `            "host_wwpn" : "${p.targetWwpn?.startsWith('0x') ? '0x21000024ff7f5c10' : '[undef]'}",`,
    `            "target_wwpn" : "${p.targetWwpn ?? '[undef]'}",`,
    `            "host_adapter" : "${p.hostAdapter ?? '10.10.1.21'}",`,
    '            "lun_hex" : "0x0000000000000000",',
    '            "marginal_st" : "normal"',
    '         }',
  ].join('\n');
}

function groupJson(g: SimGroup, index: number, selector: string): string {
  const paths = g.paths.length ? `[${g.paths.map(pathJson).join(',')}]` : '[]';
  return [
    '{',
    `         "selector" : "${selector}",`,
    `         "pri" : ${g.priority ?? 50},`,
    `         "dm_st" : "${g.dmState ?? (index === 0 ? 'active' : 'enabled')}",`,
    '         "marginal_st" : "normal",',
    `         "group" : ${index + 1},`,
    `         "paths": ${paths}`,
    '      }',
  ].join('\n');
}

function mapJson(m: SimMap): string {
  const all = m.groups.flatMap((g) => g.paths);
  const groups = m.groups.length ? `[${m.groups.map((g, i) => groupJson(g, i, 'service-time 0')).join(',')}]` : '[]';
  return [
    '{',
    `      "name" : "${m.name ?? m.wwid}",`,
    `      "uuid" : "${m.wwid}",`,
    `      "sysfs" : "${m.sysfs ?? 'dm-0'}",`,
    '      "failback" : "immediate",',
    `      "queueing" : "${m.queueing ?? ((m.features ?? '0').includes('queue_if_no_path') ? 'on' : 'off')}",`,
    `      "paths" : ${all.filter(usable).length},`,
    '      "write_prot" : "rw",',
    '      "dm_st" : "active",',
    `      "features" : "${m.features ?? '0'}",`,
    '      "hwhandler" : "1 alua",',
    '      "action" : "",',
    `      "path_faults" : ${m.pathFaults ?? 0},`,
    `      "vend" : "${m.vendor ?? 'LIO-ORG'}",`,
    `      "prod" : "${m.product ?? 'sim-lun'}",`,
    '      "rev" : "4.0",',
    `      "switch_grp" : ${m.switchGroup ?? 0},`,
    `      "map_loads" : ${m.mapLoads ?? 1},`,
    '      "total_q_time" : 0,',
    '      "q_timeouts" : 0,',
    `      "path_groups": ${groups}`,
    '   }',
  ].join('\n');
}

/** A whole `show maps json` reply, byte-compatible with 0.9.4 (ends with `}\n`). */
export function mapsReply(maps: readonly SimMap[]): string {
  const body = maps.length ? `[${maps.map(mapJson).join(',')}]` : '[]';
  return `{\n   "major_version": 0,\n   "minor_version": 1,\n   "maps": ${body}\n}\n`;
}

/** libmultipath's checker state names (`show status`) in enum order, from the JSON `chk_st` spelling. */
const STATUS_STATES: readonly [status: string, chkSt: string][] = [
  ['wild', ''],
  ['unchecked', 'undef'],
  ['down', 'faulty'],
  ['up', 'ready'],
  ['shaky', 'shaky'],
  ['ghost', 'ghost'],
  ['pending', 'i/o pending'],
  ['timeout', 'i/o timeout'],
  ['removed', ''],
  ['delayed', 'delayed'],
  ['disconnected', 'disconnected'],
];

/**
 * A `show status` reply, byte-compatible with 0.9.4 (snprint_status): the paths of `maps` counted
 * per checker state (only states with paths), every path monitored, and the uevent `busy` flag.
 */
export function statusReply(maps: readonly SimMap[], opts: { busy?: boolean } = {}): string {
  const paths = maps.flatMap((m) => m.groups.flatMap((g) => g.paths));
  const lines = STATUS_STATES.map(([status, chkSt]) => [status, paths.filter((p) => (p.checkerState ?? 'ready') === chkSt).length] as const)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${status.padEnd(20)}${count}\n`);
  return `path checker states:\n${lines.join('')}\npaths: ${paths.length}\nbusy: ${opts.busy ? 'True' : 'False'}\n`;
}

/** `count` healthy maps with `pathsPerMap` paths in two ALUA groups (benchmark and scale tests). */
export function generatedMaps(count: number, pathsPerMap = 4): SimMap[] {
  const maps: SimMap[] = [];
  let dev = 0;
  for (let i = 0; i < count; i++) {
    const wwid = `36001405${i.toString(16).padStart(24, '0')}`;
    const paths: SimPath[] = Array.from({ length: pathsPerMap }, () => {
      const n = dev++;
      return { dev: `sd${n.toString(36)}`, devT: `8:${n}`, priority: n % 2 ? 10 : 50 };
    });
    const half = Math.ceil(pathsPerMap / 2);
    maps.push({ wwid, sysfs: `dm-${i}`, groups: [{ paths: paths.slice(0, half), priority: 50 }, { paths: paths.slice(half), priority: 10 }] });
  }
  return maps;
}
