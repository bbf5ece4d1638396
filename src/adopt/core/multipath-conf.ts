// multipath.conf text -> sections (pure). The tokenizer follows multipath-tools 0.9.4's own
// (libmpathutil/parser.c, alloc_strvec): `#` and `!` outside double quotes start a comment, `{` and
// `}` outside quotes are tokens of their own, `""` inside quotes is one `"`, bytes outside ASCII
// separate words, a line ends at the first CR or LF. Where multipath-tools guesses (a missing brace,
// a missing closing quote, extra words after a value, a line it would split), this parser stops with
// an error naming the file and line: an import must not carry a guess to every node.
import { DEPRECATED_KEYWORDS, REPEATABLE_KEYWORDS, SECTION_KEYWORDS, SUBSECTIONS, canonicalKeyword } from './keywords.js';

export interface ConfKeyword {
  type: 'keyword';
  /** As written (`checker` stays `checker`; see canonicalKeyword). */
  keyword: string;
  value: string;
  line: number;
}

export interface ConfSection {
  type: 'section';
  name: string;
  /** `devices/device`, `defaults`: the section's place, as in SECTION_KEYWORDS. */
  path: string;
  line: number;
  children: ConfNode[];
}

export type ConfNode = ConfKeyword | ConfSection;

export interface ConfFile {
  file: string;
  sections: ConfSection[];
}

/** A problem in one input file; `line` is 1-based. */
export interface ConfProblem {
  file: string;
  line?: number;
  message: string;
}

export type ConfParseResult = { ok: true; conf: ConfFile; warnings: ConfProblem[] } | { ok: false; errors: ConfProblem[] };

/** multipath-tools reads lines with fgets into a 1024-byte buffer: 1022 bytes, the newline, the NUL. */
export const MAX_LINE_BYTES = 1022;

type Token = { quote: true } | { quote: false; text: string };

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
const isSeparator = (c: string): boolean => isSpace(c) || c.charCodeAt(0) > 127;

/** One line -> tokens, exactly as alloc_strvec splits it (quote marks are tokens of their own). */
export function tokenize(line: string): Token[] {
  const n = line.length;
  let i = 0;
  while (i < n && isSeparator(line[i]!)) i++;
  if (i >= n || line[i] === '!' || line[i] === '#') return [];
  const tokens: Token[] = [];
  let inString = false;
  for (;;) {
    if (line[i] === '"' && !(inString && line[i + 1] === '"')) {
      tokens.push({ quote: true });
      inString = !inString;
      i++;
    } else if (!inString && (line[i] === '{' || line[i] === '}')) {
      tokens.push({ quote: false, text: line[i]! });
      i++;
    } else {
      const start = i;
      let doubled = false;
      for (;;) {
        while (i < n && line[i] !== '"' && (inString || !(isSeparator(line[i]!) || '!#{}'.includes(line[i]!)))) i++;
        if (inString && line[i] === '"' && line[i + 1] === '"') {
          doubled = true;
          i += 2;
          continue;
        }
        break;
      }
      const text = line.slice(start, i);
      tokens.push({ quote: false, text: doubled ? text.replace(/""/g, '"') : text });
    }
    while (!inString && i < n && isSeparator(line[i]!)) i++;
    if (i >= n || (!inString && (line[i] === '!' || line[i] === '#'))) return tokens;
  }
}

type LineShape =
  | { kind: 'open'; name: string }
  | { kind: 'close' }
  | { kind: 'keyword'; keyword: string; value: string }
  | { kind: 'error'; message: string };

const word = (t: Token | undefined): string | undefined => (t && !t.quote ? t.text : undefined);

/** What one tokenized line means; the strict version of validate_config_strvec. */
function shapeOf(tokens: Token[]): LineShape {
  const first = word(tokens[0]);
  if (first === undefined) return { kind: 'error', message: 'a line must start with a keyword, not a quoted string' };
  if (first === '}') {
    return tokens.length > 1 ? { kind: 'error', message: `"}" must stand alone on its line (found more after it)` } : { kind: 'close' };
  }
  if (first === '{') return { kind: 'error', message: '"{" must follow the section name on the same line' };
  const second = tokens[1];
  if (second === undefined) return { kind: 'error', message: `missing value for "${first}" (or "{" after a section name)` };
  if (!second.quote && second.text === '{') {
    return tokens.length > 2 ? { kind: 'error', message: `nothing may follow "${first} {" on its line` } : { kind: 'open', name: first };
  }
  if (!second.quote) {
    if (second.text === '}') return { kind: 'error', message: `"}" must stand alone on its line` };
    if (tokens.length > 2) {
      return { kind: 'error', message: `more than one value for "${first}" (multipath-tools would ignore everything after "${second.text}"); quote a value that contains spaces` };
    }
    return { kind: 'keyword', keyword: first, value: second.text };
  }
  const inner = tokens[2];
  if (inner === undefined) return { kind: 'error', message: `missing closing quote in the value of "${first}"` };
  if (inner.quote) {
    return tokens.length > 3 ? { kind: 'error', message: `extra text after the value of "${first}"` } : { kind: 'keyword', keyword: first, value: '' };
  }
  if (!tokens[3]?.quote) return { kind: 'error', message: `missing closing quote in the value of "${first}"` };
  if (tokens.length > 4) return { kind: 'error', message: `extra text after the value of "${first}"` };
  return { kind: 'keyword', keyword: first, value: inner.text };
}

