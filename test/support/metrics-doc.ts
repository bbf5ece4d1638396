// The one reader of docs/metrics.md's tables: the exporter's metrics (`| metric | type | labels |
// meaning |`) and the recording rules (`| rule | labels | meaning |`), each row's name (the first
// cell, one code span) and the label names (code spans) of its labels cell. Rows of other tables
// ("Changes since 0.1", cardinality figures) are not read.
export interface DocumentedMetric {
  name: string;
  type: string;
  labels: string[];
}
export interface DocumentedRule {
  name: string;
  labels: string[];
}

const cellsOf = (line: string) => line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
const codeSpans = (cell: string | undefined) => [...(cell ?? '').matchAll(/`(\w+)`/g)].map((m) => m[1]!);

/** The rows of every table of `markdown` whose header cells are exactly `header`. */
export function tableRows(markdown: string, header: readonly string[]): string[][] {
  const rows: string[][] = [];
  let inTable = false;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const cells = cellsOf(line);
    if (cells.join('|') === header.join('|')) inTable = true;
    else if (inTable && !cells.every((c) => /^:?-+:?$/.test(c))) rows.push(cells);
  }
  return rows;
}

function nameOf(cell: string | undefined, line: string[]): string {
  const name = /^`([\w:]+)`$/.exec(cell ?? '')?.[1];
  if (!name) throw new Error(`docs/metrics.md: a table row without a name in its first cell: | ${line.join(' | ')} |`);
  return name;
}

export function documentedMetrics(markdown: string): DocumentedMetric[] {
  return tableRows(markdown, ['metric', 'type', 'labels', 'meaning']).map((cells) => ({ name: nameOf(cells[0], cells), type: cells[1]!, labels: codeSpans(cells[2]) }));
}

export function documentedRules(markdown: string): DocumentedRule[] {
  return tableRows(markdown, ['rule', 'labels', 'meaning']).map((cells) => ({ name: nameOf(cells[0], cells), labels: codeSpans(cells[1]) }));
}
