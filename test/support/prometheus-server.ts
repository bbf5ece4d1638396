// A real Prometheus on a free loopback port with a given config, for tests that check what it
// scrapes (TLS, auth, gzip). Waits until it is ready; fails with its log when it exits early.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnPrometheus } from '../../src/sim/prometheus.js';
import { freePort, type Managed, waitHttpReady } from '../../src/sim/processes.js';

export interface TestPrometheus {
  /** Base URL with a trailing slash. */
  url: string;
  proc: Managed;
}

export async function startPrometheus(workDir: string, configYaml: string): Promise<TestPrometheus> {
  await writeFile(join(workDir, 'prometheus.yml'), configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const proc = spawnPrometheus('prometheus', { configFile: join(workDir, 'prometheus.yml'), dataDir: join(workDir, 'data'), port });
  await waitHttpReady(`${url}-/ready`, { timeoutMs: 60_000, proc });
  return { url, proc };
}
