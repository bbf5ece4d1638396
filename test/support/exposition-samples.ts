// The one reader of Prometheus text exposition for tests and the lab: every sample line as its
// metric name, labels (unescaped) and value. Comments and blank lines are skipped; a line that is
// not a sample throws, so a broken exposition cannot read as "no such series".

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The line up to the value: `name{labels}` exactly as written. */
  series: string;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
// An unrolled loop (runs of plain characters, then one escape): megabyte label values stay fast.
const LABEL = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"\\\n]*(?:\\.[^"\\\n]*)*)"\s*(,?)/;
const ESCAPES: Record<string, string> = { n: '\n', '"': '"', '\\': '\\' };

function sampleValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  // prom-client (the exporter's Node.js process metrics) writes NaN as `Nan`.
  if (text === 'NaN' || text === 'Nan') return NaN;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new Error(`not a sample value ${JSON.stringify(text)} in: ${line}`);
  return n;
}

/** One sample line (`name{a="b"} 1`, optionally followed by a timestamp). */
export function parseSampleLine(line: string): ExpositionSample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new Error(`not a sample line: ${line}`);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      const rest = line.slice(i);
      const close = /^\s*\}/.exec(rest);
      if (close) {
        i += close[0].length;
        break;
      }
      const m = LABEL.exec(rest);
      if (!m) throw new Error(`bad labels in: ${line}`);
      if (m[1]! in labels) throw new Error(`label ${m[1]} twice in: ${line}`);
      labels[m[1]!] = m[2]!.replace(/\\(.)/g, (e, c: string) => ESCAPES[c] ?? e);
      i += m[0].length;
      if (!m[3] && !/^\s*\}/.test(line.slice(i))) throw new Error(`bad labels in: ${line}`);
    }
  }
  const series = line.slice(0, i);
  const [value = '', timestamp, extra] = line.slice(i).trim().split(/\s+/);
  if (extra !== undefined || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw new Error(`not a sample line: ${line}`);
  return { name, labels, value: sampleValue(value, line), series };
}

/** Every sample of an exposition, in order. */
export function parseExposition(text: string): ExpositionSample[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map(parseSampleLine);
}

/** The samples as `name{labels}` (as written) -> value. */
export function samples(text: string): Map<string, number> {
  return new Map(parseExposition(text).map((s) => [s.series, s.value]));
}

/** The samples of one metric with their labels. */
export function series(text: string, metric: string): { labels: Record<string, string>; value: number }[] {
  return parseExposition(text)
    .filter((s) => s.name === metric)
    .map(({ labels, value }) => ({ labels, value }));
}

/** The value of the first sample of `name` whose labels include all of `want`; undefined when none. */
export function metricValue(text: string, name: string, want: Record<string, string>): number | undefined {
  return parseExposition(text).find((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v))?.value;
}
