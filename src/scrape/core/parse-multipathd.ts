// multipathd replies -> typed model. Pure: the same functions run on live replies, recorded
// fixtures and the benchmark's generated replies.
import { type MapData, parseRawMap, type PathData, type PathGroupData, RawMapsReply } from './multipathd-json.js';
import {
  checkerStateOf,
  clampState,
  type CheckerState,
  type CollectionFailure,
  DAEMON_STATES,
  DROPPED_ENTRIES,
  type DroppedEntry,
  type DaemonState,
  MAP_DM_STATES,
  type MapDmState,
  type MapHealth,
  PATH_DEVICE_STATES,
  PATH_DM_STATES,
  PATH_GROUP_STATES,
  type QueueingMode,
  statusCheckerStateOf,
  stateLabel,
  type PathDeviceState,
  type PathDmState,
  type PathGroupState,
  SKIP_REASONS,
  type SkipReason,
  type Transport,
  zeroCounts,
} from './states.js';

export interface PathModel {
  /**
   * The path's `dev` label, unique within its map: the kernel name, else `dev_t`, else
   * `group<N>-unnamed` (the k-th nameless path of the group: `group<N>-unnamed-<k>`).
   */
  devLabel: string;
  dev?: string;
  devT?: string;
  /** 1-based path group the path sits in. */
  group: number;
  dmState: PathDmState;
  deviceState: PathDeviceState;
  checkerState: CheckerState;
  /** multipathd's own checker string, for humans (`i/o pending`, or a string this version does not know). */
  checkerStateRaw?: string;
  /** multipathd's own `dm_st` and `dev_st` strings (the state labels keep a new one, see stateLabel). */
  dmStateRaw?: string;
  deviceStateRaw?: string;
  checker?: string;
  /** Prioritizer value; -1 means undefined. */
  priority?: number;
  hostWwnn?: string;
  targetWwnn?: string;
  hostWwpn?: string;
  targetWwpn?: string;
  hostAdapter?: string;
  lunHex?: string;
  marginal: boolean;
  transport?: Transport;
}

export interface PathGroupModel {
  group: number;
  selector?: string;
  priority: number;
  dmState: PathGroupState;
  dmStateRaw?: string;
  marginal: boolean;
  paths: PathModel[];
}

export interface MapCounters {
  pathFaults: number;
  pathGroupSwitches: number;
  mapLoads: number;
  queueingSeconds: number;
  recoveryEntries: number;
}

/** What the map does with I/O when no usable path is left (its `queueing` field). */
export interface Queueing {
  mode: QueueingMode;
  /** Seconds of queueing left, only in recovery (`<S> sec`). */
  secondsLeft?: number;
}

export interface MapModel {
  wwid: string;
  name: string;
  sysfs?: string;
  failback?: string;
  /** multipathd's descriptive queueing text (`on`, `off`, `12 chk`, `30 sec`); never a label. */
  queueingText?: string;
  queueing: Queueing;
  /** multipathd's `paths`: paths whose checker says ready or ghost. Not the total. */
  pathsUsable: number;
  pathsTotal: number;
  pathsActive: number;
  health: MapHealth;
  readOnly: boolean;
  dmState: MapDmState;
  features?: string;
  hwhandler?: string;
  action?: string;
  vendor?: string;
  product?: string;
  revision?: string;
  counters: MapCounters;
  pathGroups: PathGroupModel[];
  /** Set only when every path agrees. */
  transport?: Transport;
  /** From sysfs (enrichment), absent in the pure parse. */
  sizeBytes?: number;
  holders?: number;
}

export interface ParsedMaps {
  maps: MapModel[];
  /** Maps of the reply that are not exported, by reason. */
  skipped: Record<SkipReason, number>;
  /** Path groups and paths dropped as repeats within their map (docs/metrics.md, "Repeats"). */
  dropped: Record<DroppedEntry, number>;
}

export type ReplyResult<T> = { ok: true; value: T } | { ok: false; reason: CollectionFailure; message: string };

/** multipathd's placeholders for "no value" in 0.9.x JSON and text output. */
const PLACEHOLDERS = new Set(['', '[undef]', '[unknown]', 'undef', '-', '##', '(null)', '#:#']);

