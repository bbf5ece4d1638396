// A read-only metric of one scrape: values are appended once from a snapshot and never mutated
// (the TypeScript twin of Go's MustNewConstMetric). Name, type and help come from its declared
// family (metric-families.ts). Label sets shared by a state set are passed as `sharedLabels`, so
// the exposition writer formats them once per object.
import type { MetricFamily } from './metric-families.js';

export type LabelValues = Record<string, string | number>;

const NO_LABELS: LabelValues = Object.freeze({}) as LabelValues;

/** One frozen `{ [label]: state }` object per state, shared by every series of that state. */
const stateLabelCache = new Map<string, LabelValues>();
function stateLabels(label: string, state: string): LabelValues {
  const key = `${label}\0${state}`;
  let labels = stateLabelCache.get(key);
  if (!labels) {
    labels = Object.freeze({ [label]: state }) as LabelValues;
    stateLabelCache.set(key, labels);
  }
  return labels;
}

export class ConstMetric {
  // Parallel arrays instead of one object per series: a big scrape has ~100k series, and the
  // allocation (and GC) of per-series objects dominated the scrape time.
  private readonly numbers: number[] = [];
  private readonly labelSets: LabelValues[] = [];
  private readonly sharedSets: (LabelValues | undefined)[] = [];

  constructor(readonly family: MetricFamily) {}

  get name(): string {
    return this.family.name;
  }

  add(value: number, labels: LabelValues = NO_LABELS): this {
    this.numbers.push(value);
    this.labelSets.push(labels);
    this.sharedSets.push(undefined);
    return this;
  }

  /** Every member of the family's state set with `shared` labels, exactly one (`current`) at 1. */
  addStateSet(shared: LabelValues, current: string): this {
    const states = this.family.states;
    if (!states) throw new Error(`${this.family.name} is not a state set`);
    for (const state of states.values) {
      this.numbers.push(state === current ? 1 : 0);
      this.labelSets.push(stateLabels(states.label, state));
      this.sharedSets.push(shared);
    }
    return this;
  }

  get size(): number {
    return this.numbers.length;
  }

  /** Visits every series without allocating (the exposition writer). */
  forEachSeries(visit: (value: number, labels: LabelValues, shared: LabelValues | undefined) => void): void {
    for (let i = 0; i < this.numbers.length; i++) visit(this.numbers[i]!, this.labelSets[i]!, this.sharedSets[i]);
  }
}

export type MetricsOf<F extends Record<string, MetricFamily>> = { readonly [K in keyof F]: ConstMetric };

/** One empty ConstMetric per family of `families`, keyed like it (declaration order kept). */
export function metricsOf<F extends Record<string, MetricFamily>>(families: F): MetricsOf<F> {
  return Object.fromEntries(Object.entries(families).map(([key, family]) => [key, new ConstMetric(family)])) as MetricsOf<F>;
}
