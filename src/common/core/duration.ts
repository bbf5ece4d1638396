// The one duration parser: Go's and Prometheus' notation (`500ms`, `1m30s`, `2h`, `7d`), which every
// file this project reads or writes uses (its own config, the web config, rule files, promtool).
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** Milliseconds of a duration such as `1h30m` or `250ms`; undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)/gy;
  const v = text.trim();
  let total = 0;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    end = re.lastIndex;
  }
  return end === v.length && v.length > 0 ? total : undefined;
}

/** A duration for `ms` in Prometheus' notation (whole seconds as `Ns`, else `Nms`). */
export function formatDuration(ms: number): string {
  const rounded = Math.max(0, Math.round(ms));
  return rounded % 1000 === 0 ? `${rounded / 1000}s` : `${rounded}ms`;
}