/** A present, meaningful value, or undefined for any placeholder. */
export function present(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return PLACEHOLDERS.has(trimmed) ? undefined : trimmed;
}

/** Map health: optimal when every path is dm-active, failed when none (or no paths). */
export function deriveHealth(pathsActive: number, pathsTotal: number): MapHealth {
  if (pathsTotal === 0 || pathsActive === 0) return 'failed';
  return pathsActive === pathsTotal ? 'optimal' : 'degraded';
}

/** Transport of a path from its sysfs `/sys/block/<dev>` link target. */
export function transportFromSysfsLink(link: string | undefined): Transport | undefined {
  if (!link) return undefined;
  if (/\/session\d+\//.test(link)) return 'iscsi';
  if (/\/rport-\d+/.test(link)) return 'fc';
  if (/\/end_device-/.test(link)) return 'sas';
  return undefined;
}

/** The map-level transport, only when all paths that have one agree and none lacks one. */
export function mapTransport(paths: readonly PathModel[]): Transport | undefined {
  const seen = new Set(paths.map((p) => p.transport));
  if (seen.size !== 1) return undefined;
  return [...seen][0];
}

/**
 * Classifies a reply that is not the expected payload. multipathd answers `fail\n`, `timeout\n`,
 * a permission message or its help text instead of JSON; 0.9.8+ prefix every failure with `fail\n`.
 */
export function classifyNonPayload(reply: string): { reason: CollectionFailure; message: string } {
  const trimmed = reply.trim();
  if (trimmed === '') return { reason: 'bad_output', message: 'empty reply from multipathd' };
  if (/permission deny/.test(trimmed)) return { reason: 'permission', message: `multipathd refused: ${firstLine(trimmed)}` };
  if (/^(fail\n)?timeout/.test(trimmed)) return { reason: 'timeout', message: 'multipathd answered "timeout" (its lock was held too long)' };
  if (trimmed === 'fail' || trimmed.startsWith('fail\n')) return { reason: 'fail', message: `multipathd answered "${firstLine(trimmed)}"` };
  return { reason: 'bad_output', message: `unexpected reply from multipathd: ${JSON.stringify(trimmed.slice(0, 120))}` };
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '' && l.trim() !== 'fail') ?? text.split('\n')[0] ?? '';
}

export interface DaemonReply {
  pid: number;
  state: DaemonState;
  stateRaw: string;
  /** 0.10+ prints ` (pending reconfigure)` after the state while a reconfigure waits its turn. */
  reconfigurePending: boolean;
}

/** `show daemon` -> `pid 1842 idle` (0.10+: ` (pending reconfigure)` may follow). */
export function parseDaemonReply(reply: string): ReplyResult<DaemonReply> {
  const m = /^pid (\d+) (\S+)( \(pending reconfigure\))?/.exec(reply.trim());
  if (!m) return { ok: false, ...classifyNonPayload(reply) };
  return {
    ok: true,
    value: { pid: Number(m[1]), state: clampState(DAEMON_STATES, m[2], 'unknown'), stateRaw: m[2]!, reconfigurePending: m[3] !== undefined },
  };
}

export interface DaemonStatus {
  /** Paths per checker state (our names: `up` is `ready`, `down` is `faulty`), only states with paths. */
  paths: Record<string, number>;
  /** Paths multipathd monitors (has an open device for): `paths: N`. */
  monitored: number;
  /** Whether multipathd is busy processing uevents: `busy: True`. */
  busy: boolean;
}

/**
 * `show status`, 0.9.4 (libmultipath/print.c, snprint_status): a header, one `%-20s%u` line per
 * checker state with paths (libmultipath's state names), a blank line, `paths: N`, `busy: True|False`.
 */
