// Can this Node.js reach multipathd's abstract socket? multipathd (0.9.4, 0.11.1, and 0.12+ beside
// its pathname socket) binds `@/org/kernel/linux/storage/multipathd` with the exact address length.
// libuv before 1.48 connects to an abstract name with the whole padded 108-byte sun_path, which the
// kernel treats as a different name (ECONNREFUSED); libuv 1.48 connects with the exact length. So it
// is the libuv Node runs on that decides, not the Node version: Debian 13's nodejs 20.19 links the
// system libuv 1.50 and connects, the official Node 20 builds (libuv 1.46) and Debian 12's nodejs
// 18.20 (libuv 1.44) do not.

/** The first libuv that connects to abstract unix sockets with the exact name length. */
export const EXACT_ABSTRACT_CONNECT_LIBUV = '1.48.0';

function atLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const b = minimum.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** True when `net.connect` to an `@name` address reaches a peer that bound the exact name (libuv >= 1.48). */
export function connectsToAbstractSockets(libuv: string = process.versions.uv ?? '0'): boolean {
  return atLeast(libuv, EXACT_ABSTRACT_CONNECT_LIBUV);
}
