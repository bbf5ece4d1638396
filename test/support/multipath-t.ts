// Runs the real `multipath -t` (multipath-tools 0.9.4) against candidate drop-ins, in a private
// mount namespace: an overlay over /etc (so the host's /etc is never touched) without
// /etc/multipath.conf and with only our files in /etc/multipath/conf.d. Needs root (CAP_SYS_ADMIN).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

const SCRIPT = `set -eu
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc
rm -rf /etc/multipath.conf /etc/multipath/conf.d
mkdir -p /etc/multipath/conf.d
for f in "$2"/*.conf; do [ -e "$f" ] && cp "$f" /etc/multipath/conf.d/; done
[ -z "$3" ] || cp "$3" /etc/multipath.conf
exec multipath -t
`;

export interface MultipathTResult {
  stdout: string;
  stderr: string;
  /** Every `<mono> | message` line on stderr (multipath's own diagnostics). */
  diagnostics: string[];
  /** The diagnostics that name one of the candidate files. */
  errorsForFiles: string[];
}

/** `mainConfig`: the text of /etc/multipath.conf for the run (default: none, as on a fresh Debian). */
export async function multipathT(files: Array<{ fileName: string; content: string | null }>, options: { mainConfig?: string } = {}): Promise<MultipathTResult> {
  const root = mkdtempSync(join(tmpdir(), 'mpt-'));
  try {
    for (const d of ['upper', 'work', 'confd']) mkdirSync(join(root, d));
    const present = files.filter((f) => f.content !== null);
    for (const f of present) writeFileSync(join(root, 'confd', f.fileName), f.content!);
    const main = options.mainConfig === undefined ? '' : join(root, 'multipath.conf');
    if (main) writeFileSync(main, options.mainConfig!);
    const result = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', SCRIPT, 'sh', root, join(root, 'confd'), main], {
      reject: false,
      timeout: 60_000,
    });
    if (result.exitCode !== 0) throw new Error(`multipath -t in a private namespace failed (exit ${result.exitCode}): ${result.stderr}`);
    const diagnostics = result.stderr.split('\n').filter((l) => /^\d+\.\d+ \| /.test(l));
    const errorsForFiles = diagnostics.filter((l) => present.some((f) => l.includes(f.fileName)) || (main !== '' && l.includes('/etc/multipath.conf')));
    return { stdout: result.stdout, stderr: result.stderr, diagnostics, errorsForFiles };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The body of a top-level section of the dumped config (`name {` ... `}` at column 0). */
export function dumpedSection(stdout: string, name: string): string {
  const m = new RegExp(`^${name} \\{\\n([\\s\\S]*?)^\\}$`, 'm').exec(stdout);
  if (!m) throw new Error(`no "${name}" section in multipath -t output`);
  return m[1]!;
}

/** `keyword -> value` (quotes removed) of the lines directly in a section body at one indent level. */
export function dumpedKnobs(body: string, indent = '\t'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of body.split('\n')) {
    const m = new RegExp(`^${indent}([a-z_]+) (.*)$`).exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1').replace(/""/g, '"');
  }
  return out;
}

/** The `multipath { }` entries of the dumped multipaths section, by WWID. */
export function dumpedMultipaths(stdout: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const body = dumpedSection(stdout, 'multipaths');
  for (const entry of body.split(/^\tmultipath \{\n/m).slice(1)) {
    const knobs = dumpedKnobs(entry.replace(/^\t\}[\s\S]*$/m, ''), '\t\t');
    if (knobs.wwid) out.set(knobs.wwid, knobs);
  }
  return out;
}

/**
 * Words that, written after `prefix` on one line, put each of `segments` at the start of a new
 * `limit`-byte chunk (how multipath-tools cuts a line too long for its buffer): each chunk is
 * filled up with one padding word. ASCII only. Returns the words joined by single spaces.
 */
export function paddedToChunks(prefix: string, segments: string[], limit = 1023): string {
  let text = prefix;
  for (const [i, segment] of segments.entries()) {
    const room = limit - (text.length % limit);
    const pad = i === 0 ? room - 1 : room - 2; // a space after the pad word, and before it unless first
    if (pad < 1) throw new Error(`no room for a padding word before ${JSON.stringify(segment)}`);
    text += `${i === 0 ? '' : ' '}${'x'.repeat(pad)} ${segment}`;
  }
  return text.slice(prefix.length);
}