export function parseStatusReply(reply: string): ReplyResult<DaemonStatus> {
  const lines = reply.split('\n');
  if (lines[0] !== 'path checker states:') return { ok: false, ...classifyNonPayload(reply) };
  const paths: Record<string, number> = {};
  let i = 1;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const m = /^(.+?) *(\d+)$/.exec(lines[i]!);
    if (!m) return { ok: false, reason: 'bad_output', message: `show status: not a checker state count: ${JSON.stringify(lines[i]!.slice(0, 80))}` };
    const state = stateLabel(statusCheckerStateOf(m[1]!), m[1]);
    paths[state] = (paths[state] ?? 0) + Number(m[2]);
  }
  const monitored = /^paths: (\d+)$/.exec(lines[i + 1] ?? '');
  const busy = /^busy: (True|False)$/.exec(lines[i + 2] ?? '');
  if (!monitored || !busy) return { ok: false, reason: 'bad_output', message: `show status: no "paths:" and "busy:" lines after the checker states` };
  return { ok: true, value: { paths, monitored: Number(monitored[1]), busy: busy[1] === 'True' } };
}

/** The map's `queueing` field (0.9.4 libmultipath/print.c, snprint_queueing). */
export function parseQueueing(raw: string | undefined): Queueing {
  const text = raw?.trim();
  if (text === 'off') return { mode: 'off' };
  if (text === 'on') return { mode: 'queue' };
  if (text === '-') return { mode: 'unset' };
  const m = /^(\d+) (chk|sec)$/.exec(text ?? '');
  if (!m) return { mode: 'unknown' };
  return m[2] === 'sec' ? { mode: 'recovery', secondsLeft: Number(m[1]) } : { mode: 'retry' };
}

function parsePath(raw: PathData, group: number): Omit<PathModel, 'devLabel'> {
  const targetWwpn = present(raw.target_wwpn);
  const checkerStateRaw = present(raw.chk_st);
  return {
    dev: present(raw.dev),
    devT: present(raw.dev_t),
    group,
    dmState: clampState(PATH_DM_STATES, present(raw.dm_st), 'unknown'),
    deviceState: clampState(PATH_DEVICE_STATES, present(raw.dev_st), 'unknown'),
    checkerState: checkerStateOf(raw.chk_st?.trim()),
    checkerStateRaw,
    dmStateRaw: present(raw.dm_st),
    deviceStateRaw: present(raw.dev_st),
    checker: present(raw.checker),
    priority: raw.pri,
    hostWwnn: present(raw.host_wwnn),
    targetWwnn: present(raw.target_wwnn),
    hostWwpn: present(raw.host_wwpn),
    targetWwpn,
    hostAdapter: present(raw.host_adapter),
    lunHex: present(raw.lun_hex),
    marginal: raw.marginal_st?.trim() === 'marginal',
    // A real target WWPN means Fibre Channel; `[undef]` is printed for iSCSI/SAS.
    transport: targetWwpn && /^0x[0-9a-f]+$/i.test(targetWwpn) ? 'fc' : undefined,
  };
}

/**
 * The path groups of one map without repeats, first occurrence wins: a group whose number was seen
 * before is dropped with its paths, a path whose `dev` label was seen before in the map is dropped.
 * Nameless paths (no dev, no dev_t) are numbered per group, not dropped: they are distinct paths.
 */
function parseGroups(rawGroups: readonly PathGroupData[], dropped: Record<DroppedEntry, number>): PathGroupModel[] {
  const groups: PathGroupModel[] = [];
  const groupNumbers = new Set<number>();
  const devLabels = new Set<string>();
  rawGroups.forEach((raw, index) => {
    const group = raw.group !== undefined && Number.isInteger(raw.group) && raw.group >= 1 ? raw.group : index + 1;
    if (groupNumbers.has(group)) {
      dropped.path_group++;
      return;
    }
    groupNumbers.add(group);
    const paths: PathModel[] = [];
    let nameless = 0;
    for (const rawPath of raw.paths) {
      const path = parsePath(rawPath, group);
      const devLabel = path.dev ?? path.devT ?? (++nameless === 1 ? `group${group}-unnamed` : `group${group}-unnamed-${nameless}`);
      if (devLabels.has(devLabel)) {
        dropped.path++;
        continue;
      }
      devLabels.add(devLabel);
      paths.push({ devLabel, ...path });
    }
    groups.push({
      group,
      selector: present(raw.selector),
      priority: raw.pri ?? 0,
      dmState: clampState(PATH_GROUP_STATES, present(raw.dm_st), 'unknown'),
      dmStateRaw: present(raw.dm_st),
      marginal: raw.marginal_st?.trim() === 'marginal',
      paths,
    });
  });
  return groups;
}

