// npm run series: the series a real scrape exports (docs/metrics.md, "Cardinality"), per level of
// the contract, for the benchmark's generated replies (N maps x 4 paths in 2 groups, every path
// healthy) served by the fake multipathd: the exporter of this tree (or of `--root <dir>`, a
// checkout of another version) runs as `serve` and is scraped once over HTTP per size.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startFakeMultipathd } from '../src/sim/fake-multipathd.js';
import { generatedMaps, mapsReply, statusReply } from '../src/sim/maps-reply.js';
import { freePort, waitFor } from '../src/sim/processes.js';
import { countSeries } from '../test/support/series-count.js';

const SIZES = (process.env.SERIES_SIZES ?? '10,100,1000,5000').split(',').map(Number);
const rootFlag = process.argv.indexOf('--root');
const root = rootFlag > 0 ? process.argv[rootFlag + 1]! : process.cwd();

const dir = await mkdtemp(join(tmpdir(), 'mpe-series-'));
try {
  console.log(`exporter of ${root}\n`);
  console.log('| maps | paths | series | per map (worst) | per path group (worst) | per path (worst) | other |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const size of SIZES) {
    const maps = generatedMaps(size, 4);
    const reply = mapsReply(maps);
    const status = statusReply(maps);
    const fake = await startFakeMultipathd({
      socket: `@mpe-series-${process.pid}-${size}`,
      respond: (c) => (c === 'show daemon' ? 'pid 1 idle\n' : c === 'show status' ? status : reply),
    });
    const port = await freePort();
    const config = join(dir, `series-${size}.yml`);
    await writeFile(config, `node: bench\nlisten: "127.0.0.1:${port}"\nmultipathd: { transport: socket, socket: "${fake.socket}", timeout: 60s }\n`);
    const child = execa('node', ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', config], { cwd: root, reject: false, stdout: 'ignore', stderr: 'pipe' });
    try {
      const text = await waitFor(`${size} maps scraped`, { timeoutMs: 120_000 }, () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => (r.ok ? r.text() : ''), () => ''), (t) => /^multipath_up 1$/m.test(t));
      const c = countSeries(text);
      const per = (n: number, of: number, worst: number) => `${of ? (n / of).toFixed(0) : 0} (${worst})`;
      console.log(
        `| ${size} | ${size * 4} | ${c.total} | ${per(c.byLevel.map, c.objects.map, c.worst.map)} | ${per(c.byLevel.group, c.objects.group, c.worst.group)} | ${per(c.byLevel.path, c.objects.path, c.worst.path)} | ${c.byLevel.head} |`,
      );
    } finally {
      child.kill('SIGTERM');
      await child;
      await fake.close();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
