// Child processes of the simulation and the lab (exporters, Prometheus, Alertmanager, qemu): each in
// its own process group, so stopping it stops everything it started; every one still running when
// this process exits is killed (also when a test fails or times out), and a guarded one also when
// this process is SIGKILLed. Plus free loopback ports, readiness and bounded waits.
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export interface Managed {
  name: string;
  pid: number;
  /** Resolves once the process has exited. */
  exited: Promise<void>;
  running(): boolean;
  /** The last few KiB of its stdout and stderr, for error messages. */
  output(): string;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Managed>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const m of live) killGroup(m.pid, 'SIGKILL');
  });
  // Killed by a signal nobody else handles (a test runner stopping its worker): take the children
  // along, then die of the same signal. A handler of its own (the demo's Ctrl-C) takes precedence.
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    const handler = () => {
      if (process.listenerCount(sig) > 1) return;
      for (const m of live) killGroup(m.pid, 'SIGKILL');
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

const TAIL = 16 * 1024;
const GUARD = fileURLToPath(new URL('./process-guard.sh', import.meta.url));

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Every chunk of its stdout and stderr as it arrives (the tail for `output()` is kept anyway). */
  onOutput?: (chunk: string) => void;
  /**
   * Run it under src/sim/process-guard.sh, which stops it once this process is gone, even after a
   * SIGKILL that runs no exit hook, and after `maxLifetimeSec` at most.
   */
  guard?: { maxLifetimeSec: number };
}

export function spawnManaged(name: string, file: string, args: string[], opts: SpawnOptions = {}): Managed {
  installExitHook();
  const [command, argv] = opts.guard ? ['bash', [GUARD, String(process.pid), String(opts.guard.maxLifetimeSec), file, ...args]] : [file, args];
  const child: ResultPromise = execa(command, argv, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${file}`);
  const pid = child.pid;
  let tail = '';
  const keep = (chunk: string) => {
    tail = (tail + chunk).slice(-TAIL);
    opts.onOutput?.(chunk);
  };
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', keep);
  }
  let done = false;
  const exited = child.then(
    () => undefined,
    () => undefined,
  ).finally(() => {
    done = true;
    live.delete(managed);
  });
  const managed: Managed = {
    name,
    pid,
    exited,
    running: () => !done,
    output: () => tail,
    async stop(graceMs = 3000) {
      if (done) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // anything the leader left behind in its group
      killGroup(pid, 'SIGKILL');
    },
  };
  live.add(managed);
  return managed;
}

/** Every managed process still running (for tests: none may be left behind). */
export function liveProcesses(): Managed[] {
  return [...live];
}

/** Ports freePort has handed out in this process: the kernel may offer a closed one again. */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1 (the kernel's choice; closed again before returning), never one this
 * process was given before: two qemu or Prometheus instances started side by side must not both
 * be told the same port between its close and their bind.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await kernelFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function kernelFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const clip = (s: string, max = 2000): string => (s.length > max ? `${s.slice(0, max)}... (${s.length - max} more characters)` : s);

/**
 * Polls `probe` every `everyMs` (default 500) until `done` holds for its value (default: the value
 * is truthy) and returns that value; a probe that throws is retried. After `timeoutMs` it throws
 * with the last value seen and the last error.
 */
/** Falsy values a probe returns for "not yet" when no `done` is given. */
type NotYet = undefined | null | false | '' | 0;
export async function waitFor<T>(what: string, limits: { timeoutMs: number; everyMs?: number }, probe: () => Promise<T>): Promise<Exclude<T, NotYet>>;
export async function waitFor<T>(what: string, limits: { timeoutMs: number; everyMs?: number }, probe: () => Promise<T>, done: (value: T) => boolean): Promise<T>;
export async function waitFor<T>(
  what: string,
  limits: { timeoutMs: number; everyMs?: number },
  probe: () => Promise<T>,
  done: (value: T) => boolean = Boolean,
): Promise<T> {
  const deadline = Date.now() + limits.timeoutMs;
  let last: { value: T } | undefined;
  let error: unknown;
  for (;;) {
    try {
      const value = await probe();
      last = { value };
      error = undefined;
      if (done(value)) return value;
    } catch (err) {
      error = err;
    }
    if (Date.now() >= deadline) {
      const seen = last ? `; last seen: ${clip(JSON.stringify(last.value) ?? String(last.value))}` : '';
      const failed = error ? ` (${error instanceof Error ? error.message : String(error)})` : '';
      throw new Error(`timed out after ${limits.timeoutMs} ms waiting for ${what}${seen}${failed}`);
    }
    await sleep(limits.everyMs ?? 500);
  }
}

/** Polls `url` until it answers 2xx; fails early when `proc` exits, or after `timeoutMs`. */
export async function waitHttpReady(url: string, opts: { timeoutMs: number; proc?: Managed }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (opts.proc && !opts.proc.running()) throw new Error(`${opts.proc.name} exited before it was ready:\n${opts.proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready after ${opts.timeoutMs} ms (${last})${opts.proc ? `:\n${opts.proc.output()}` : ''}`);
}
