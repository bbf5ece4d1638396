// Proxmox VE's SectionConfig text format (/etc/pve/storage.cfg, /etc/pve/multipath.cfg), read the
// way PVE::SectionConfig reads it: a `<type>: <id>` header, then indented `<key> [value]` lines up
// to the next blank line; whole-line `#` comments are skipped anywhere. Pure. What PVE only warns
// about and skips (a stray line, a header with no blank line before it, a repeated key) is a
// problem here, each with its line, so nothing is dropped silently.

export interface SectionProperty {
  key: string;
  /** The rest of the line, trimmed; undefined for a bare flag such as `disable`. */
  value: string | undefined;
  line: number;
}

export interface Section {
  type: string;
  id: string;
  /** 1-based line of the `<type>: <id>` header. */
  line: number;
  properties: SectionProperty[];
}

export interface SectionProblem {
  line: number;
  message: string;
}

export interface SectionConfigText {
  sections: Section[];
  problems: SectionProblem[];
}

const HEADER = /^(\S+?):\s*(\S+)\s*$/;
const PROPERTY = /^\s+(\S+)(?:\s+(.*\S))?\s*$/;

export function parseSectionConfig(text: string): SectionConfigText {
  const sections: Section[] = [];
  const problems: SectionProblem[] = [];
  const ids = new Map<string, number>();
  let current: Section | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/\r$/, '');
    if (/^\s*#/.test(content)) return;
    if (content.trim() === '') {
      current = undefined;
      return;
    }
    if (current) {
      const property = PROPERTY.exec(content);
      if (!property) {
        const what = HEADER.test(content) ? 'a section header needs a blank line before it' : 'expected an indented "<key> <value>" line';
        problems.push({ line, message: `${what} (section "${current.type}: ${current.id}"), got ${JSON.stringify(content)}` });
        return;
      }
      const [, key, value] = property as unknown as [string, string, string | undefined];
      const earlier = current.properties.find((p) => p.key === key);
      if (earlier) problems.push({ line, message: `"${key}" is set twice in section "${current.type}: ${current.id}" (also line ${earlier.line})` });
      else current.properties.push({ key, value, line });
      return;
    }
    const header = HEADER.exec(content);
    if (!header) {
      problems.push({ line, message: `expected a "<type>: <id>" section header, got ${JSON.stringify(content)}` });
      return;
    }
    const [, type, id] = header as unknown as [string, string, string];
    const earlier = ids.get(id);
    if (earlier !== undefined) problems.push({ line, message: `duplicate section "${id}" (also line ${earlier})` });
    current = { type, id, line, properties: [] };
    if (earlier === undefined) {
      ids.set(id, line);
      sections.push(current);
    }
  });
  return { sections, problems };
}
