// One lab VM: qemu (TCG; the lab initramfs and no disk, or a Debian node's kernel, initrd and
// root disk booted as a snapshot), loopback-only port forwards for the guest
// agent and the exporter, two read-only 9p shares (the host's node binary, the run folder with the
// agent, the exporter bundle and the cluster config). The serial console is kept in memory.
//
// Every qemu is a managed process (src/sim/processes.ts) under the process guard, in its own
// process group: teardown kills the group, an exit of the harness kills it, and the guard stops
// qemu when the harness is gone (even after a SIGKILL) or after `maxLifetimeSec`.
import { freePort, type Managed, spawnManaged } from '../src/sim/processes.js';

export interface VmOptions {
  name: string;
  kernel: string;
  initrd: string;
  nodeShare: string;
  runShare: string;
  memoryMb?: number;
  /** Load scsi_debug (the shared LUN and the non-allow-listed one). */
  scsi?: boolean;
  /** A root disk (raw image) on virtio, booted with snapshot=on (the guest's writes never reach the file; flushes are not passed on). */
  disk?: string;
  /** More kernel command-line arguments (e.g. `root=/dev/vda`). */
  append?: string[];
  maxLifetimeSec?: number;
}

export const GUEST_AGENT_PORT = 9101;
export const GUEST_EXPORTER_PORT = 10036;

export class Vm {
  readonly name: string;
  agentPort = 0;
  exporterPort = 0;
  serial = '';
  startedAt = 0;
  private proc: Managed | undefined;
  private waiters: Array<() => void> = [];

  constructor(private readonly opts: VmOptions) {
    this.name = opts.name;
  }

  get agentUrl(): string {
    return `http://127.0.0.1:${this.agentPort}`;
  }
  get exporterUrl(): string {
    return `http://127.0.0.1:${this.exporterPort}`;
  }
  get running(): boolean {
    return this.proc?.running() ?? false;
  }

  async start(): Promise<void> {
    this.agentPort = await freePort();
    this.exporterPort = await freePort();
    const o = this.opts;
    const fwd = [
      `hostfwd=tcp:127.0.0.1:${this.agentPort}-:${GUEST_AGENT_PORT}`,
      `hostfwd=tcp:127.0.0.1:${this.exporterPort}-:${GUEST_EXPORTER_PORT}`,
    ].join(',');
    const append = ['console=ttyS0', 'panic=-1', 'loglevel=4', 'edd=off', 'mitigations=off', 'tsc=reliable', 'no_timer_check', `lab.node=${o.name}`, `lab.scsi=${o.scsi === false ? 0 : 1}`, ...(o.append ?? [])].join(' ');
    const qemu = [
      '-accel', 'tcg', '-m', String(o.memoryMb ?? 768), '-smp', '1',
      '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio', '-monitor', 'none',
      '-kernel', o.kernel, '-initrd', o.initrd, '-append', append,
      '-netdev', `user,id=n0,restrict=on,${fwd}`, '-device', 'virtio-net-pci,netdev=n0,romfile=',
      '-virtfs', `local,path=${o.nodeShare},mount_tag=node,security_model=none,readonly=on`,
      '-virtfs', `local,path=${o.runShare},mount_tag=run,security_model=none,readonly=on`,
      ...(o.disk ? ['-drive', `file=${o.disk},format=raw,if=virtio,snapshot=on,cache=unsafe`] : []),
    ];
    this.startedAt = Date.now();
    const proc = spawnManaged(`qemu ${o.name}`, 'qemu-system-x86_64', qemu, {
      guard: { maxLifetimeSec: o.maxLifetimeSec ?? 900 },
      onOutput: (chunk) => {
        this.serial += chunk;
        if (this.serial.length > 2_000_000) this.serial = this.serial.slice(-1_000_000);
        this.wake();
      },
    });
    this.proc = proc;
    void proc.exited.then(() => this.wake());
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Wait for a serial-console line matching `re`; fails early on a `LAB: FAIL` marker or qemu exit. */
  async waitForSerial(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.serial.match(re);
      if (m) return m;
      const fail = this.serial.match(/^LAB: FAIL[^\n]*\n/m);
      if (fail) throw new Error(`${this.name}: ${fail[0].trim()}\n${this.serialTail()}`);
      if (!this.running) throw new Error(`${this.name}: qemu exited before ${re}\n${this.serialTail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no ${re} on the serial console within ${timeoutMs} ms\n${this.serialTail()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  serialTail(lines = 40): string {
    return this.serial.replace(/\x1b(?:\[[0-9;?]*[A-Za-z]|c)|\r/g, '').split('\n').slice(-lines).join('\n');
  }

  /** Stop qemu: SIGTERM to its process group, SIGKILL after 5 s; resolves once it has exited. */
  async stop(): Promise<void> {
    await this.proc?.stop(5000);
  }
}
