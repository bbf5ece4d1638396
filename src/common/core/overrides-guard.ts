// Guard for the admin's free-form override text: it is written verbatim into
// a drop-in on every node, so a stray brace or a `multipaths` block would break or fight the managed
// config cluster-wide. This is a guard, not a full parser: multipath -t remains the real check.
import { lineTooLong } from './multipath-knobs.js';

export const OVERRIDE_SECTIONS = ['devices', 'overrides', 'defaults', 'blacklist', 'blacklist_exceptions'] as const;

export interface OverrideProblem {
  /** 1-based line in the override text, when the problem has one. */
  line?: number;
  message: string;
}

/** Strips a `#`/`!` comment that is outside double quotes (multipath.conf's own rule). */
function stripComment(line: string): string {
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (ch === '#' || ch === '!')) return line.slice(0, i);
  }
  return line;
}

/** Removes quoted strings so braces inside values are not counted. */
function withoutQuoted(line: string): string {
  return line.replace(/"(?:[^"]|"")*"?/g, '""');
}

/** Returns every problem found; an empty list means the text may be written. */
export function checkOverrides(text: string): OverrideProblem[] {
  const problems: OverrideProblem[] = [];
  let depth = 0;
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    // First, and for comments too: multipath-tools would parse the part past its line limit as a
    // line of its own, out of the quotes and comment this guard sees.
    const tooLong = lineTooLong(raw.replace(/\s+$/, ''));
    if (tooLong) {
      problems.push({ line: lineNo, message: `the line ${tooLong}` });
      return;
    }
    const line = withoutQuoted(stripComment(raw)).trim();
    if (line === '') return;
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(raw)) {
      problems.push({ line: lineNo, message: 'contains a control character' });
    }
    const opener = /^([A-Za-z_]+)\s*\{$/.exec(line);
    if (line.includes('{') && !opener) {
      problems.push({ line: lineNo, message: `"{" must end a "<section> {" line, got ${JSON.stringify(raw.trim())}` });
    }
    if (line.includes('}') && line !== '}') {
      problems.push({ line: lineNo, message: `"}" must stand alone on its line, got ${JSON.stringify(raw.trim())}` });
    }
    if (opener) {
      const section = opener[1]!;
      if (section === 'multipaths') {
        problems.push({ line: lineNo, message: "'multipaths' is generated from cluster.luns (alias and per-LUN knobs); set it there" });
      } else if (depth === 0 && !(OVERRIDE_SECTIONS as readonly string[]).includes(section)) {
        problems.push({
          line: lineNo,
          message: `unknown top-level section '${section}'; allowed: ${OVERRIDE_SECTIONS.join(', ')}`,
        });
      }
      depth++;
    } else if (line === '}') {
      depth--;
      if (depth < 0) {
        problems.push({ line: lineNo, message: 'unbalanced braces: "}" without an open section' });
        depth = 0;
      }
    } else if (depth === 0) {
      problems.push({ line: lineNo, message: `text outside any section: ${JSON.stringify(raw.trim())}` });
    }
  });
  if (depth > 0) problems.push({ message: `unbalanced braces: ${depth} section(s) not closed` });
  return problems;
}

/** The overrides as written: trailing whitespace trimmed per line and at the end. */
export function normaliseOverrides(text: string): string {
  const trimmed = text
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\s+$/, '');
  return trimmed === '' ? '' : `${trimmed}\n`;
}
