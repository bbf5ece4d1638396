// Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
// the target, fsync the directory. A crash or a full disk at any point leaves either the old or the
// new file, never a half-written one. Temp names do not end in `.conf`, so multipath ignores them.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from '../../common/io/process.js';

export interface AtomicWriteOptions {
  mode?: number;
  /** Test hook: runs after the temp file is complete and before the rename. */
  beforeRename?: (tempPath: string) => Promise<void> | void;
}

export const TEMP_MARKER = '.tmp-';

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(path: string, content: string, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
  const handle = await fs.open(temp, 'wx', options.mode ?? 0o644);
  let renamed = false;
  try {
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeRename?.(temp);
    await fs.rename(temp, path);
    renamed = true;
    await fsyncDir(dir);
  } finally {
    if (!renamed) await fs.rm(temp, { force: true });
  }
}

/** Removes a file (absent is fine) and makes the removal durable. Returns true when it existed. */
export async function removeFileDurable(path: string): Promise<boolean> {
  try {
    await fs.unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await fsyncDir(dirname(path));
  return true;
}

/** Removes temp files a killed writer left behind in `dir` (only ours: `.<name>.tmp-<pid>-<hex>`). */
export async function removeStaleTemps(dir: string, namePrefix: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const pattern = new RegExp(`^\\.${namePrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*${TEMP_MARKER.replace('.', '\\.')}\\d+-[0-9a-f]{8}$`);
  for (const name of names) {
    if (!pattern.test(name)) continue;
    const pid = Number(/(\d+)-[0-9a-f]{8}$/.exec(name)?.[1]);
    if (pid === process.pid || processAlive(pid)) continue; // a writer still at work
    await fs.rm(join(dir, name), { force: true });
  }
}

/** File text, or null when it does not exist. */
export async function readFileOrNull(path: string): Promise<string | null> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
