// `multipath-exporter serve` as a process: it listens before the first apply pass finishes, serves
// the config in force, and stops promptly on SIGTERM even while an apply operation hangs.
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderDropIns } from '../src/apply/core/render-config.js';
import { parseConfigText } from '../src/common/core/config-text.js';
import { type FakeMultipathd, startFakeMultipathd } from '../src/sim/fake-multipathd.js';
import { freePort } from '../src/sim/processes.js';
import { multipathdFixture } from './support/fixtures.js';
import { samples } from './support/scrape.js';

let dir: string;
let fake: FakeMultipathd;


beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mpe-serve-'));
  fake = await startFakeMultipathd({
    socket: `@mpe-serve-${process.pid}`,
    respond: (c) => (c === 'show daemon' ? 'pid 3 idle\n' : multipathdFixture('iscsi-2paths-one-faulty.json')),
  });
});
afterAll(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('serve', () => {
  it('answers /metrics while the first apply pass hangs, and stops promptly on SIGTERM', async () => {
    const hangingMultipath = join(dir, 'multipath');
    await writeFile(hangingMultipath, '#!/bin/sh\nexec sleep 120\n');
    await chmod(hangingMultipath, 0o755);
    await mkdir(join(dir, 'conf.d'));
    await writeFile(join(dir, 'wwids'), '');
    const port = await freePort();
    const config = join(dir, 'config.yml');
    await writeFile(
      config,
      `node: pve1
listen: "127.0.0.1:${port}"
multipathd: { transport: socket, socket: "${fake.socket}" }
apply: { enabled: true, confDir: ${dir}/conf.d, wwidsFile: ${dir}/wwids, stateDir: ${dir}/state, multipath: [${hangingMultipath}] }
cluster:
  nodes: [pve1]
  luns: [{ wwid: 36001405a3f9c2e7d1b84c0e9d2f6a7b1, alias: san-a, paths: 2 }]
`,
    );
    const child = execa('node', ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', config], { reject: false, all: true });
    try {
      let text = '';
      for (let i = 0; i < 200 && !text; i++) {
        text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => (r.ok ? r.text() : ''), () => '');
        if (!text) await new Promise((r) => setTimeout(r, 100));
      }
      const s = samples(text);
      expect(s.get('multipath_up')).toBe(1);
      expect(s.get('multipath_map_expected{wwid="36001405a3f9c2e7d1b84c0e9d2f6a7b1"}')).toBe(1);
      expect(s.get('multipath_config_apply_enabled')).toBe(1);
      // The pass is stuck in `multipath -a`: no apply result yet, but the drop-ins are written.
      expect(s.has('multipath_config_apply_success')).toBe(false);
      const parsed = parseConfigText(await readFile(config, 'utf8'), config);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      const expected = renderDropIns(parsed.config, config).filter((d) => d.content !== null);
      expect(expected.map((d) => d.fileName)).toEqual(['multipath-exporter-10-defaults.conf', 'multipath-exporter-20-multipaths.conf']);
      await vi.waitFor(async () => expect((await readdir(join(dir, 'conf.d'))).sort()).toEqual(expected.map((d) => d.fileName)), { timeout: 20_000, interval: 100 });
      for (const d of expected) expect(await readFile(join(dir, 'conf.d', d.fileName), 'utf8')).toBe(d.content);
      const metricsWhileStuck = samples(await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()));
      expect(metricsWhileStuck.has('multipath_config_apply_success')).toBe(false);
      const stopped = Date.now();
      child.kill('SIGTERM');
      const result = await child;
      expect(Date.now() - stopped).toBeLessThan(10_000);
      expect({ exitCode: result.exitCode, signal: result.signal }, result.all).toEqual({ exitCode: 0, signal: undefined });
      expect(result.all).toMatch(/level=info msg=listening url=http:\/\/127\.0\.0\.1:\d+\/ node=pve1/);
      expect(result.all).toMatch(/level=info msg=stopping signal=SIGTERM/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
