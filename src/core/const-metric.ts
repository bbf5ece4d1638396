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

export class ConstMetric {
  private readonly values: ConstValue[] = [];
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
  ) {}

  add(value: number, labels: LabelValues = NO_LABELS): this {
    this.values.push({ value, labels });
    return this;
  }

  /** Every member of `states` with `shared` labels, exactly one (`current`) at 1. */
  addStateSet(shared: LabelValues, stateLabel: string, states: readonly string[], current: string): this {
    for (const state of states) this.values.push({ value: state === current ? 1 : 0, labels: { [stateLabel]: state }, sharedLabels: shared });
    return this;
  }

  get size(): number {
    return this.values.length;
  }

  get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values };
  }

  /** Registers into `registry` unless empty (an empty metric would print a bare HELP/TYPE). */
  registerIn(registry: Registry): void {
    if (this.values.length > 0) registry.registerMetric(this as unknown as Metric);
  }
}
