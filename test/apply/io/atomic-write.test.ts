// Crash-safe replacement: temp file in the same directory, fsync, rename, fsync of the directory;
// stale temp files of dead writers are cleaned up, and only those.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readFileOrNull, removeFileDurable, removeStaleTemps, TEMP_MARKER, writeFileAtomic } from '../../../src/apply/io/atomic-write.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atomic-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** A pid that surely belongs to no process: one that just exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('writeFileAtomic', () => {
  it('writes a complete temp file next to the target, then renames it over; the old file stays until then', async () => {
    const target = join(dir, 'x.conf');
    writeFileSync(target, 'old\n');
    const oldIno = statSync(target).ino;
    let seen: { temp: string; tempText: string; targetText: string } | undefined;
    await writeFileAtomic(target, 'new\n', {
      mode: 0o640,
      beforeRename: (temp) => {
        seen = { temp, tempText: readFileSync(temp, 'utf8'), targetText: readFileSync(target, 'utf8') };
      },
    });
    expect(seen!.temp.startsWith(join(dir, `.x.conf${TEMP_MARKER}${process.pid}-`))).toBe(true);
    expect(seen!.temp.endsWith('.conf')).toBe(false); // multipath reads only *.conf
    expect(seen).toMatchObject({ tempText: 'new\n', targetText: 'old\n' });
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(statSync(target).ino).not.toBe(oldIno); // replaced by rename, not rewritten in place
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['x.conf']);
  });

  it('fsyncs the temp file before the rename and the directory after it', async () => {
    const order: string[] = [];
    const realOpen = fs.open.bind(fs);
    vi.spyOn(fs, 'open').mockImplementation(async (...args: Parameters<typeof fs.open>) => {
      const handle = await realOpen(...args);
      const what = String(args[0]) === dir ? 'dir' : 'temp';
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        order.push(`sync ${what}`);
        return sync();
      };
      return handle;
    });
    const rename = fs.rename.bind(fs);
    vi.spyOn(fs, 'rename').mockImplementation(async (a, b) => {
      order.push('rename');
      return rename(a, b);
    });
    await writeFileAtomic(join(dir, 'x.conf'), 'a\n');
    expect(order).toEqual(['sync temp', 'rename', 'sync dir']);
  });

  it('a failure before the rename leaves the old file and no temp file', async () => {
    const target = join(dir, 'x.conf');
    writeFileSync(target, 'old\n');
    await expect(writeFileAtomic(target, 'new\n', { beforeRename: () => Promise.reject(new Error('ENOSPC (injected)')) })).rejects.toThrow('ENOSPC');
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['x.conf']);
  });
});

describe('removeStaleTemps', () => {
  it("removes only our own temp files (name prefix and pattern), and only those of dead writers", async () => {
    const dead = deadPid();
    const names = {
      deadOurs: `.mpe-10-defaults.conf${TEMP_MARKER}${dead}-0123abcd`,
      liveOurs: `.mpe-10-defaults.conf${TEMP_MARKER}${process.pid}-0123abcd`,
      parentOurs: `.mpe-10-defaults.conf${TEMP_MARKER}${process.ppid}-89abcdef`,
      otherPrefix: `.vendor.conf${TEMP_MARKER}${dead}-0123abcd`,
      notATemp: `.mpe-10-defaults.conf${TEMP_MARKER}${dead}-xyz`,
      target: 'mpe-10-defaults.conf',
    };
    for (const n of Object.values(names)) writeFileSync(join(dir, n), '');
    await removeStaleTemps(dir, 'mpe');
    expect(readdirSync(dir).sort()).toEqual(Object.values(names).filter((n) => n !== names.deadOurs).sort());
  });

  it('a missing directory is nothing to clean', async () => {
    await expect(removeStaleTemps(join(dir, 'nope'), 'mpe')).resolves.toBeUndefined();
  });
});

describe('removeFileDurable and readFileOrNull', () => {
  it('absent files are not errors', async () => {
    writeFileSync(join(dir, 'f'), 't');
    expect(await readFileOrNull(join(dir, 'f'))).toBe('t');
    expect(await removeFileDurable(join(dir, 'f'))).toBe(true);
    expect(await removeFileDurable(join(dir, 'f'))).toBe(false);
    expect(await readFileOrNull(join(dir, 'f'))).toBeNull();
    await expect(readFileOrNull(dir)).rejects.toThrow(/EISDIR/);
  });
});
