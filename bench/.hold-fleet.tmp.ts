import { createServer } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '/work/wt/rules/src/common/core/config.js';
import { renderMetricsBytes } from '/work/wt/rules/src/scrape/core/metrics.js';
import { generatedMaps, mapsReply, statusReply } from '/work/wt/rules/src/sim/maps-reply.js';
import { NO_FAILURES, snapshotOfReply } from '/work/wt/rules/test/support/scrape.js';
import { execa } from 'execa';
const [nodes, luns] = process.argv.slice(2).map(Number) as [number, number];
const maps = generatedMaps(luns, 4);
const snapshot = snapshotOfReply(mapsReply(maps), { status: statusReply(maps) });
const names = Array.from({ length: nodes }, (_, i) => `node-${i}`);
const cluster = { nodes: names, luns: maps.map((m, i) => ({ wwid: m.wwid, alias: `lun-${i}`, paths: 4 })) };
const ex = names.map((node) => renderMetricsBytes({ snapshot, failures: NO_FAILURES, config: Config.parse({ node, cluster }), nodename: node, version: 'b' }));
const port = 19555;
createServer((req, res) => { const n = Number(/node=node-(\d+)/.exec(req.url!)![1]); res.end(ex[n]); }).listen(port, '127.0.0.1');
const work = await mkdtemp(join(tmpdir(), 'hold-'));
await writeFile(join(work, 'p.yml'), `global: {scrape_interval: 30s, evaluation_interval: 30s}
scrape_configs:
  - job_name: multipath
    static_configs: [{ targets: [${names.map((n) => `'${n}'`).join(',')}] }]
    relabel_configs:
      - { source_labels: [__address__], target_label: node }
      - { source_labels: [__address__], target_label: __param_node }
      - { source_labels: [__address__], target_label: instance, replacement: '$1:10036' }
      - { target_label: __address__, replacement: '127.0.0.1:${port}' }
`);
console.log(work);
await execa('/usr/bin/prometheus', [`--config.file=${work}/p.yml`, `--storage.tsdb.path=${work}/data`, '--web.listen-address=127.0.0.1:19556', '--web.enable-lifecycle', '--log.level=warn'], { stdio: 'inherit' });
