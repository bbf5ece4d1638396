import { describe, expect, it } from 'vitest';
import { Config, DEFAULT_SOCKET, PATHNAME_SOCKET } from '../../../src/common/core/config.js';
import { connectsToAbstractSockets } from '../../../src/scrape/io/abstract-socket.js';
import { clientFor } from '../../../src/scrape/io/multipathd-client.js';

describe('connectsToAbstractSockets', () => {
  it('is true from libuv 1.48 on (exact-length abstract connect), false before', () => {
    // Debian 12's nodejs 18.20 (1.44), official Node 20 (1.46), the last before the fix (1.47).
    for (const uv of ['1.44.2', '1.46.0', '1.47.9', '0.10.37']) expect(connectsToAbstractSockets(uv), uv).toBe(false);
    // The fix, Debian 13's system libuv (1.50), later majors.
    for (const uv of ['1.48.0', '1.50.0', '1.51.0', '2.0.0']) expect(connectsToAbstractSockets(uv), uv).toBe(true);
  });
});

describe('clientFor: the auto transport', () => {
  const config = (multipathd: Record<string, unknown> = {}) => Config.parse({ multipathd });
  const exists = (present: string[]) => (path: string) => present.includes(path);

  it('uses the abstract socket when libuv can connect to it, even when the pathname socket exists', () => {
    expect(clientFor(config(), undefined, exists([]), true).describe).toBe(`socket ${DEFAULT_SOCKET}`);
    expect(clientFor(config(), undefined, exists([PATHNAME_SOCKET]), true).describe).toBe(`socket ${DEFAULT_SOCKET}`);
  });

  it('with an older libuv: the pathname socket when it exists, else multipathd\'s client', () => {
    expect(clientFor(config(), undefined, exists([PATHNAME_SOCKET]), false).describe).toBe(`socket ${PATHNAME_SOCKET}`);
    expect(clientFor(config(), undefined, exists([]), false).describe).toBe('command /sbin/multipathd');
  });

  it('a configured pathname address is not taken for an abstract one', () => {
    expect(clientFor(config({ socket: '/run/other.sock' }), undefined, exists([]), true).describe).toBe('command /sbin/multipathd');
  });

  it('explicit transports are kept whatever libuv can do', () => {
    expect(clientFor(config({ transport: 'exec' }), undefined, exists([PATHNAME_SOCKET]), true).describe).toBe('command /sbin/multipathd');
    expect(clientFor(config({ transport: 'socket' }), undefined, exists([]), false).describe).toBe(`socket ${DEFAULT_SOCKET}`);
  });
});
