// multipath.conf knobs the cluster config may set, validated with multipath-tools 0.9.4's real
// value syntax (libmultipath/dict.c) before anything is rendered. Values are normalised to the
// exact text written into the drop-in (quoting is the renderer's job).
import { z } from 'zod';

const yesNo = z
  .union([z.boolean(), z.enum(['yes', 'no'])])
  .transform((v) => (v === true ? 'yes' : v === false ? 'no' : v));

/** A non-negative or positive decimal integer, given as a YAML number or a digit string. */
const integer = (min: number, max = 2 ** 31 - 1) =>
  z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const text = String(v).trim();
      if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
        ctx.addIssue({
          code: 'custom',
          message: `must be an integer from ${min} to ${max} (multipathd turns anything else into garbage), got ${JSON.stringify(v)}`,
        });
        return z.NEVER;
      }
      return String(Number(text));
    });

/** A keyword word or an integer (e.g. no_path_retry: queue | fail | N). */
const wordOrInteger = (words: readonly string[], min: number) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const text = String(v).trim();
    if (words.includes(text)) return text;
    if (/^\d+$/.test(text) && Number(text) >= min && Number(text) <= 2 ** 31 - 1) return String(Number(text));
    ctx.addIssue({
      code: 'custom',
      message: `must be one of ${words.join(', ')} or an integer >= ${min}, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  });

/**
 * multipath-tools' `set_off_int_undef` knobs: `no` (or 0, or false) turns the feature off and is
 * printed back as "no"; otherwise an integer in [min, max].
 */
const offOrInteger = (min: number, max = 2 ** 31 - 1) =>
  z.union([z.number(), z.string(), z.boolean()]).transform((v, ctx) => {
    const text = String(v).trim();
    if (text === 'no' || text === 'false' || text === '0') return 'no';
    if (/^\d+$/.test(text) && Number(text) >= min && Number(text) <= max) return String(Number(text));
    ctx.addIssue({
      code: 'custom',
      message: `must be no (or 0: off) or an integer from ${min} to ${max}, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  });

