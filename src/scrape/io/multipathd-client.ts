// Talking to multipathd: over its unix socket (default; no process, no root needed for `show`) or
// by running its CLI. Both return the reply text or throw a MultipathdError carrying the reason.
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { endianness } from 'node:os';
import { execa } from 'execa';
import { type Config, PATHNAME_SOCKET } from '../../common/core/config.js';
import type { CollectionFailure } from '../core/states.js';
import { connectsToAbstractSockets } from './abstract-socket.js';

export class MultipathdError extends Error {
  constructor(
    readonly reason: CollectionFailure,
    message: string,
  ) {
    super(message);
    this.name = 'MultipathdError';
  }
}

export interface MultipathdClient {
  /** Sends one command (e.g. `show maps json`) and resolves with the reply text. */
  command(command: string): Promise<string>;
  /** Human description for logs and the landing page. */
  readonly describe: string;
}

/** `@name` is the abstract namespace (NUL-prefixed), anything else a filesystem path. */
export function socketAddress(socket: string): string {
  return socket.startsWith('@') ? `\0${socket.slice(1)}` : socket;
}

const HEADER_BYTES = 8;

/** multipathd's framing: a native-endian size_t length (including the NUL), then the bytes. */
export function frame(payload: string): Buffer {
  const body = Buffer.from(`${payload}\0`, 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  if (endianness() === 'LE') header.writeBigUInt64LE(BigInt(body.length));
  else header.writeBigUInt64BE(BigInt(body.length));
  return Buffer.concat([header, body]);
}

export function readLength(header: Buffer): number {
  return Number(endianness() === 'LE' ? header.readBigUInt64LE(0) : header.readBigUInt64BE(0));
}

export function socketClient(opts: { socket: string; timeoutMs: number; maxReplyBytes: number }): MultipathdClient {
  const path = socketAddress(opts.socket);
  return {
    describe: `socket ${opts.socket}`,
    command: (command) =>
      new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let received = 0;
        let expected: number | undefined;
        let settled = false;
        const conn = createConnection({ path });
        const finish = (err: MultipathdError | undefined, reply?: string) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          conn.destroy();
          if (err) reject(err);
          else resolve(reply ?? '');
        };
        const timer = setTimeout(
          () => finish(new MultipathdError('timeout', `no reply from multipathd within ${opts.timeoutMs} ms (${command})`)),
          opts.timeoutMs,
        );
        conn.on('connect', () => conn.write(frame(command)));
        conn.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
          if (expected === undefined && received >= HEADER_BYTES) {
            expected = readLength(Buffer.concat(chunks).subarray(0, HEADER_BYTES));
            if (expected >= opts.maxReplyBytes) {
              finish(new MultipathdError('too_large', `multipathd reply of ${expected} bytes exceeds the ${opts.maxReplyBytes}-byte cap`));
              return;
            }
          }
          if (expected !== undefined && received >= HEADER_BYTES + expected) {
            const body = Buffer.concat(chunks).subarray(HEADER_BYTES, HEADER_BYTES + expected);
            const end = body.length > 0 && body[body.length - 1] === 0 ? body.length - 1 : body.length;
            finish(undefined, body.subarray(0, end).toString('utf8'));
          }
        });
        conn.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') {
            const abstractHint = opts.socket.startsWith('@') && !connectsToAbstractSockets()
              ? '; note: Node.js cannot reach the abstract socket of a real multipathd <= 0.11, use transport auto or exec'
              : '';
            finish(new MultipathdError('daemon_down', `multipathd is not running (${err.code} on ${opts.socket}${abstractHint})`));
          } else if (err.code === 'EACCES' || err.code === 'EPERM') {
            finish(new MultipathdError('permission', `not allowed to connect to ${opts.socket} (${err.code})`));
          } else {
            finish(new MultipathdError('daemon_down', `multipathd socket error: ${err.message}`));
          }
        });
        conn.on('end', () => {
          if (expected === undefined || received < HEADER_BYTES + expected) {
            finish(new MultipathdError('bad_output', `multipathd closed the connection after ${Math.max(0, received - HEADER_BYTES)} of ${expected ?? '?'} reply bytes`));
          }
        });
      }),
  };
}

export function execClient(opts: {
  command: readonly string[];
  timeoutMs: number;
  maxReplyBytes: number;
  onStderr?: (text: string) => void;
}): MultipathdClient {
  const [file, ...baseArgs] = opts.command;
  if (!file) throw new Error('multipathd.command is empty');
  return {
    describe: `command ${opts.command.join(' ')}`,
    async command(command) {
      const result = await execa(file, [...baseArgs, ...command.split(' ')], {
        timeout: opts.timeoutMs,
        maxBuffer: { stdout: opts.maxReplyBytes, stderr: 64 * 1024 },
        reject: false,
        stripFinalNewline: false,
        stdin: 'ignore',
        forceKillAfterDelay: 1000,
      });
      if (result.stderr.trim() !== '') opts.onStderr?.(result.stderr.trim());
      if (result.timedOut) throw new MultipathdError('timeout', `${file} did not answer within ${opts.timeoutMs} ms (${command})`);
      if (result.isMaxBuffer) throw new MultipathdError('too_large', `${file} printed more than ${opts.maxReplyBytes} bytes`);
      const code = (result as { code?: string }).code;
      if (code === 'ENOENT' || (result.failed && !existsSync(file))) {
        throw new MultipathdError('daemon_down', `${file} not found: multipath-tools is not installed`);
      }
      if (result.exitCode !== 0 && result.stdout.trim() === '') {
        // 0.9.4 prints nothing and exits 1 when it cannot connect.
        throw new MultipathdError('daemon_down', `multipathd is not running (${file} exited ${result.exitCode ?? result.signal}${result.stderr ? `: ${result.stderr.trim().split('\n')[0]}` : ''})`);
      }
      return result.stdout;
    },
  };
}

/**
 * The multipathd client for the config in force; `auto` is decided per collection (the daemon may be
 * upgraded): the abstract socket where this Node's libuv can address it, else the pathname socket
 * (0.12+) when it exists, else multipathd's own client.
 */
export function clientFor(
  config: Config,
  onStderr?: (text: string) => void,
  pathExists: (path: string) => boolean = existsSync,
  abstractSockets: boolean = connectsToAbstractSockets(),
): MultipathdClient {
  const m = config.multipathd;
  const socket = (address: string) => socketClient({ socket: address, timeoutMs: m.timeout, maxReplyBytes: m.maxReplyBytes });
  if (m.transport === 'socket') return socket(m.socket);
  if (m.transport === 'auto' && abstractSockets && m.socket.startsWith('@')) return socket(m.socket);
  if (m.transport === 'auto' && pathExists(PATHNAME_SOCKET)) return socket(PATHNAME_SOCKET);
  return execClient({ command: m.command, timeoutMs: m.timeout, maxReplyBytes: m.maxReplyBytes, onStderr });
}