/** multipath.conf text -> its sections, or every error found (file and line in each). */
export function parseMultipathConf(text: string, file: string): ConfParseResult {
  const errors: ConfProblem[] = [];
  const warnings: ConfProblem[] = [];
  const top: ConfSection = { type: 'section', name: '', path: '', line: 0, children: [] };
  const stack: ConfSection[] = [top];
  /** Per open section: keyword -> first line, for duplicate warnings. */
  const seen: Array<Map<string, number>> = [new Map()];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = index + 1;
    const fail = (message: string) => errors.push({ file, line, message });
    const bytes = new TextEncoder().encode(raw.replace(/\r$/, '')).length;
    if (bytes > MAX_LINE_BYTES) {
      fail(`line is ${bytes} bytes long; multipath-tools 0.9.4 reads at most ${MAX_LINE_BYTES} per line and would split it`);
      return;
    }
    // multipath-tools ends a line at the first CR or LF (strtok_r "\n\r").
    const content = raw.split('\r')[0]!;
    if (/[\u0000-\u0008\u000e-\u001f\u007f]/.test(content)) {
      fail('contains a control character');
      return;
    }
    const tokens = tokenize(content);
    if (tokens.length === 0) return;
    const shape = shapeOf(tokens);
    const current = stack.at(-1)!;
    switch (shape.kind) {
      case 'error': {
        const name = word(tokens[0]);
        const opensSection = tokens.length === 1 && name !== undefined && (SUBSECTIONS[current.path] ?? []).includes(name);
        fail(opensSection ? `"${name}" opens a section: write "${name} {" on one line` : shape.message);
        return;
      }
      case 'close':
        if (stack.length === 1) fail('"}" without an open section');
        else {
          stack.pop();
          seen.pop();
        }
        return;
      case 'open': {
        const allowed = SUBSECTIONS[current.path] ?? [];
        if (!allowed.includes(shape.name)) {
          fail(
            current.path === ''
              ? `unknown section "${shape.name}"; multipath-tools 0.9.4 knows ${allowed.join(', ')}`
              : `section "${shape.name}" is not allowed in "${current.path}"${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`,
          );
          // Still open it, so its closing brace balances and the errors after it stay meaningful.
        }
        if (current.path === '' && current.children.some((c) => c.type === 'section' && c.name === shape.name)) {
          warnings.push({ file, line, message: `second "${shape.name}" section in this file (multipath-tools merges it into the first, with a warning)` });
        }
        const section: ConfSection = { type: 'section', name: shape.name, path: current.path ? `${current.path}/${shape.name}` : shape.name, line, children: [] };
        current.children.push(section);
        stack.push(section);
        seen.push(new Map());
        return;
      }
      case 'keyword': {
        if ((SUBSECTIONS[current.path] ?? []).includes(shape.keyword)) {
          fail(`"${shape.keyword}" opens a section: write "${shape.keyword} {" on one line`);
          return;
        }
        if (current.path === '') {
          fail(`"${shape.keyword}" outside any section`);
          return;
        }
        const known = SECTION_KEYWORDS[current.path];
        if (known && !known.includes(shape.keyword)) {
          warnings.push({ file, line, message: `unknown keyword "${shape.keyword}" in the ${current.path} section; multipath-tools 0.9.4 ignores it` });
        } else if (DEPRECATED_KEYWORDS.has(shape.keyword)) {
          warnings.push({ file, line, message: `"${shape.keyword}" is deprecated and ignored by multipath-tools 0.9.4` });
        } else if (!(REPEATABLE_KEYWORDS[current.path] ?? []).includes(shape.keyword)) {
          const key = canonicalKeyword(shape.keyword);
          const first = seen.at(-1)!.get(key);
          if (first !== undefined) warnings.push({ file, line, message: `"${shape.keyword}" is set twice in this section (also line ${first}); the last value wins` });
          seen.at(-1)!.set(key, line);
        }
        current.children.push({ type: 'keyword', keyword: shape.keyword, value: shape.value, line });
        return;
      }
    }
  });
  for (const open of stack.slice(1).reverse()) errors.push({ file, line: open.line, message: `section "${open.name}" opened here is never closed (missing "}")` });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, conf: { file, sections: top.children as ConfSection[] }, warnings };
}

/** Whether a keyword in a section is one multipath-tools 0.9.4 acts on (known and not deprecated). */
export function isEffectiveKeyword(sectionPath: string, keyword: string): boolean {
  return (SECTION_KEYWORDS[sectionPath] ?? []).includes(keyword) && !DEPRECATED_KEYWORDS.has(keyword);
}

export function formatConfProblem(p: ConfProblem): string {
  return `${p.file}${p.line !== undefined ? `: line ${p.line}` : ''}: ${p.message}`;
}
