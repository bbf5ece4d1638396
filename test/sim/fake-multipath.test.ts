// The fake multipath(8) edits the wwids file as multipath-tools 0.9.4's -a/-w do (wwids.c).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeMultipathCommand, WWIDS_FILE_HEADER, writeFakeMultipath } from '../../src/sim/fake-multipath.js';

const A = '3600a098038314c6f6b5d4f2d41434b31';
const B = '36001405aaaaaaaaaaaaaaaaaaaaaaaa1';

let dir: string;
let wwids: string;
let argv: string[];
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fake-mp-'));
  wwids = join(dir, 'wwids');
  await writeFakeMultipath(join(dir, 'multipath'));
  argv = fakeMultipathCommand(join(dir, 'multipath'), wwids, { log: join(dir, 'log'), fail: join(dir, 'fail') });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function multipath(flag: '-a' | '-w', wwid: string) {
  const r = await execa(argv[0]!, [...argv.slice(1), flag, wwid], { reject: false });
  return { code: r.exitCode, out: r.stdout, err: r.stderr };
}
const text = () => readFileSync(wwids, 'utf8');

describe('fake multipath (as 0.9.4)', () => {
  it('-a writes the header into a new file, appends /WWID/ once, says "added" every time', async () => {
    expect(await multipath('-a', A)).toEqual({ code: 0, out: `wwid '${A}' added`, err: '' });
    expect(await multipath('-a', A)).toMatchObject({ code: 0, out: `wwid '${A}' added` });
    expect(text()).toBe(`${WWIDS_FILE_HEADER}/${A}/\n`);
  });

  it('-w comments out the line in place (/ -> #); absent: "not in wwids file", exit 0; a re-add gets a new line', async () => {
    await multipath('-a', A);
    await multipath('-a', B);
    expect(await multipath('-w', A)).toEqual({ code: 0, out: `wwid '${A}' removed`, err: '' });
    expect(text()).toBe(`${WWIDS_FILE_HEADER}#${A}/\n/${B}/\n`);
    expect(await multipath('-w', A)).toEqual({ code: 0, out: `wwid '${A}' not in wwids file`, err: '' });
    await multipath('-a', A);
    expect(text()).toBe(`${WWIDS_FILE_HEADER}#${A}/\n/${B}/\n/${A}/\n`);
  });

  it('-w on a missing file creates it with the header; only the first of duplicate lines is commented out', async () => {
    expect(await multipath('-w', A)).toMatchObject({ code: 0, out: `wwid '${A}' not in wwids file` });
    expect(text()).toBe(WWIDS_FILE_HEADER);
    writeFileSync(wwids, `${WWIDS_FILE_HEADER}/${A}/\n/${A}/\n`);
    await multipath('-w', A);
    expect(text()).toBe(`${WWIDS_FILE_HEADER}#${A}/\n/${A}/\n`);
  });

  it('fails for a listed WWID with multipath-tools\' messages, and records every call', async () => {
    writeFileSync(join(dir, 'fail'), `${A}\n`);
    expect(await multipath('-a', A)).toEqual({ code: 1, out: `failed adding '${A}' to wwids file`, err: '' });
    expect(await multipath('-w', A)).toMatchObject({ code: 1, err: 'cannot remove wwid. wwids file is read-only' });
    await multipath('-a', B);
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe(`-a ${A}\n-w ${A}\n-a ${B}\n`);
  });
});
