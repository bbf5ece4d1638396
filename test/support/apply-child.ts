// Child process for the SIGKILL atomicity test: applies config A, then B, then A ... forever,
// printing "ready" after the first pass. argv: <configA.json> <configB.json> (validated Config
// objects, so the child starts fast). Bundled with esbuild by the test.
import { readFileSync } from 'node:fs';
import type { Config } from '../../src/common/core/config.js';
import { applyOnce } from '../../src/apply/io/apply.js';

const configs = process.argv.slice(2, 4).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Config);
const deps = {
  multipathdCommand: async (): Promise<string> => {
    throw new Error('no daemon');
  },
  mapUsage: async () => ({ ok: true as const, mounted: new Map<string, string>(), held: new Map<string, string>() }),
};
let i = 0;
for (;;) {
  const report = await applyOnce(configs[i % 2]!, '/etc/multipath-exporter/config.yml', deps);
  if (!report.success) {
    console.error(report.errors.join('\n'));
    process.exit(3);
  }
  if (i === 0) console.log('ready');
  i++;
}
