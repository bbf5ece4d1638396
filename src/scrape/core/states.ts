// The closed state sets the exporter emits. multipathd's strings are an open set: anything new is
// clamped to `unknown` (the raw string is kept in the model for logs and the landing page).

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
