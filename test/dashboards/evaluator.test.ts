// The live-Prometheus evaluator of test/support/dashboard-queries.ts (used by the end-to-end tests)
// against a real Prometheus (Debian `prometheus`, scripts/install-deps.sh) with an empty TSDB.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusEvaluator } from '../support/dashboard-queries.js';
import { freePort } from '../../src/sim/processes.js';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';


describe('prometheusEvaluator against a real Prometheus', () => {
  let dir = '';
  let url = '';
  let proc: ResultPromise | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dashboard-prom-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await writeFile(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\nscrape_configs: []\n');
    proc = execa(PROMETHEUS, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ], { reject: false, all: true });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null && proc.exitCode !== undefined) throw new Error(`prometheus exited: ${(await proc).all}`);
      try {
        if ((await fetch(`${url}/-/ready`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('prometheus did not become ready in 60s');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    if (proc?.pid) {
      proc.kill('SIGTERM');
      await proc;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('returns vectors with labels, scalars, empty results and query errors', async () => {
    const evaluate = prometheusEvaluator(url);
    const [vec, scalar, empty, bad] = await evaluate([
      { expr: 'label_replace(vector(3), "lun", "san-a-lun0 · 3600a", "", "")' },
      { expr: 'scalar(vector(2))' },
      { expr: 'multipath_no_such_metric' },
      { expr: 'sum(up) by (' },
    ]);
    expect(vec).toEqual({ samples: [{ labels: { lun: 'san-a-lun0 · 3600a' }, value: 3 }] });
    expect(scalar).toEqual({ samples: [{ labels: {}, value: 2 }] });
    expect(empty).toEqual({ samples: [] });
    expect(bad!.error).toMatch(/parse error/);
  });
});