/** One raw map with a WWID -> model; repeats within it are dropped and counted into `dropped`. */
function parseMap(raw: MapData, wwid: string, dropped: Record<DroppedEntry, number>): MapModel {
  const pathGroups = parseGroups(raw.path_groups, dropped);
  const paths = pathGroups.flatMap((g) => g.paths);
  const pathsActive = paths.filter((p) => p.dmState === 'active').length;
  const features = present(raw.features);
  return {
    wwid,
    name: present(raw.name) ?? wwid,
    sysfs: present(raw.sysfs),
    failback: present(raw.failback),
    queueingText: present(raw.queueing),
    queueing: parseQueueing(raw.queueing),
    pathsUsable: raw.paths ?? 0,
    pathsTotal: paths.length,
    pathsActive,
    health: deriveHealth(pathsActive, paths.length),
    readOnly: raw.write_prot?.trim() === 'ro',
    dmState: clampState(MAP_DM_STATES, present(raw.dm_st), 'unknown'),
    features,
    hwhandler: present(raw.hwhandler),
    action: present(raw.action),
    vendor: present(raw.vend),
    product: present(raw.prod),
    revision: present(raw.rev),
    counters: {
      pathFaults: raw.path_faults ?? 0,
      pathGroupSwitches: raw.switch_grp ?? 0,
      mapLoads: raw.map_loads ?? 0,
      queueingSeconds: raw.total_q_time ?? 0,
      recoveryEntries: raw.q_timeouts ?? 0,
    },
    pathGroups,
    transport: mapTransport(paths),
  };
}

/** The WWID of one element of `maps`, or why the element is skipped. */
function wwidOf(element: unknown): { wwid: string } | { skip: SkipReason } {
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return { skip: 'malformed' };
  const uuid = (element as { uuid?: unknown }).uuid;
  if (uuid !== undefined && uuid !== null && typeof uuid !== 'string') return { skip: 'invalid_wwid' };
  const wwid = present(uuid ?? undefined);
  return wwid ? { wwid } : { skip: 'no_wwid' };
}

/** One element of `maps` -> a model and what was dropped from it, or why the whole map is skipped. */
function parseMapElement(element: unknown): { map: MapModel; dropped: Record<DroppedEntry, number> } | { skip: SkipReason } {
  const id = wwidOf(element);
  if ('skip' in id) return id;
  // One map's content must never fail the reply: anything that throws on it (however unforeseen)
  // fails only that map.
  try {
    const raw = parseRawMap(element);
    if (!raw) return { skip: 'malformed' };
    const dropped = zeroCounts(DROPPED_ENTRIES);
    return { map: parseMap(raw, id.wwid, dropped), dropped };
  } catch {
    return { skip: 'malformed' };
  }
}

/** `show maps json` reply text -> maps, or the reason it is not usable. Never throws. */
export function parseMapsReply(reply: string): ReplyResult<ParsedMaps> {
  if (!reply.trimStart().startsWith('{')) return { ok: false, ...classifyNonPayload(reply) };
  let data: unknown;
  try {
    data = JSON.parse(reply);
  } catch (err) {
    return { ok: false, reason: 'bad_output', message: `multipathd JSON does not parse: ${(err as Error).message}` };
  }
  const envelope = RawMapsReply.safeParse(data);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    return {
      ok: false,
      reason: 'bad_output',
      message: `multipathd JSON is not a 0.x "show maps json" reply: ${issue?.path.join('.') || 'reply'}: ${issue?.message}`,
    };
  }
  const maps: MapModel[] = [];
  const skipped = zeroCounts(SKIP_REASONS);
  const dropped = zeroCounts(DROPPED_ENTRIES);
  const wwids = new Set<string>();
  for (const element of envelope.data.maps) {
    const parsed = parseMapElement(element);
    if ('skip' in parsed) {
      skipped[parsed.skip]++;
    } else if (wwids.has(parsed.map.wwid)) {
      skipped.duplicate_wwid++; // the first map with this WWID is kept
    } else {
      wwids.add(parsed.map.wwid);
      maps.push(parsed.map);
      for (const entry of DROPPED_ENTRIES) dropped[entry] += parsed.dropped[entry];
    }
  }
  return { ok: true, value: { maps, skipped, dropped } };
}
