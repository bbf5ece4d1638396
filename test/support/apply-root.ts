// A temporary root for apply tests: conf.d, wwids file, state dir, sysfs and mountinfo under one
// directory, and the simulator's fake `multipath` (it edits the wwids file the way 0.9.4 does),
// recording its calls and told to fail for listed WWIDs.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/common/core/config-text.js';
import type { Config } from '../../src/common/core/config.js';
import { fakeMultipathCommand, fakeMultipathScript, WWIDS_FILE_HEADER } from '../../src/sim/fake-multipath.js';

export const WWIDS_HEADER = WWIDS_FILE_HEADER;

export interface TestRoot {
  dir: string;
  confDir: string;
  wwidsFile: string;
  stateDir: string;
  sysfsRoot: string;
  mountinfo: string;
  swaps: string;
  /** File listing WWIDs the fake multipath fails for. */
  failFile: string;
  logFile: string;
  multipath: string;
  /** Calls the fake multipath received (`-a WWID`, ...). */
  calls(): string[];
  wwidsText(): string;
  /** Active WWIDs in the wwids file. */
  wwids(): string[];
  failFor(...wwids: string[]): void;
  /** A config (YAML cluster part) pointing apply at this root. */
  config(yaml: string, extra?: Record<string, unknown>): Config;
  /** A block device in the fake sysfs. */
  blockDevice(name: string, dev: string, holders: string[], dmUuid?: string, dmName?: string): void;
  cleanup(): void;
}

export function makeRoot(): TestRoot {
  const dir = mkdtempSync(join(tmpdir(), 'mpe-apply-'));
  const r = {
    dir,
    confDir: join(dir, 'etc/multipath/conf.d'),
    wwidsFile: join(dir, 'etc/multipath/wwids'),
    stateDir: join(dir, 'var/lib/multipath-exporter'),
    sysfsRoot: join(dir, 'sys'),
    mountinfo: join(dir, 'proc/self/mountinfo'),
    swaps: join(dir, 'proc/swaps'),
    failFile: join(dir, 'fail-wwids'),
    logFile: join(dir, 'multipath.log'),
    multipath: join(dir, 'bin/multipath'),
  };
  mkdirSync(join(dir, 'etc/multipath'), { recursive: true });
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'proc/self'), { recursive: true });
  mkdirSync(join(r.sysfsRoot, 'block'), { recursive: true });
  writeFileSync(r.mountinfo, '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n');
  writeFileSync(r.swaps, 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n');
  // `multipath` itself is a wrapper, so configs name one executable as they would the real one.
  const script = join(dir, 'bin/fake-multipath.sh');
  writeFileSync(script, fakeMultipathScript());
  const argv = fakeMultipathCommand(script, r.wwidsFile, { log: r.logFile, fail: r.failFile });
  writeFileSync(r.multipath, `#!/bin/sh\nexec ${argv.map((a) => `'${a}'`).join(' ')} "$@"\n`);
  chmodSync(r.multipath, 0o755);
  return {
    ...r,
    calls: () => (existsSync(r.logFile) ? readFileSync(r.logFile, 'utf8').split('\n').filter(Boolean) : []),
    wwidsText: () => (existsSync(r.wwidsFile) ? readFileSync(r.wwidsFile, 'utf8') : ''),
    wwids() {
      return this.wwidsText()
        .split('\n')
        .filter((l) => l.startsWith('/'))
        .map((l) => l.slice(1, -1));
    },
    failFor: (...wwids) => writeFileSync(r.failFile, wwids.map((w) => `${w}\n`).join('')),
    config(yaml, extra = {}) {
      const apply = { enabled: true, confDir: r.confDir, wwidsFile: r.wwidsFile, stateDir: r.stateDir, multipath: [r.multipath], ...extra };
      const text = `node: pve1\nsysfsRoot: ${JSON.stringify(r.sysfsRoot)}\napply: ${JSON.stringify(apply)}\n${yaml}`;
      const parsed = parseConfigText(text, 'test.yml');
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      return parsed.config;
    },
    blockDevice(name, dev, holders, dmUuid, dmName) {
      const d = join(r.sysfsRoot, 'block', name);
      mkdirSync(join(d, 'holders'), { recursive: true });
      writeFileSync(join(d, 'dev'), `${dev}\n`);
      for (const h of holders) writeFileSync(join(d, 'holders', h), '');
      if (dmUuid) {
        mkdirSync(join(d, 'dm'), { recursive: true });
        writeFileSync(join(d, 'dm/uuid'), `${dmUuid}\n`);
        writeFileSync(join(d, 'dm/name'), `${dmName ?? name}\n`);
      }
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A recording stand-in for the lead's multipathd client. */
export function fakeMultipathd(opts: { running?: boolean; reconfigureReply?: string } = {}) {
  const commands: string[] = [];
  const state = { running: opts.running ?? true, reconfigureReply: opts.reconfigureReply ?? 'ok\n' };
  const command = async (cmd: string): Promise<string> => {
    commands.push(cmd);
    if (!state.running) throw new Error('connect ECONNREFUSED @/org/kernel/linux/storage/multipathd');
    if (cmd === 'show daemon') return 'pid 4242 idle\n';
    if (cmd === 'reconfigure') return state.reconfigureReply;
    return 'fail\n';
  };
  return { command, commands, state, reconfigures: () => commands.filter((c) => c === 'reconfigure').length };
}
