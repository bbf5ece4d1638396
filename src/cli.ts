// Command line: parse and validate arguments, then hand over to the I/O edges.
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import { z } from 'zod';
import { clusterDigest, DEFAULT_CONFIG_PATH, ListenAddress } from './common/core/config.js';
import { renderMetrics } from './scrape/core/metrics.js';
import { configStatusOf } from './common/core/status.js';
import { createCollector } from './scrape/io/collector.js';
import { nodeName, readConfigOrReport } from './common/io/config-file.js';
import { createLogger } from './common/io/log.js';
import { clientFor, stderrWarner } from './scrape/io/multipathd-client.js';
// Loaded eagerly: a bcrypt worker thread loads the bundle, and this module answers it there.
import './web/io/bcrypt-pool.js';

export const VERSION = process.env.MULTIPATH_EXPORTER_VERSION ?? '0.1.0-dev';

export const USAGE = `Usage: multipath-exporter [command] [options]

Exports dm-multipath (multipathd) health as Prometheus metrics and applies one
cluster-wide multipath configuration to this node.

Commands:
  serve          Serve /metrics, /healthz and a status page (default)
  check-config   Validate the config file; exit 1 on any error
  metrics        Collect once and print the metrics (node_exporter textfile format)
  plan           Show what apply would change; exit 0 nothing pending, 2 pending
  apply          Apply the cluster configuration once; non-zero if anything failed
  import         Write a config.yml from the nodes' existing multipath files (import --help)

Options:
  -c, --config <file>      Config file (default ${DEFAULT_CONFIG_PATH})
  -l, --listen <addr>      Listen address, overrides the config (default :10036)
      --web.config.file <file>
                           TLS and basic-auth config (Prometheus exporter-toolkit format)
  -V, --version            Print the version
  -h, --help               Print this help
`;

const COMMANDS = ['serve', 'check-config', 'metrics', 'plan', 'apply'] as const;

export const CliArgs = z.object({
  command: z.enum(COMMANDS, { message: `unknown command; expected one of ${COMMANDS.join(', ')}` }).default('serve'),
  config: z.string().min(1).default(DEFAULT_CONFIG_PATH),
  listen: ListenAddress.optional(),
  webConfigFile: z.string().min(1).optional(),
  version: z.boolean().default(false),
  help: z.boolean().default(false),
});
export type CliArgs = z.infer<typeof CliArgs>;

export function parseCli(argv: readonly string[]): { ok: true; args: CliArgs } | { ok: false; error: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        listen: { type: 'string', short: 'l' },
        'web.config.file': { type: 'string' },
        version: { type: 'boolean', short: 'V' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  if (parsed.positionals.length > 1) return { ok: false, error: `unexpected argument: ${parsed.positionals[1]}` };
  const result = CliArgs.safeParse({
    command: parsed.positionals[0],
    config: parsed.values.config,
    listen: parsed.values.listen,
    webConfigFile: parsed.values['web.config.file'],
    version: parsed.values.version,
    help: parsed.values.help,
  });
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return { ok: false, error: `${issue.path.join('.') || 'arguments'}: ${issue.message}` };
  }
  return { ok: true, args: result.data };
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'import') {
    const { runImportCommand } = await import('./adopt/io/import-cli.js');
    return runImportCommand(argv.slice(1));
  }
  const cli = parseCli(argv);
  if (!cli.ok) {
    process.stderr.write(`multipath-exporter: ${cli.error}\n\n${USAGE}`);
    return 64;
  }
  const args = cli.args;
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`multipath-exporter ${VERSION}\n`);
    return 0;
  }
  const log = createLogger();

  switch (args.command) {
    case 'check-config': {
      const loaded = await readConfigOrReport(args.config);
      if (!loaded) return 1;
      process.stdout.write(
        loaded.text === null
          ? `${args.config}: not found; built-in defaults apply (monitor only)\n`
          : `${args.config}: valid (cluster digest ${clusterDigest(loaded.config.cluster)}, ${loaded.config.cluster.luns.length} LUN(s), apply ${loaded.config.apply.enabled ? 'enabled' : 'disabled'})\n`,
      );
      return 0;
    }
    case 'metrics': {
      const loaded = await readConfigOrReport(args.config);
      if (!loaded) return 1;
      const config = loaded.config;
      const collector = createCollector({ client: () => clientFor(config, stderrWarner(log)), sysfsRoot: () => config.sysfsRoot, log });
      const snapshot = await collector.collect();
      process.stdout.write(renderMetrics({ snapshot, failures: collector.failures(), config, nodename: nodeName(config), version: VERSION, configStatus: configStatusOf(args.config, config) }));
      return 0;
    }
    case 'plan':
    case 'apply': {
      const { runApplyCommand, runPlanCommand } = await import('./apply/io/apply-cli.js');
      return args.command === 'plan' ? runPlanCommand(args.config) : runApplyCommand(args.config);
    }
    case 'serve': {
      const { serve } = await import('./serve.js');
      return serve({ configPath: args.config, listen: args.listen, webConfigFile: args.webConfigFile, log, version: VERSION });
    }
  }
}

/**
 * Resolves once everything written to stdout and stderr so far has reached the kernel. A pipe
 * takes 64 KiB at once and Node queues the rest; `process.exit` before this drops the queue.
 */
export function flushStdio(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): Promise<void> {
  // Writes complete in order, so an empty write's callback runs after every earlier one. A closed
  // reader (EPIPE) also ends the wait: there is nobody left to deliver to.
  return Promise.all(streams.map((s) => new Promise<void>((resolve) => (s.writableEnded || s.destroyed ? resolve() : s.write('', () => resolve()))))).then(() => undefined);
}

// Run when executed directly (tsx src/cli.ts, or the bundle), not when imported by tests, nor in
// the bcrypt worker threads that load the bundle (src/web/io/bcrypt-pool.ts).
const invokedDirectly = isMainThread && process.argv[1] !== undefined && /(?:cli\.ts|multipath-exporter(?:\.mjs)?)$/.test(process.argv[1]);
if (invokedDirectly) {
  // Exit explicitly, but only once the output is out: a stopped `serve` may still have an apply
  // child running (execa kills it on exit), and one-shot commands must not linger on open handles.
  const exit = (code: number) => void flushStdio().then(() => process.exit(code));
  main(process.argv.slice(2)).then(exit, (err: unknown) => {
    process.stderr.write(`multipath-exporter: ${err instanceof Error ? err.stack : String(err)}\n`);
    exit(70);
  });
}
