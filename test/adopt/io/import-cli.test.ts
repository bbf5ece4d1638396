import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runImportCommand } from '../../../src/adopt/io/import-cli.js';
import { main } from '../../../src/cli.js';
import { parseConfigText } from '../../../src/common/core/config-text.js';
import { REPO } from '../../support/repo.js';

const FIXTURES = join(REPO, 'fixtures/adopt');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'mpe-import-'));
  dirs.push(d);
  return d;
}
function put(root: string, path: string, text: string) {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runImportCommand(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('multipath-exporter import', () => {
  it('agreeing cluster: exit 0, a config check-config accepts, a summary on stderr', async () => {
    const r = await run(join(FIXTURES, 'fc-alua-netapp'));
    expect(r.code).toBe(0);
    const parsed = parseConfigText(r.out, 'out.yml');
    expect(parsed.ok && parsed.config.cluster.luns.map((l) => l.alias)).toEqual(['vmstore01', 'vmstore02', 'backup01']);
    expect(r.err).toContain('3 node(s), 3 LUN(s); nothing left open');
  });

  it('disagreeing cluster: exit 2 with every point on stderr; the flags settle all but what cannot be carried', async () => {
    const open = await run(join(FIXTURES, 'mixed-disagreement'));
    expect(open.code).toBe(2);
    expect(open.err.match(/^UNRESOLVED: /gm)).toHaveLength(8);
    expect(open.err).toContain('UNRESOLVED: defaults: defaults no_path_retry: nodes disagree (alpha, bravo: "queue"; charlie: "18")');
    expect(parseConfigText(open.out, 'out.yml').ok).toBe(true);
    const settled = await run(join(FIXTURES, 'mixed-disagreement'), '--prefer', 'alpha', '--resolve', 'majority');
    expect(settled.code).toBe(2);
    expect(settled.err.match(/^UNRESOLVED: .*$/gm)).toEqual([expect.stringContaining('reservation_key "0x5a17" is not carried over')]);
  });

  it('-o writes the file, refuses to replace it without --force', async () => {
    const dir = temp();
    const file = join(dir, 'config.yml');
    expect((await run(join(FIXTURES, 'boot-from-san-blacklist'), '-o', file)).code).toBe(0);
    const first = readFileSync(file, 'utf8');
    expect(parseConfigText(first, file).ok).toBe(true);
    writeFileSync(file, 'mine\n');
    const refused = await run(join(FIXTURES, 'boot-from-san-blacklist'), '-o', file);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('exists; add --force');
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    expect((await run(join(FIXTURES, 'boot-from-san-blacklist'), '-o', file, '--force')).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(first);
  });

  it('malformed input: every error with its file and line, exit 1, nothing written', async () => {
    const dir = temp();
    put(dir, 'n1/multipath.conf', 'defaults {\n\tverbosity 2\n');
    put(dir, 'n2/multipath.conf', 'defaults {\n}\n');
    put(dir, 'n2/conf.d/10-x.conf', `defaultz {\n}\nblacklist {\n\tdevnode "${'a'.repeat(1100)}"\n}\n`);
    const out = join(dir, 'out.yml');
    const r = await run(dir, '-o', out);
    expect(r.code).toBe(1);
    expect(r.err.split('\n').filter((l) => l.startsWith('error: '))).toEqual([
      `error: ${dir}/n1/multipath.conf: line 1: section "defaults" opened here is never closed (missing "}")`,
      `error: ${dir}/n2/conf.d/10-x.conf: line 1: unknown section "defaultz"; multipath-tools 0.9.4 knows defaults, blacklist, blacklist_exceptions, devices, overrides, multipaths`,
      `error: ${dir}/n2/conf.d/10-x.conf: line 4: line is 1111 bytes long; multipath-tools 0.9.4 reads at most 1022 per line and would split it`,
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it('an unreadable file, a bad saved maps file, an empty node directory: a clear error naming it', async () => {
    const dir = temp();
    mkdirSync(join(dir, 'n1/multipath.conf'), { recursive: true });
    expect((await run(dir)).err).toMatch(new RegExp(`${dir}/n1/multipath.conf: cannot read: EISDIR`));
    const maps = temp();
    put(maps, 'n1/maps.json', 'timeout\n');
    const bad = await run(maps);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${maps}/n1/maps.json: not a saved "multipathd show maps json"`);
    const empty = temp();
    mkdirSync(join(empty, 'n1'));
    expect((await run(empty)).err).toContain(`${empty}/n1: none of multipath.conf, conf.d/*.conf, wwids, bindings, maps.json`);
  });

  it('--local reads the live files under the root, read-only', async () => {
    const root = temp();
    put(root, 'etc/multipath.conf', 'defaults {\n\tno_path_retry queue\n}\n');
    put(root, 'etc/multipath/conf.d/50-x.conf', 'multipaths {\n\tmultipath {\n\t\twwid 36001405aa\n\t\talias one\n\t}\n}\n');
    put(root, 'etc/multipath/wwids', '/36001405aa/\n');
    let out = '';
    const code = await runImportCommand(['--local', '--node', 'pve7'], { out: (t) => void (out += t), err: () => {}, localRoot: root });
    expect(code).toBe(0);
    const parsed = parseConfigText(out, 'x.yml');
    expect(parsed.ok && [parsed.config.cluster.nodes, parsed.config.cluster.defaults, parsed.config.cluster.luns]).toEqual([['pve7'], { no_path_retry: 'queue' }, [{ wwid: '36001405aa', alias: 'one' }]]);
    expect(readFileSync(join(root, 'etc/multipath/wwids'), 'utf8')).toBe('/36001405aa/\n');
  });

  it('usage errors exit 64; the main command line dispatches import', async () => {
    expect((await run()).code).toBe(64);
    expect((await run('a', 'b')).code).toBe(64);
    expect((await run('--local', 'dir')).code).toBe(64);
    expect((await run('dir', '--resolve', 'loudest')).code).toBe(64);
    expect((await run('dir', '--node', 'x')).code).toBe(64);
    let help = '';
    const write = process.stdout.write;
    process.stdout.write = ((t: string) => ((help += t), true)) as typeof process.stdout.write;
    try {
      expect(await main(['import', '--help'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(help).toContain('Usage: multipath-exporter import <dir> [options]');
  });
});
