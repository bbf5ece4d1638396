// The exporter's config file (YAML), validated with zod. One file is meant to be identical on every
// node of a cluster: `cluster` is the shared part, everything else may default per node.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseDurationMs } from './duration.js';
import { DEFAULTS_KNOB_NAMES, DefaultsKnobs, KNOB_INDENT, LUN_KNOB_NAMES, lunOnlyKnobShape, oversizedKnobs, sharedKnobShape } from './multipath-knobs.js';
import { checkOverrides } from './overrides-guard.js';

export const DEFAULT_CONFIG_PATH = '/etc/multipath-exporter/config.yml';
/** Where pmxcfs mounts the Proxmox VE cluster files (`cluster.source: pve`). */
export const DEFAULT_PVE_DIR = '/etc/pve';
export const DEFAULT_SOCKET = '@/org/kernel/linux/storage/multipathd';
/** multipathd 0.12+ also listens on this pathname socket. */
export const PATHNAME_SOCKET = '/run/multipathd.socket';

/** Durations as `250ms`, `5s`, `2m`, `1m30s`, or a number of seconds; parsed to milliseconds. */
export const Duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const text = String(v).trim();
  const ms = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) * 1000 : (parseDurationMs(text) ?? NaN);
  if (!(ms > 0)) {
    ctx.addIssue({ code: 'custom', message: `must be a positive duration such as 500ms, 5s or 2m, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});

/**
 * multipathd's WWID (map uuid): NAA/EUI strings; no whitespace, slashes or quotes. At most 127
 * characters: multipath-tools keeps WWIDs in WWID_SIZE (128) bytes with the terminating NUL
 * (libmultipath/structs.h), and `multipath -a` fails for a longer one (wwids.c, write_out_wwid).
 */
export const Wwid = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,126}$/, 'must be a WWID as multipathd prints it (letters, digits, ".", "_", ":", "-"; at most 127)');

/** Orders anything keyed by WWID (maps, LUNs) by it, so every rendering is deterministic. */
export function byWwid(a: { wwid: string }, b: { wwid: string }): number {
  return a.wwid < b.wwid ? -1 : a.wwid > b.wwid ? 1 : 0;
}

export const NodeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be a host name');

/** `:10036`, `127.0.0.1:10036`, `[::1]:10036`. */
export const ListenAddress = z.string().transform((v, ctx) => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(v.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `must be [host]:port such as ":10036" or "127.0.0.1:10036", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return { host: m[1] ?? (m[2] || undefined), port };
});
export type ListenAddress = z.infer<typeof ListenAddress>;

/** Per-LUN multipath.conf knobs (alias included), all optional. */
export const LunKnobs = z.strictObject({ ...sharedKnobShape, ...lunOnlyKnobShape }).partial();
export type LunKnobs = z.infer<typeof LunKnobs>;

export const Lun = LunKnobs.extend({
  wwid: Wwid,
  /** Expected nodes; default `cluster.nodes`, else every node running this config. */
  nodes: z.array(NodeName).optional(),
  /** Expected paths per node (redundancy). */
  paths: z.number().int().min(1).max(1024).optional(),
  /** Free label: what consumes the LUN, e.g. the storage ID. */
  usedBy: z.string().max(128).optional(),
});
export type Lun = z.infer<typeof Lun>;

export const Cluster = z
  .strictObject({
    /** Where nodes, defaults, luns and overrides come from: this file (default) or `pve`, Proxmox VE's cluster files in `dir`. */
    source: z.enum(['yaml', 'pve']).optional(),
    dir: z.string().regex(/^\//, 'must be an absolute path').optional(),
    nodes: z.array(NodeName).optional(),
    defaults: DefaultsKnobs.prefault({}),
    luns: z.array(Lun).default([]),
    overrides: z.string().default(''),
  })
  .superRefine((cluster, ctx) => {
    checkClusterSource(cluster, ctx);
    const byWwid = new Map<string, number>();
    const byAlias = new Map<string, number>();
    cluster.luns.forEach((lun, i) => {
      const dup = byWwid.get(lun.wwid);
      if (dup !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['luns', i, 'wwid'], message: `WWID ${lun.wwid} is listed twice (also luns[${dup}])` });
      }
      byWwid.set(lun.wwid, i);
      if (lun.alias !== undefined) {
        const other = byAlias.get(lun.alias);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['luns', i, 'alias'],
            message: `alias "${lun.alias}" is also used by luns[${other}] (${cluster.luns[other]!.wwid}); multipathd would keep only the lowest WWID's map`,
          });
        }
        byAlias.set(lun.alias, i);
      }
    });
    // Every knob line must fit multipath-tools' line buffer (MAX_CONF_LINE_BYTES).
    for (const { key, message } of oversizedKnobs(cluster.defaults, DEFAULTS_KNOB_NAMES, KNOB_INDENT.defaults)) {
      ctx.addIssue({ code: 'custom', path: ['defaults', key], message });
    }
    cluster.luns.forEach((lun, i) => {
      for (const { key, message } of oversizedKnobs(lun, LUN_KNOB_NAMES, KNOB_INDENT.multipath)) {
        ctx.addIssue({ code: 'custom', path: ['luns', i, key], message: `LUN ${lun.wwid}: ${message}` });
      }
    });
    for (const problem of checkOverrides(cluster.overrides)) {
      ctx.addIssue({
        code: 'custom',
        path: ['overrides'],
        message: problem.line ? `override line ${problem.line}: ${problem.message}` : problem.message,
      });
    }
  });
