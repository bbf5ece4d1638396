// The one fake multipath(8), for the simulator and the tests: `-a WWID` and `-w WWID` on one wwids
// file, the way multipath-tools 0.9.4 does them (libmultipath/wwids.c, file.c):
// * a missing or empty wwids file first gets multipath's header (open_file), for -a and -w alike;
// * -a appends `/WWID/` unless a line starting with `/WWID/` is there (lookup_wwid); commented-out
//   `#WWID/` lines do not count, so a re-added WWID gets a new line; prints `wwid 'W' added`;
// * -w comments out the first `/WWID/` line end in place, `/` -> `#`, one byte written
//   (do_remove_wwid); prints `wwid 'W' removed`, or `wwid 'W' not in wwids file` (still exit 0);
// * both hold an exclusive flock on the wwids file meanwhile (lock_file).
// Usage: fake-multipath WWIDS_FILE [--log FILE] [--fail FILE] -a|-w WWID. `--log` records each
// call (`-a W`); `--fail` lists WWIDs to fail for (exit 1, multipath's own messages).
import { chmod, writeFile } from 'node:fs/promises';

export const WWIDS_FILE_HEADER =
  '# Multipath wwids, Version : 1.0\n# NOTE: This file is automatically maintained by multipath and multipathd.\n# You should not need to edit this file in normal circumstances.\n#\n# Valid WWIDs:\n';

const SCRIPT = `#!/bin/sh
wwids=$1; shift
log=; fail=
while [ $# -gt 2 ]; do
  case "$1" in
    --log) log=$2; shift 2 ;;
    --fail) fail=$2; shift 2 ;;
    *) break ;;
  esac
done
flag=$1; wwid=$2
[ -z "$log" ] || echo "$flag $wwid" >> "$log"
if [ -n "$fail" ] && [ -f "$fail" ] && grep -qxF -- "$wwid" "$fail"; then
  case "$flag" in
    -a) echo "failed adding '$wwid' to wwids file" ;;
    *) echo "cannot remove wwid. wwids file is read-only" >&2 ;;
  esac
  exit 1
fi
case "$flag" in
  -a|-w) ;;
  *) echo "fake multipath: unsupported $*" >&2; exit 1 ;;
esac
exec 9>>"$wwids"
flock 9
[ -s "$wwids" ] || printf '%s' '@HEADER@' >&9
if [ "$flag" = -a ]; then
  LC_ALL=C awk -v w="/$wwid/" 'index($0, w) == 1 { found = 1 } END { exit !found }' "$wwids" || printf '/%s/\n' "$wwid" >&9
  echo "wwid '$wwid' added"
  exit 0
fi
# The byte offset of the first "/WWID/" that ends a line.
offset=$(LC_ALL=C awk -v w="/$wwid/" '
  length($0) >= length(w) && substr($0, length($0) - length(w) + 1) == w { print at + length($0) - length(w); exit }
  { at += length($0) + 1 }' "$wwids")
if [ -n "$offset" ]; then
  printf '#' | dd of="$wwids" bs=1 seek="$offset" conv=notrunc status=none
  echo "wwid '$wwid' removed"
else
  echo "wwid '$wwid' not in wwids file"
fi
`;

/** The script's text (POSIX sh and awk). */
export function fakeMultipathScript(): string {
  return SCRIPT.replace('@HEADER@', WWIDS_FILE_HEADER);
}

/** Writes the fake to `path`, executable. */
export async function writeFakeMultipath(path: string): Promise<void> {
  await writeFile(path, fakeMultipathScript());
  await chmod(path, 0o755);
}

/** The argv (`apply.multipath`) that runs the fake at `path` on `wwidsFile`. */
export function fakeMultipathCommand(path: string, wwidsFile: string, options: { log?: string; fail?: string } = {}): string[] {
  return [
    '/bin/sh',
    path,
    wwidsFile,
    ...(options.log ? ['--log', options.log] : []),
    ...(options.fail ? ['--fail', options.fail] : []),
  ];
}
