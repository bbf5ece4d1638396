// A read-only metric for prom-client registries: values are appended once from a snapshot and
// never mutated (the TypeScript twin of Go's MustNewConstMetric). It skips prom-client's per-set()
// label hashing, and label sets shared by a state set are passed as `sharedLabels`, which
// prom-client formats once per object.
import type { Metric, Registry } from 'prom-client';

export type LabelValues = Record<string, string | number>;

interface ConstValue {
  value: number;
  labels: LabelValues;
  sharedLabels?: LabelValues;
}

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
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
  ) {}

  add(value: number, labels: LabelValues = NO_LABELS): this {
    this.numbers.push(value);
    this.labelSets.push(labels);
    this.sharedSets.push(undefined);
    return this;
  }

  /** Every member of `states` with `shared` labels, exactly one (`current`) at 1. */
  addStateSet(shared: LabelValues, stateLabel: string, states: readonly string[], current: string): this {
    for (const state of states) {
      this.numbers.push(state === current ? 1 : 0);
      this.labelSets.push(stateLabels(stateLabel, state));
      this.sharedSets.push(shared);
    }
    return this;
  }

  get size(): number {
    return this.numbers.length;
  }

  /** Visits every series without allocating (the fast exposition writer). */
  forEachSeries(visit: (value: number, labels: LabelValues, shared: LabelValues | undefined) => void): void {
    for (let i = 0; i < this.numbers.length; i++) visit(this.numbers[i]!, this.labelSets[i]!, this.sharedSets[i]);
  }

  /** prom-client's metric interface (Registry.metrics() calls it). */
  get() {
    const values: ConstValue[] = this.numbers.map((value, i) => {
      const sharedLabels = this.sharedSets[i];
      return sharedLabels ? { value, labels: this.labelSets[i]!, sharedLabels } : { value, labels: this.labelSets[i]! };
    });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Registers into `registry` unless empty (an empty metric would print a bare HELP/TYPE). */
  registerIn(registry: Registry): void {
    if (this.numbers.length > 0) registry.registerMetric(this as unknown as Metric);
  }
}
