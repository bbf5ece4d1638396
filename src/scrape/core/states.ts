// The state sets the exporter knows. multipathd's strings are an open set: the model clamps anything
// new to `unknown` (the raw string is kept for logs, the landing page and the state labels, see
// stateLabel below).

export const MAP_HEALTH_STATES = ['optimal', 'degraded', 'failed'] as const;
export type MapHealth = (typeof MAP_HEALTH_STATES)[number];

export const MAP_DM_STATES = ['active', 'suspend', 'unknown'] as const;
export type MapDmState = (typeof MAP_DM_STATES)[number];

export const PATH_GROUP_STATES = ['active', 'enabled', 'disabled', 'unknown'] as const;
export type PathGroupState = (typeof PATH_GROUP_STATES)[number];

export const PATH_DM_STATES = ['active', 'failed', 'unknown'] as const;
export type PathDmState = (typeof PATH_DM_STATES)[number];

export const PATH_DEVICE_STATES = ['running', 'offline', 'unknown'] as const;
export type PathDeviceState = (typeof PATH_DEVICE_STATES)[number];

export const CHECKER_STATES = [
  'ready',
  'ghost',
  'faulty',
  'shaky',
  'delayed',
  'pending',
  'timeout',
  'removed',
  'wild',
  'unchecked',
  'disconnected',
  'unknown',
] as const;
export type CheckerState = (typeof CHECKER_STATES)[number];

export const DAEMON_STATES = ['init', 'startup', 'configure', 'idle', 'running', 'shutdown', 'unknown'] as const;
export type DaemonState = (typeof DAEMON_STATES)[number];

/**
 * What a map does with I/O when no usable path is left, from its `queueing` field: `off` (fails it:
 * no_path_retry fail, or the timed retries used up), `queue` (`on`: queues forever), `retry`
 * (`<N> chk`: no_path_retry N, usable paths present), `recovery` (`<S> sec`: no usable path, S
 * seconds of queueing left), `unset` (`-`: no_path_retry configured nowhere, so the device-mapper
 * default, which fails it), `unknown` (absent or a spelling this version does not know).
 */
export const QUEUEING_MODES = ['off', 'queue', 'retry', 'recovery', 'unset', 'unknown'] as const;
export type QueueingMode = (typeof QUEUEING_MODES)[number];

export const COLLECTION_OUTCOMES = ['none', 'daemon_down', 'timeout', 'fail', 'bad_output', 'too_large', 'permission'] as const;
export type CollectionOutcome = (typeof COLLECTION_OUTCOMES)[number];
export type CollectionFailure = Exclude<CollectionOutcome, 'none'>;

/**
 * Why a map of a reply is not exported: no WWID (absent, empty or a placeholder), a WWID that is not
 * a string (`{}`, `true`, `12345`), the WWID of a map already read from the same reply (the first
 * one is kept), or an element that is no map at all (not an object, or failing to parse).
 */
export const SKIP_REASONS = ['no_wwid', 'invalid_wwid', 'duplicate_wwid', 'malformed'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** What is dropped as a repeat within one map: a path group number seen before, a path's `dev` seen before. */
export const DROPPED_ENTRIES = ['path_group', 'path'] as const;
export type DroppedEntry = (typeof DROPPED_ENTRIES)[number];

/** A zero count per member of a closed set. */
export function zeroCounts<const S extends readonly string[]>(set: S): Record<S[number], number> {
  return Object.fromEntries(set.map((member) => [member, 0])) as Record<S[number], number>;
}

export type Transport = 'fc' | 'iscsi' | 'sas';

/** Clamps a string to a member of `set`, or `fallback` when it is not one. */
export function clampState<const S extends readonly string[]>(set: S, value: string | undefined, fallback: S[number]): S[number] {
  return value !== undefined && (set as readonly string[]).includes(value) ? (value as S[number]) : fallback;
}

/** multipathd's `chk_st` spelling -> our checker state (`i/o pending` has a space in 0.9.x). */
export function checkerStateOf(raw: string | undefined): CheckerState {
  switch (raw) {
    case 'i/o pending':
      return 'pending';
    case 'i/o timeout':
      return 'timeout';
    case 'undef':
      return 'unchecked';
    default:
      return clampState(CHECKER_STATES, raw, 'unknown');
  }
}

/** The checker states `show status` counts (libmultipath's enum, in our names), all emitted. */
export const STATUS_CHECKER_STATES = ['wild', 'unchecked', 'faulty', 'ready', 'shaky', 'ghost', 'pending', 'timeout', 'removed', 'delayed', 'disconnected'] as const;

/**
 * `show status` names the checker states after libmultipath's enum (`up`, `down`, ...), `show maps
 * json` after what a human reads (`ready`, `faulty`, ...): both -> our checker state.
 */
export function statusCheckerStateOf(raw: string): CheckerState {
  if (raw === 'up') return 'ready';
  if (raw === 'down') return 'faulty';
  return clampState(CHECKER_STATES, raw, 'unknown');
}

/**
 * A state string a newer multipath-tools may print and this version does not know is still a fit
 * label value when it looks like one of multipathd's: lower case, short, no quotes or control
 * characters (`disconnected`, `i/o pending`). Anything else is exported as `unknown`.
 */
const SAFE_STATE = /^[a-z][a-z0-9 _/-]{0,31}$/;

/**
 * The label value of a state: the known state, else (when the model clamped it to `unknown`) the
 * raw string if it is a safe one, else `unknown`. A state change replaces the series carrying it.
 */
export function stateLabel(known: string, raw: string | undefined): string {
  if (known !== 'unknown' || raw === undefined) return known;
  return SAFE_STATE.test(raw) ? raw : 'unknown';
}
