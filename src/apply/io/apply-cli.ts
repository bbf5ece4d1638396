// `multipath-exporter plan` and `multipath-exporter apply`: the handlers src/cli.ts calls.
import { formatPlan, planIsEmpty } from '../core/apply-plan.js';
import { applyOnce, planOnce, type ApplyDeps } from './apply.js';
import { readConfigOrReport } from '../../common/io/config-file.js';

export interface CliIo {
  out?: (text: string) => void;
  err?: (text: string) => void;
  deps?: ApplyDeps;
}

const stdout = (text: string): void => void process.stdout.write(text);
const stderr = (text: string): void => void process.stderr.write(text);

/** The output functions and the validated config, or undefined after reporting why it is unusable. */
async function prepare(configPath: string, io: CliIo) {
  const out = io.out ?? stdout;
  const err = io.err ?? stderr;
  const read = await readConfigOrReport(configPath, err);
  return read && { out, err, config: read.config };
}

/** Prints what `apply` would change. Exit 0: nothing pending; 2: something pending; 1: config or read error. */
export async function runPlanCommand(configPath: string, io: CliIo = {}): Promise<number> {
  const ready = await prepare(configPath, io);
  if (!ready) return 1;
  const { out, err, config } = ready;
  try {
    const result = await planOnce(config, configPath, io.deps);
    if (!config.apply.enabled) {
      err(`note: apply.enabled is false in ${configPath}: the exporter only monitors; this is what apply would change once enabled\n`);
    }
    for (const line of result.errors) err(`warning: ${line}\n`);
    out(formatPlan(result.plan));
    return planIsEmpty(result.plan) ? 0 : 2;
  } catch (e) {
    err(`plan failed: ${(e as Error).message}\n`);
    return 1;
  }
}

/** One apply pass. Exit 0 when every operation succeeded, 1 otherwise (or when apply is disabled). */
export async function runApplyCommand(configPath: string, io: CliIo = {}): Promise<number> {
  const ready = await prepare(configPath, io);
  if (!ready) return 1;
  const { out, err, config } = ready;
  if (!config.apply.enabled) {
    err(`apply.enabled is false in ${configPath}: nothing written (set apply.enabled: true to let this node apply the cluster config)\n`);
    return 1;
  }
  const report = await applyOnce(config, configPath, io.deps);
  for (const line of report.changes) out(`${line}\n`);
  for (const line of report.refused) out(`kept WWID ${line}\n`);
  if (!report.changed && report.errors.length === 0) out('nothing to change\n');
  for (const line of report.errors) err(`error: ${line}\n`);
  return report.success ? 0 : 1;
}