/** `"<argc> [args...]"` strings (features): the count must match, as 0.9.4 checks. */
const argcString = z.string().transform((v, ctx) => {
  const words = v.trim().split(/\s+/);
  const argc = Number(words[0]);
  if (!/^\d+$/.test(words[0] ?? '') || argc !== words.length - 1) {
    ctx.addIssue({
      code: 'custom',
      message: `must be "<count> [args...]" with a matching count, e.g. "1 queue_if_no_path", got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return words.join(' ');
});

export const PATH_SELECTORS = ['service-time', 'round-robin', 'queue-length', 'historical-service-time'] as const;

/** `"<selector> <argc> [args...]"`, e.g. "service-time 0". */
const pathSelector = z.string().transform((v, ctx) => {
  const words = v.trim().split(/\s+/);
  const [name, count] = words;
  const ok =
    (PATH_SELECTORS as readonly string[]).includes(name ?? '') &&
    /^\d+$/.test(count ?? '') &&
    Number(count) === words.length - 2 &&
    words.slice(2).every((w) => /^[A-Za-z0-9._-]+$/.test(w));
  if (!ok) {
    ctx.addIssue({
      code: 'custom',
      message: `must be "<selector> <argument count> [args...]" with selector one of ${PATH_SELECTORS.join(', ')}, e.g. "service-time 0", got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return words.join(' ');
});

const pathGroupingPolicy = z.enum(['failover', 'multibus', 'group_by_serial', 'group_by_prio', 'group_by_node_name']);
/** Deferred failback in seconds; 0 would mean "unset" (printed as manual), so it must be >= 1. */
const failback = wordOrInteger(['manual', 'immediate', 'followover'], 1);
/** 0 is multipathd's spelling of fail: normalised so the drop-in shows what multipath -t prints. */
const noPathRetry = wordOrInteger(['queue', 'fail'], 0).transform((v) => (v === '0' ? 'fail' : v));
const rrWeight = z.enum(['priorities', 'uniform']);
const prio = z.enum(['const', 'sysfs', 'emc', 'alua', 'ontap', 'rdac', 'hp_sw', 'hds', 'random', 'weightedpath', 'path_latency', 'ana', 'datacore', 'iet']);
const pathChecker = z.enum(['tur', 'directio', 'rdac', 'emc_clariion', 'hp_sw', 'readsector0', 'cciss_tur', 'none']);
const timeoutOrOff = wordOrInteger(['off'], 1);
const devLossTmo = wordOrInteger(['infinity'], 1);

/** Knobs valid both in `defaults` and in a per-LUN `multipath` entry (multipath.conf(5), 0.9.4). */
export const sharedKnobShape = {
  no_path_retry: noPathRetry,
  path_grouping_policy: pathGroupingPolicy,
  failback,
  path_selector: pathSelector,
  rr_min_io_rq: integer(1),
  rr_weight: rrWeight,
  features: argcString,
  prio,
  flush_on_last_del: yesNo,
  max_sectors_kb: integer(1),
  user_friendly_names: yesNo,
  deferred_remove: yesNo,
  skip_kpartx: yesNo,
  marginal_path_err_sample_time: offOrInteger(120),
  marginal_path_err_rate_threshold: offOrInteger(1, 1000),
  marginal_path_err_recheck_gap_time: offOrInteger(1),
  marginal_path_double_failed_time: offOrInteger(1),
  delay_watch_checks: offOrInteger(1),
  delay_wait_checks: offOrInteger(1),
} as const;

/** Knobs valid only in `defaults` (SAN vendor guides set these globally). */
export const defaultsOnlyKnobShape = {
  /** yes/no are multipathd's aliases of on/off (it prints on/off): normalised. */
  find_multipaths: z
    .union([z.boolean(), z.enum(['off', 'on', 'yes', 'no', 'strict', 'greedy', 'smart'])])
    .transform((v) => (v === true || v === 'yes' ? 'on' : v === false || v === 'no' ? 'off' : v)),
  polling_interval: integer(1, 3600),
  max_polling_interval: integer(1, 14400),
  path_checker: pathChecker,
  fast_io_fail_tmo: timeoutOrOff,
  dev_loss_tmo: devLossTmo,
  queue_without_daemon: yesNo,
  checker_timeout: integer(1),
  detect_prio: yesNo,
  detect_checker: yesNo,
  retain_attached_hw_handler: yesNo,
  uxsock_timeout: integer(100),
} as const;

/** Per-LUN-only knobs; `alias` is the dm map name. */
export const ALIAS_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const lunOnlyKnobShape = {
  alias: z
    .string()
    .regex(ALIAS_PATTERN, 'must start with a letter or digit and contain only letters, digits, ".", "_" and "-" (at most 64)'),
} as const;

export const DefaultsKnobs = z.strictObject({ ...sharedKnobShape, ...defaultsOnlyKnobShape }).partial();
export type DefaultsKnobs = z.infer<typeof DefaultsKnobs>;

/** The managed baseline applied where the config leaves a knob unset. */
export const MANAGED_DEFAULTS: Readonly<Record<string, string>> = {
  find_multipaths: 'strict',
  user_friendly_names: 'no',
  polling_interval: '5',
};

/** Names of the per-LUN multipath.conf knobs (everything in a LUN entry that is not our metadata). */
export const LUN_KNOB_NAMES = [...Object.keys(sharedKnobShape), ...Object.keys(lunOnlyKnobShape)] as const;
export const DEFAULTS_KNOB_NAMES = [...Object.keys(sharedKnobShape), ...Object.keys(defaultsOnlyKnobShape)] as const;

/**
 * multipath-tools 0.9.4 reads its config files with `fgets` into a buffer of MAXBUF (1024) bytes
 * (libmpathutil/parser.h, read_line in parser.c): a line longer than 1023 bytes is cut there and
 * the rest is parsed as a line of its own, quotes and sections included. So every line we write
 * must fit, or a valid-looking value could close its section and open another.
 */
export const MAX_CONF_LINE_BYTES = 1023;

/** Indent of a knob line in the managed `defaults` section and in a `multipaths { multipath { } }` entry. */
export const KNOB_INDENT = { defaults: '\t', multipath: '\t\t' } as const;

/**
 * A multipath.conf value: always one double-quoted string with embedded `"` doubled (multipath-tools'
 * renderer rule), so `#`, `!`, braces and spaces can never leak out of the value.
 */
export function quoteValue(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** One knob line as the drop-ins carry it (without the newline). */
export function knobLine(indent: string, key: string, value: string): string {
  return `${indent}${key} ${quoteValue(value)}`;
}

const utf8 = new TextEncoder();

/** Why multipath-tools would not read `line` whole, or undefined when it fits. */
export function lineTooLong(line: string): string | undefined {
  const bytes = utf8.encode(line).length;
  return bytes > MAX_CONF_LINE_BYTES
    ? `is ${bytes} bytes, over multipath-tools' limit of ${MAX_CONF_LINE_BYTES} bytes per line (it would parse the rest as a line of its own)`
    : undefined;
}

/** Problems of knob lines that would not fit, by knob name. */
export function oversizedKnobs(knobs: Record<string, unknown>, names: readonly string[], indent: string): Array<{ key: string; message: string }> {
  const out: Array<{ key: string; message: string }> = [];
  for (const key of names) {
    const value = knobs[key];
    if (value === undefined) continue;
    const why = lineTooLong(knobLine(indent, key, String(value)));
    if (why) out.push({ key, message: `the rendered line "${key} ..." ${why}` });
  }
  return out;
}