export type Cluster = z.infer<typeof Cluster>;

/** With `source: pve` the shared part comes from the cluster files: the same keys here would be ignored, so they are an error. */
function checkClusterSource(cluster: { source?: string; dir?: string; nodes?: unknown; defaults: object; luns: unknown[]; overrides: string }, ctx: z.RefinementCtx): void {
  if (cluster.source !== 'pve') {
    if (cluster.dir !== undefined) ctx.addIssue({ code: 'custom', path: ['dir'], message: 'is only read with source: pve' });
    return;
  }
  const set = { nodes: cluster.nodes !== undefined, defaults: Object.keys(cluster.defaults).length > 0, luns: cluster.luns.length > 0, overrides: cluster.overrides !== '' };
  for (const [key, isSet] of Object.entries(set)) {
    if (isSet) ctx.addIssue({ code: 'custom', path: [key], message: `comes from the Proxmox VE cluster files with source: pve (${cluster.dir ?? DEFAULT_PVE_DIR}); remove it here` });
  }
}

export const Apply = z.strictObject({
  /** Off by default: without an explicit opt-in the exporter only monitors. */
  enabled: z.boolean().default(false),
  confDir: z.string().default('/etc/multipath/conf.d'),
  wwidsFile: z.string().default('/etc/multipath/wwids'),
  stateDir: z.string().default('/var/lib/multipath-exporter'),
  multipath: z.array(z.string().min(1)).min(1).default(['/sbin/multipath']),
  /** Periodic re-check of the config file (file watches miss changes on FUSE such as /etc/pve). */
  recheckInterval: Duration.prefault('60s'),
  /**
   * WWIDs already in the wwids file that this tool may take over (and so later remove): `all`, or
   * a list. Default: none, every pre-existing WWID stays untouched.
   */
  adopt: z.union([z.literal('all'), z.array(Wwid)]).default([]),
  /**
   * Owned WWIDs that may be removed although their map is held (LVM, partitions, dm-crypt on it).
   * A mounted filesystem or active swap on a map always blocks its removal.
   */
  allowRemovingInUse: z.array(Wwid).default([]),
  /**
   * The largest share of the owned WWIDs one pass may remove (0..1); a pass that would remove
   * more, and more than one, removes none. 1 turns the check off.
   */
  maxRemovalFraction: z.number().min(0).max(1).default(0.5),
  /** File-name prefix of the drop-ins, so they sort predictably among other conf.d files. */
  filePrefix: z.string().regex(/^[A-Za-z0-9._-]+$/).default('multipath-exporter'),
});
export type Apply = z.infer<typeof Apply>;

export const Multipathd = z.strictObject({
  /**
   * auto: the abstract socket where libuv connects with the exact name length (1.48+; older libuv
   * passes the whole padded sun_path, which multipathd, binding the exact length, refuses), else
   * the pathname socket (0.12+) when it exists, else multipathd's CLI.
   */
  transport: z.enum(['auto', 'socket', 'exec']).default('auto'),
  /** Socket address; a leading `@` means the abstract namespace. */
  socket: z.string().default(DEFAULT_SOCKET),
  command: z.array(z.string().min(1)).min(1).default(['/sbin/multipathd']),
  timeout: Duration.prefault('5s'),
  maxReplyBytes: z.number().int().min(1024).default(32 * 1024 * 1024),
});

export const Config = z.strictObject({
  node: NodeName.optional(),
  listen: ListenAddress.prefault(':10036'),
  multipathd: Multipathd.prefault({}),
  sysfsRoot: z.string().default('/sys'),
  /** Per-path series can be turned off for hosts with thousands of paths. */
  perPathMetrics: z.boolean().default(true),
  apply: Apply.prefault({}),
  cluster: Cluster.prefault({}),
  /** Path to a Prometheus exporter-toolkit web config (TLS, basic auth). */
  webConfigFile: z.string().optional(),
});
export type Config = z.infer<typeof Config>;

/** Built-in defaults: what a missing config file means (monitor only). */
export function defaultConfig(): Config {
  return Config.parse({});
}

/** This node's name: the config's `node`, else the short host name (the cluster's node name). */
export function nodeNameOf(config: Pick<Config, 'node'>, hostName: string): string {
  return config.node ?? (hostName.split('.')[0] || 'localhost');
}

/** Is `node` expected to carry `lun`? The LUN's own list, else `cluster.nodes`, else every node. */
export function isExpectedOn(lun: Lun, cluster: Cluster, node: string): boolean {
  if (lun.nodes) return lun.nodes.includes(node);
  if (cluster.nodes) return cluster.nodes.includes(node);
  return true;
}

/** Stable canonical JSON: sorted object keys, so equal config gives equal text on every node. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A stable digest of the validated `cluster` section (first 16 hex digits of its SHA-256). */
export function clusterDigest(cluster: Cluster): string {
  return createHash('sha256').update(canonicalJson(cluster)).digest('hex').slice(0, 16);
}
