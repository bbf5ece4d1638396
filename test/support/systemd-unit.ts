// Reading a systemd unit file as systemd does for the directives the tests and the bench check.

/** `Key=value` lines of a unit file (comments and sections dropped), in order. */
export function directives(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('['))
    .map((l) => {
      const i = l.indexOf('=');
      return [l.slice(0, i), l.slice(i + 1)] as [string, string];
    });
}

/** The effective value of a directive (the last assignment wins). */
export function last(d: Array<[string, string]>, key: string): string | undefined {
  return d.filter(([k]) => k === key).pop()?.[1];
}
