import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config, defaultConfig } from '../../../src/common/core/config.js';
import { nodeName, readConfigFile, readConfigOrReport } from '../../../src/common/io/config-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mpe-config-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readConfigFile', () => {
  it('a valid file: the config and its text', async () => {
    const file = join(dir, 'good.yml');
    const text = 'node: pve1\ncluster:\n  luns:\n    - { wwid: 3600a, alias: a }\n';
    await writeFile(file, text);
    const r = await readConfigFile(file);
    expect(r.ok && r.text).toBe(text);
    expect(r.ok && r.config.cluster.luns.map((l) => l.alias)).toEqual(['a']);
  });

  it('a missing file: the built-in defaults, text null', async () => {
    expect(await readConfigFile(join(dir, 'absent.yml'))).toEqual({ ok: true, config: defaultConfig(), text: null });
  });

  it.each(['', '  \n\n'])('an empty file (%j) is invalid, not the defaults: it may be a write in progress', async (text) => {
    const file = join(dir, 'empty.yml');
    await writeFile(file, text);
    expect(await readConfigFile(file)).toEqual({ ok: false, errors: [expect.stringMatching(new RegExp(`^${file}: empty config file`))] });
  });

  it('an invalid file: errors with file, line and YAML path', async () => {
    const file = join(dir, 'bad.yml');
    await writeFile(file, 'cluster:\n  defaults:\n    failback: sometimes\n');
    const r = await readConfigFile(file);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(new RegExp(`^${file}: line 3: cluster\\.defaults\\.failback: `));
  });

  it('a directory is an error, not the defaults', async () => {
    const r = await readConfigFile(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(new RegExp(`^${dir}: cannot read: EISDIR`));
  });
});

describe('readConfigOrReport', () => {
  it('prints every error, one per line, and returns undefined', async () => {
    const file = join(dir, 'two-errors.yml');
    await writeFile(file, 'cluster:\n  defaults:\n    failback: sometimes\n    no_path_retry: often\n');
    const printed: string[] = [];
    expect(await readConfigOrReport(file, (t) => printed.push(t))).toBeUndefined();
    expect(printed).toHaveLength(1);
    const lines = printed[0]!.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).sort()).toEqual([expect.stringMatching(/line 3: cluster\.defaults\.failback/), expect.stringMatching(/line 4: cluster\.defaults\.no_path_retry/)]);
  });

  it('returns the config silently when valid', async () => {
    const printed: string[] = [];
    const r = await readConfigOrReport(join(dir, 'absent.yml'), (t) => printed.push(t));
    expect(r?.config).toEqual(defaultConfig());
    expect(printed).toEqual([]);
  });
});

describe('nodeName', () => {
  it('the config node, else the short host name', () => {
    expect(nodeName(Config.parse({ node: 'pve7' }))).toBe('pve7');
    expect(nodeName(Config.parse({}))).toBe(hostname().split('.')[0]);
  });
});
