// bcrypt comparisons on worker threads, so a flood of wrong passwords costs CPU on another core
// and never holds the event loop that serves scrapes. (bcryptjs' own async mode runs on the event
// loop in 100 ms slices: 100 wrong passwords at once stalled a cached scrape for seconds.)
//
// The worker is this module itself, started in a thread with `workerData.role` set. From the
// bundle that loads the bundle (src/cli.ts does nothing off the main thread); from the sources
// (tsx, vitest) it first registers tsx so the thread can load TypeScript.
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { PasswordCompare } from '../core/basic-auth.js';

const ROLE = 'multipath-exporter-bcrypt';

interface Job {
  id: number;
  password: string;
  hash: string;
}
interface Done {
  id: number;
  ok: boolean;
}

// bcryptjs is loaded only in the worker threads: the main thread never hashes, and most exporters
// have no basic auth at all.
if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) {
  const { default: bcrypt } = await import('bcryptjs');
  parentPort!.on('message', ({ id, password, hash }: Job) => {
    let ok = false;
    try {
      ok = bcrypt.compareSync(password, hash);
    } catch {
      ok = false;
    }
    parentPort!.postMessage({ id, ok } satisfies Done);
  });
}

function workerBootstrap(): string {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return `import(${JSON.stringify(self)});`;
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(self)}));`;
}

export interface BcryptPool {
  compare: PasswordCompare;
  /** Stop the threads; pending comparisons answer false. */
  close(): Promise<void>;
}

/**
 * `threads` workers (default: all cores but one, at least one), started on first use and not
 * keeping the process alive. Each runs one comparison at a time; the rest wait in order.
 */
export function createBcryptPool(threads = Math.max(1, availableParallelism() - 1)): BcryptPool {
  const idle: Worker[] = [];
  const all = new Set<Worker>();
  const queue: Array<Job & { resolve: (ok: boolean) => void }> = [];
  const running = new Map<Worker, Job & { resolve: (ok: boolean) => void }>();
  let nextId = 0;
  let closed = false;

  const spawn = (): Worker => {
    const worker = new Worker(workerBootstrap(), { eval: true, workerData: { role: ROLE } });
    worker.unref();
    all.add(worker);
    worker.on('message', ({ id, ok }: Done) => {
      const job = running.get(worker);
      running.delete(worker);
      if (job?.id === id) job.resolve(ok);
      idle.push(worker);
      pump();
    });
    // A thread that dies answers its comparison false and is replaced on demand.
    const lost = () => {
      all.delete(worker);
      const i = idle.indexOf(worker);
      if (i >= 0) idle.splice(i, 1);
      running.get(worker)?.resolve(false);
      running.delete(worker);
      pump();
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    return worker;
  };

  const pump = () => {
    while (!closed && queue.length > 0) {
      const worker = idle.pop() ?? (all.size < threads ? spawn() : undefined);
      if (!worker) return;
      const job = queue.shift()!;
      running.set(worker, job);
      worker.postMessage({ id: job.id, password: job.password, hash: job.hash } satisfies Job);
    }
  };

  return {
    compare(password, hash) {
      if (closed) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        queue.push({ id: nextId++, password, hash, resolve });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.resolve(false);
      await Promise.all([...all].map((w) => w.terminate()));
    },
  };
}
