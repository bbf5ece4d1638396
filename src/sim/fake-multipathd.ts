// A fake multipathd that speaks the real socket protocol (8-byte native-endian length including
// the NUL, then the bytes) and answers from a reply function: for unit, scale and end-to-end tests
// and the demo. It never runs anything.
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { frame, readLength, socketAddress } from '../scrape/io/multipathd-client.js';

export type FakeReply =
  | string
  /** Answer after a delay; `hang` never answers (a hung daemon). */
  | { reply?: string; delayMs?: number; hang?: boolean; rawFrame?: Buffer; closeAfterBytes?: number };

export interface FakeMultipathd {
  /** Socket as the exporter config spells it (`@name` = abstract). */
  socket: string;
  /** Every command received, in order. */
  commands: string[];
  setResponder(responder: (command: string) => FakeReply): void;
  close(): Promise<void>;
}

export async function startFakeMultipathd(opts: { socket: string; respond: (command: string) => FakeReply }): Promise<FakeMultipathd> {
  let respond = opts.respond;
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const address = socketAddress(opts.socket);
  if (!opts.socket.startsWith('@')) await rm(address, { force: true });

  const server: Server = createServer((conn) => {
    sockets.add(conn);
    conn.on('close', () => sockets.delete(conn));
    conn.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 8) {
        const length = readLength(buffer);
        if (length < 1 || length > 512) {
          conn.destroy(); // multipathd resets on a length outside 1..512
          return;
        }
        if (buffer.length < 8 + length) return;
        const command = buffer.subarray(8, 8 + length - 1).toString('utf8');
        buffer = buffer.subarray(8 + length);
        commands.push(command);
        answer(conn, respond(command));
      }
    });
  });

  function answer(conn: Socket, reply: FakeReply): void {
    const spec = typeof reply === 'string' ? { reply } : reply;
    if (spec.hang) return;
    const send = () => {
      if (conn.destroyed) return;
      const bytes = spec.rawFrame ?? frame(spec.reply ?? '');
      if (spec.closeAfterBytes !== undefined) {
        conn.end(bytes.subarray(0, spec.closeAfterBytes));
      } else {
        conn.write(bytes);
      }
    };
    if (spec.delayMs) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, spec.delayMs);
      timers.add(timer);
    } else {
      send();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => resolve());
  });

  return {
    socket: opts.socket,
    commands,
    setResponder(next) {
      respond = next;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const conn of sockets) conn.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
