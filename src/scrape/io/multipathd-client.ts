// Talking to multipathd: over its unix socket (default; no process, no root needed for `show`) or
// by running its CLI. Both return the reply text or throw a MultipathdError carrying the reason.
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { endianness } from 'node:os';
import { type Config, PATHNAME_SOCKET } from '../../common/core/config.js';
import type { CollectionFailure } from '../core/states.js';
import type { Logger } from '../../common/io/log.js';
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
  /**
   * Sends one command (e.g. `show maps json`) and resolves with the reply text. It waits at most
   * `timeoutMs`, and never past `deadline` (a `performance.now()` time: the end of the collection
   * the command belongs to).
   */
  command(command: string, deadline?: number): Promise<string>;
  /** The configured time (multipathd.timeout) for one command, and for one collection in total. */
  readonly timeoutMs: number;
  /** Human description for logs and the landing page. */
  readonly describe: string;
}

/** How long a command may wait: its timeout, or what is left before the deadline if that is less. */
function waitFor(timeoutMs: number, deadline: number | undefined): { ms: number; why: string } {
  const left = deadline === undefined ? Infinity : Math.floor(deadline - performance.now());
  if (left >= timeoutMs) return { ms: timeoutMs, why: '' };
  if (left <= 0) throw new MultipathdError('timeout', `no time left of the ${timeoutMs} ms collection budget`);
  return { ms: left, why: `, what was left of the ${timeoutMs} ms collection budget` };
}

/** `@name` is the abstract namespace (NUL-prefixed), anything else a filesystem path. */
export function socketAddress(socket: string): string {
  return socket.startsWith('@') ? `\0${socket.slice(1)}` : socket;
}

const HEADER_BYTES = 8;

/** multipathd's framing: a native-endian size_t length (including the NUL), then the bytes. */
export function frame(payload: string | Buffer): Buffer {
  const body = Buffer.concat([typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload, Buffer.from([0])]);
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
    timeoutMs: opts.timeoutMs,
    command: (command, deadline) =>
      new Promise<string>((resolve, reject) => {
        const wait = waitFor(opts.timeoutMs, deadline);
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
          () => finish(new MultipathdError('timeout', `no reply from multipathd within ${wait.ms} ms${wait.why} (${command})`)),
          wait.ms,
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

/** What the exec client keeps of a command's stderr (the end of it), for the log. */
export const STDERR_TAIL_CHARS = 4096;

/** SIGKILL to a process group; it may be gone already. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
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
    timeoutMs: opts.timeoutMs,
    async command(command, deadline) {
      const wait = waitFor(opts.timeoutMs, deadline);
      // Loaded on first use: the socket transport and most commands never start a process.
      const { execa } = await import('execa');
      const subprocess = execa(file, [...baseArgs, ...command.split(' ')], {
        // Its own process group, so the deadline also stops whatever it started: a child that
        // inherited stdout would otherwise keep the reply open (and the scrape waiting) forever.
        detached: true,
        // stdout is the reply (capped); stderr is only logged: its tail is kept below, and no
        // amount of it fails a good reply.
        buffer: { stdout: true, stderr: false },
        maxBuffer: { stdout: opts.maxReplyBytes },
        reject: false,
        stripFinalNewline: false,
        stdin: 'ignore',
      });
      let stderr = '';
      subprocess.stderr?.setEncoding('utf8');
      subprocess.stderr?.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
      });
      let timer: NodeJS.Timeout | undefined;
      const deadlinePassed = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), wait.ms);
      });
      const result = await Promise.race([subprocess, deadlinePassed]);
      clearTimeout(timer);
      if (!result) {
        killGroup(subprocess.pid);
        subprocess.stdout?.destroy();
        subprocess.stderr?.destroy();
        throw new MultipathdError('timeout', `${file} did not answer within ${wait.ms} ms${wait.why} (${command})`);
      }
      if (stderr.trim() !== '') opts.onStderr?.(stderr.trim());
      if (result.isMaxBuffer) throw new MultipathdError('too_large', `${file} printed more than ${opts.maxReplyBytes} bytes on stdout`);
      const code = (result as { code?: string }).code;
      if (code === 'ENOENT' || (result.failed && !existsSync(file))) {
        throw new MultipathdError('daemon_down', `${file} not found: multipath-tools is not installed`);
      }
      if (result.exitCode !== 0 && result.stdout.trim() === '') {
        // 0.9.4 prints nothing and exits 1 when it cannot connect.
        const firstStderrLine = stderr.trim().split('\n')[0];
        throw new MultipathdError('daemon_down', `multipathd is not running (${file} exited ${result.exitCode ?? result.signal}${firstStderrLine ? `: ${firstStderrLine}` : ''})`);
      }
      return result.stdout;
    },
  };
}

/**
 * What to do with the multipathd client's stderr: warn, but only when it differs from the last
 * text warned of. Some clients print the same line on every call (Debian 12's 0.9.4 under
 * `ProcSubset=pid`: "Cannot open /proc/sys/fs/nr_open"), which would be a warning per scrape.
 */
export function stderrWarner(log: Logger): (text: string) => void {
  let last: string | undefined;
  return (text) => {
    if (text === last) return;
    last = text;
    log.warn('multipathd stderr', { text, repeats: 'not logged again until it changes' });
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
