// Pure transforms of the shipped files for the simulated cluster (end-to-end test and demo), so
// they run against the very rules, routes and scrape job we ship, never a hand-kept copy
// (docs/demo.md):
// - shortenAlertRules: every alert's `for:` divided by a factor (then clamped to [min, max]);
//   expressions, labels, annotations and recording rules are left untouched, so the relative
//   order of the `for:`s (which the inhibitions rely on) is kept.
// - alertmanagerForSim: every webhook URL points at the harness (`<base>/<receiver name>`, so a
//   notification says which route it took) and the route timers are short.
// - prometheusForSim: the shipped scrape job (examples/prometheus.yml when present) with the
//   simulated nodes as static targets, each carrying its `node` label, plus the rule files and the
//   Alertmanager, or (one Prometheus per cluster) the `cluster` external label and a remote write.
import { parse, stringify } from 'yaml';
import { formatDuration, parseDurationMs } from '../common/core/duration.js';

/** Milliseconds of a rule file's duration (`10m`, `1h30m`); throws on anything else. */
export function ruleDurationMs(d: string): number {
  const ms = parseDurationMs(String(d));
  if (ms === undefined) throw new Error(`not a Prometheus duration: ${JSON.stringify(d)}`);
  return ms;
}

export interface ShortenOptions {
  /** `for:` is divided by this (e.g. 30: 10m -> 20s). */
  factor: number;
  /** Lower bound of a shortened non-zero `for:` (default 1s). */
  minMs?: number;
  /** Upper bound (default none). */
  maxMs?: number;
}

interface RuleGroupFile {
  groups?: { name: string; rules?: Record<string, unknown>[]; [k: string]: unknown }[];
}

/** The shortened `for:` of one alert (pure arithmetic, exported for the docs' table and tests). */
export function shortenDuration(d: string, opts: ShortenOptions): string {
  if (!(opts.factor >= 1)) throw new Error(`factor must be >= 1, got ${opts.factor}`);
  const ms = ruleDurationMs(d);
  if (ms === 0) return '0s';
  let out = Math.round(ms / opts.factor);
  out = Math.max(out, opts.minMs ?? 1000);
  if (opts.maxMs !== undefined) out = Math.min(out, opts.maxMs);
  return formatDuration(out);
}

/** The alerting rule file with every `for:` shortened; throws when it has no alert at all. */
export function shortenAlertRules(text: string, opts: ShortenOptions): string {
  const doc = parse(text) as RuleGroupFile;
  let alerts = 0;
  for (const group of doc.groups ?? []) {
    for (const rule of group.rules ?? []) {
      if (typeof rule.alert !== 'string') continue;
      alerts++;
      if (typeof rule.for === 'string') rule.for = shortenDuration(rule.for, opts);
    }
  }
  if (alerts === 0) throw new Error('no alerting rule found');
  return `# Generated from the shipped rules: for: divided by ${opts.factor} (src/sim/transform-rules.ts).\n${stringify(doc, { lineWidth: 0 })}`;
}

export interface AlertmanagerSimOptions {
  /** Base URL of the harness' webhook; each receiver posts to `<base>/<receiver name>`. */
  webhookBase: string;
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
}

interface Route {
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
  [k: string]: unknown;
}

/**
 * The Alertmanager config with every webhook URL replaced and the route timers shortened (on the
 * root route and on every sub-route that sets its own). Routing, grouping and inhibitions stay as
 * shipped. Throws when no receiver has a webhook (the harness could not observe anything).
 */
export function alertmanagerForSim(text: string, opts: AlertmanagerSimOptions): string {
  const doc = parse(text) as { route?: Route; receivers?: { name: string; webhook_configs?: { url?: string }[] }[] };
  if (!doc.route) throw new Error('Alertmanager config without a route');
  let hooks = 0;
  for (const receiver of doc.receivers ?? []) {
    for (const hook of receiver.webhook_configs ?? []) {
      hook.url = `${opts.webhookBase.replace(/\/$/, '')}/${encodeURIComponent(receiver.name)}`;
      hooks++;
    }
  }
  if (hooks === 0) throw new Error('Alertmanager config without any webhook receiver');
  const timers = (route: Route, root: boolean): void => {
    if (root || route.group_wait !== undefined) route.group_wait = opts.groupWait;
    if (root || route.group_interval !== undefined) route.group_interval = opts.groupInterval;
    if (root || route.repeat_interval !== undefined) route.repeat_interval = opts.repeatInterval;
    for (const child of route.routes ?? []) timers(child, false);
  };
  timers(doc.route, true);
  return `# Generated from the shipped Alertmanager example (src/sim/transform-rules.ts).\n${stringify(doc, { lineWidth: 0 })}`;
}

export interface PrometheusSimOptions {
  /** Text of examples/prometheus.yml, when it exists: its `multipath` job is the template. */
  example?: string;
  targets: { node: string; address: string }[];
  /** Rule files Prometheus evaluates (none when a global ruler evaluates them). */
  ruleFiles?: string[];
  /** host:port of the Alertmanager, or of every replica of an Alertmanager cluster (none: no alerting). */
  alertmanager?: string | string[];
  /** `cluster` target label (as the shipped example sets one). */
  cluster?: string;
  /** `global.external_labels` (one Prometheus per cluster sets `cluster` here instead). */
  externalLabels?: Record<string, string>;
  /** Remote-write URL (for instance VictoriaMetrics' /api/v1/write). */
  remoteWrite?: string;
  scrapeInterval: string;
  evaluationInterval: string;
}

const SD_KEYS = /_sd_configs$|^static_configs$/;

/**
 * prometheus.yml for the simulation: the shipped `multipath` job (its relabelling kept as shipped,
 * which derives `node` from the address only when a target has none) with static targets on
 * 127.0.0.1 labelled `node=<name>` (and `cluster`), short intervals, our rule files and the
 * Alertmanager.
 */
export function prometheusForSim(opts: PrometheusSimOptions): string {
  let job: Record<string, unknown> = { job_name: 'multipath' };
  if (opts.example) {
    const ex = parse(opts.example) as { scrape_configs?: Record<string, unknown>[] };
    const shipped = ex.scrape_configs?.find((j) => j.job_name === 'multipath');
    if (!shipped) throw new Error('examples/prometheus.yml has no job_name: multipath');
    job = Object.fromEntries(Object.entries(shipped).filter(([k]) => !SD_KEYS.test(k)));
  }
  job.scrape_interval = opts.scrapeInterval;
  job.scrape_timeout = opts.scrapeInterval;
  job.static_configs = opts.targets.map((t) => ({
    targets: [t.address],
    labels: { node: t.node, ...(opts.cluster ? { cluster: opts.cluster } : {}) },
  }));
  const config = {
    global: {
      scrape_interval: opts.scrapeInterval,
      evaluation_interval: opts.evaluationInterval,
      ...(opts.externalLabels ? { external_labels: opts.externalLabels } : {}),
    },
    ...(opts.ruleFiles?.length ? { rule_files: opts.ruleFiles } : {}),
    ...(opts.alertmanager?.length ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [opts.alertmanager].flat() }] }] } } : {}),
    ...(opts.remoteWrite ? { remote_write: [{ url: opts.remoteWrite, queue_config: { batch_send_deadline: '1s' } }] } : {}),
    scrape_configs: [job],
  };
  return `# Generated for the simulated cluster (src/sim/transform-rules.ts).\n${stringify(config, { lineWidth: 0 })}`;
}
