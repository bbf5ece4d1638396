// zod schemas of `multipathd show maps json` (format 0.1, multipath-tools 0.6.2 .. 0.14.x). Unknown
// keys are ignored everywhere; only the envelope (an object with `major_version` 0 and a `maps`
// array) is required. The field lists are written once and give two schemas per object:
// - typed: plain optional strings and numbers, the shape of a well-formed map. It is checked in
//   place (fitsTypedMap), without the copy a zod parse makes, and far faster than the lenient one;
// - lenient: any value of the wrong type becomes "absent" instead of failing. The printf-built
//   reply is only checked loosely upstream, so a map that fails the typed schema still counts.
import { z } from 'zod';

type Kind = 'text' | 'number';

const PATH_FIELDS = {
  dev: 'text',
  dev_t: 'text',
  dm_st: 'text',
  dev_st: 'text',
  chk_st: 'text',
  checker: 'text',
  pri: 'number',
  host_wwnn: 'text',
  target_wwnn: 'text',
  host_wwpn: 'text',
  target_wwpn: 'text',
  host_adapter: 'text',
  lun_hex: 'text',
  marginal_st: 'text',
} as const satisfies Record<string, Kind>;

const GROUP_FIELDS = { selector: 'text', pri: 'number', dm_st: 'text', marginal_st: 'text', group: 'number' } as const satisfies Record<string, Kind>;

const MAP_FIELDS = {
  name: 'text',
  uuid: 'text',
  sysfs: 'text',
  failback: 'text',
  queueing: 'text',
  paths: 'number',
  write_prot: 'text',
  dm_st: 'text',
  features: 'text',
  hwhandler: 'text',
  action: 'text',
  path_faults: 'number',
  vend: 'text',
  prod: 'text',
  rev: 'text',
  switch_grp: 'number',
  map_loads: 'number',
  total_q_time: 'number',
  q_timeouts: 'number',
} as const satisfies Record<string, Kind>;

/** A zod shape from a field list: each field gets the schema for its kind. */
function shapeOf<F extends Record<string, Kind>, T extends z.ZodType, N extends z.ZodType>(
  fields: F,
  text: T,
  number: N,
): { [K in keyof F]: F[K] extends 'text' ? T : N } {
  return Object.fromEntries(Object.entries(fields).map(([key, kind]) => [key, kind === 'text' ? text : number])) as never;
}

// Typed: the fast path.
const optionalText = z.string().optional();
const optionalNumber = z.number().optional();
const TypedPath = z.looseObject(shapeOf(PATH_FIELDS, optionalText, optionalNumber));
const TypedPathGroup = z.looseObject({ ...shapeOf(GROUP_FIELDS, optionalText, optionalNumber), paths: z.array(TypedPath) });
const TypedMap = z.looseObject({ ...shapeOf(MAP_FIELDS, optionalText, optionalNumber), path_groups: z.array(TypedPathGroup) });

// Lenient: the fallback.
/**
 * Any JSON value -> string: numbers and booleans as text, anything else (absent, null, an object,
 * an array) undefined. Never String() on a structure: a deeply nested array would overflow the
 * stack, and `[object Object]` is no value.
 */
const anyText = z.unknown().transform((v) =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined,
);
/** Any JSON value -> finite number, or undefined. */
const anyNumber = z.unknown().transform((v) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
});
/** An array of objects; anything else (or a non-object element) is dropped, never fatal. */
const lenientArray = <T extends z.ZodType>(item: T) =>
  z.unknown().transform((v) =>
    (Array.isArray(v) ? v : []).flatMap((element) => {
      const parsed = item.safeParse(element);
      return parsed.success ? [parsed.data as z.output<T>] : [];
    }),
  );
const LenientPath = z.looseObject(shapeOf(PATH_FIELDS, anyText, anyNumber));
const LenientPathGroup = z.looseObject({ ...shapeOf(GROUP_FIELDS, anyText, anyNumber), paths: lenientArray(LenientPath) });
const LenientMap = z.looseObject({ ...shapeOf(MAP_FIELDS, anyText, anyNumber), path_groups: lenientArray(LenientPathGroup) });

export const RawMapsReply = z.looseObject({
  major_version: z.literal(0),
  minor_version: anyNumber,
  maps: z.array(z.unknown()),
});

/** One map as the parser consumes it (the lenient schema's output fits this type too). */
export type MapData = z.infer<typeof TypedMap>;
export type PathGroupData = MapData['path_groups'][number];
export type PathData = PathGroupData['paths'][number];

/** Whether `value` is an object (not null, not an array) whose listed fields are absent or of their kind. */
function fits(value: unknown, fields: Record<string, Kind>): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const object = value as Record<string, unknown>;
  for (const key in fields) {
    const field = object[key];
    if (field !== undefined && typeof field !== (fields[key] === 'text' ? 'string' : 'number')) return false;
  }
  return true;
}

/**
 * Whether a map already has the typed schema's shape (what TypedMap accepts), checked in place: a
 * well-formed map is then used as JSON.parse built it, not copied by zod into a second tree of the
 * same size (at 1000 maps x 4 paths that copy was garbage promoted on every changed reply).
 */
export function fitsTypedMap(element: unknown): element is MapData {
  if (!fits(element, MAP_FIELDS) || !Array.isArray(element.path_groups)) return false;
  for (const group of element.path_groups as unknown[]) {
    if (!fits(group, GROUP_FIELDS) || !Array.isArray(group.paths)) return false;
    for (const path of group.paths as unknown[]) if (!fits(path, PATH_FIELDS)) return false;
  }
  return true;
}

/** Validates one map: the typed fast path, else the lenient schema; undefined if neither fits. */
export function parseRawMap(element: unknown): MapData | undefined {
  if (fitsTypedMap(element)) return element;
  const lenient = LenientMap.safeParse(element);
  return lenient.success ? lenient.data : undefined;
}

/** The typed schema itself, for the test holding fitsTypedMap to it. */
export const TYPED_MAP: z.ZodType<MapData> = TypedMap;
