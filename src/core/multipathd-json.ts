// zod schema of `multipathd show maps json` (format 0.1, multipath-tools 0.6.2 .. 0.14.x). The reply
// is hand-built by printf templates, so the schema is deliberately lenient per field: unknown keys
// are ignored, a value of the wrong type becomes "absent" instead of failing the whole reply. Only
// the envelope (an object with `major_version` 0 and a `maps` array) is required.
import { z } from 'zod';

/** Any JSON value -> string, or undefined when absent/null. */
const text = z.unknown().transform((v) => (typeof v === 'string' ? v : v === undefined || v === null ? undefined : String(v)));

/** Any JSON value -> finite number, or undefined. */
const number = z.unknown().transform((v) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
});

/** An array of objects; anything else (or a non-object element) is dropped, never fatal. */
const lenientArray = <T extends z.ZodTypeAny>(item: T) =>
  z.unknown().transform((v) => (Array.isArray(v) ? v : [])).pipe(z.array(z.unknown())).transform((items) =>
    items.flatMap((element) => {
      const parsed = item.safeParse(element);
      return parsed.success ? [parsed.data as z.output<T>] : [];
    }),
  );

export const RawPath = z.looseObject({
  dev: text,
  dev_t: text,
  dm_st: text,
  dev_st: text,
  chk_st: text,
  checker: text,
  pri: number,
  host_wwnn: text,
  target_wwnn: text,
  host_wwpn: text,
  target_wwpn: text,
  host_adapter: text,
  lun_hex: text,
  marginal_st: text,
});
export type RawPath = z.infer<typeof RawPath>;

export const RawPathGroup = z.looseObject({
  selector: text,
  pri: number,
  dm_st: text,
  marginal_st: text,
  group: number,
  paths: lenientArray(RawPath),
});
export type RawPathGroup = z.infer<typeof RawPathGroup>;

export const RawMap = z.looseObject({
  name: text,
  uuid: text,
  sysfs: text,
  failback: text,
  queueing: text,
  paths: number,
  write_prot: text,
  dm_st: text,
  features: text,
  hwhandler: text,
  action: text,
  path_faults: number,
  vend: text,
  prod: text,
  rev: text,
  switch_grp: number,
  map_loads: number,
  total_q_time: number,
  q_timeouts: number,
  path_groups: lenientArray(RawPathGroup),
});
export type RawMap = z.infer<typeof RawMap>;

export const RawMapsReply = z.looseObject({
  major_version: z.literal(0),
  minor_version: number,
  maps: z.array(z.unknown()),
});

// Fast path: the same shape with plain types. zod compiles plain object schemas, so a well-formed
// 0.9.x map validates ~20x faster than through the per-field transforms above; only a map that
// fails it (a wrong type somewhere) pays for the lenient schema.
const optionalText = z.string().optional();
const optionalNumber = z.number().optional();

const TypedPath = z.looseObject({
  dev: optionalText,
  dev_t: optionalText,
  dm_st: optionalText,
  dev_st: optionalText,
  chk_st: optionalText,
  checker: optionalText,
  pri: optionalNumber,
  host_wwnn: optionalText,
  target_wwnn: optionalText,
  host_wwpn: optionalText,
  target_wwpn: optionalText,
  host_adapter: optionalText,
  lun_hex: optionalText,
  marginal_st: optionalText,
});

const TypedPathGroup = z.looseObject({
  selector: optionalText,
  pri: optionalNumber,
  dm_st: optionalText,
  marginal_st: optionalText,
  group: optionalNumber,
  paths: z.array(TypedPath),
});

export const TypedMap = z.looseObject({
  name: optionalText,
  uuid: optionalText,
  sysfs: optionalText,
  failback: optionalText,
  queueing: optionalText,
  paths: optionalNumber,
  write_prot: optionalText,
  dm_st: optionalText,
  features: optionalText,
  hwhandler: optionalText,
  action: optionalText,
  path_faults: optionalNumber,
  vend: optionalText,
  prod: optionalText,
  rev: optionalText,
  switch_grp: optionalNumber,
  map_loads: optionalNumber,
  total_q_time: optionalNumber,
  q_timeouts: optionalNumber,
  path_groups: z.array(TypedPathGroup),
});

/** Validates one map: the typed fast path, else the lenient schema; undefined if neither fits. */
export function parseRawMap(element: unknown): MapData | undefined {
  const typed = TypedMap.safeParse(element);
  if (typed.success) return typed.data;
  const lenient = RawMap.safeParse(element);
  return lenient.success ? lenient.data : undefined;
}

/** One map as the parser consumes it (the lenient schema's output fits this type too). */
export type MapData = z.infer<typeof TypedMap>;
export type PathGroupData = MapData['path_groups'][number];
export type PathData = PathGroupData['paths'][number];
