// A panel's data path through Grafana's own code (@grafana/data): query results become data frames
// the way Grafana's Prometheus datasource shapes them (one frame per series, the value field carrying
// the labels; `format: table` queries merged into one table frame per refId with a Time column, one
// column per label and `Value` or `Value #<refId>`), then the panel's transformations, field config,
// overrides and value mappings are applied by @grafana/data itself, and each cell is read back as
// the text and colour Grafana displays.
import { createRequire } from 'node:module';
import type * as GrafanaData from '@grafana/data';
import type { DataFrame, Field, FieldConfig, GrafanaTheme2 } from '@grafana/data';
import type { GrafanaPanel, Sample } from './dashboard-queries.js';
import { tableRows } from './metrics-doc.js';

// The ESM build of @grafana/data does not load in Node; its CJS build does.
const require = createRequire(import.meta.url);
export const grafanaData = require('@grafana/data') as typeof GrafanaData;
const { firstValueFrom } = require('rxjs') as typeof import('rxjs');

const g = grafanaData;
// The browser globals @grafana/data reads: `window` (is it inside Grafana's scenes app?) and, for
// date formats, `navigator.language`. Node 20 has neither.
(globalThis as { window?: object }).window ??= {};
if (!('navigator' in globalThis)) Object.assign(globalThis, { navigator: { language: 'en-US', languages: ['en-US'] } });
// The registry Grafana fills at start-up; `standardTransformers` lists some transformers twice.
const transformers = [...new Map(Object.values(g.standardTransformers).map((t) => [t.id, t])).values()];
g.standardTransformersRegistry.setInit(() => transformers.map((t) => ({ id: t.id, aliasIds: t.aliasIds, transformation: () => Promise.resolve(t), name: t.name, description: t.description ?? '', editor: () => null, imageDark: '', imageLight: '' })) as never);

/**
 * Grafana's standard field options (unit, decimals, mappings, thresholds, ...) live in the app, not
 * in @grafana/data: registered here with the override processors @grafana/data exports and the
 * defaults the app gives them (thresholds green, red from 80), so a panel without its own
 * thresholds gets Grafana's colours, not none.
 */
const number = (f: Field) => f.type === g.FieldType.number;
const standardOptions: [id: string, process: (v: never, ctx: never, s: never) => unknown, shouldApply: (f: Field) => boolean, defaultValue?: unknown][] = [
  ['unit', g.stringOverrideProcessor, () => true],
  ['min', g.numberOverrideProcessor, number],
  ['max', g.numberOverrideProcessor, number],
  ['decimals', g.numberOverrideProcessor, number],
  ['displayName', g.displayNameOverrideProcessor, () => true],
  ['color', g.identityOverrideProcessor, () => true],
  ['noValue', g.stringOverrideProcessor, () => true],
  ['links', g.dataLinksOverrideProcessor, () => true],
  ['mappings', g.valueMappingsOverrideProcessor, (f) => f.type !== g.FieldType.time, []],
  ['thresholds', g.thresholdsOverrideProcessor, () => true, { mode: 'absolute', steps: [{ value: -Infinity, color: 'green' }, { value: 80, color: 'red' }] }],
];
g.standardFieldConfigEditorRegistry.setInit(() =>
  standardOptions.map(([id, process, shouldApply, defaultValue]) => ({ id, path: id, name: id, editor: () => null, override: () => null, process, shouldApply, defaultValue, settings: {} })) as never,
);

/** Grafana's dark theme, the one the dashboard is drawn in. */
export const darkTheme: GrafanaTheme2 = g.createTheme({ colors: { mode: 'dark' } });

/** The frames Grafana's Prometheus datasource makes of one query's instant results. */
export function seriesFrames(refId: string, samples: Sample[], timeMs: number, legendFormat = ''): DataFrame[] {
  return samples.map((s) => {
    const { __name__: name, ...labels } = s.labels;
    const legend = legendFormat ? legendFormat.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, l: string) => labels[l] ?? '') : undefined;
    return {
      refId,
      name: name,
      length: 1,
      fields: [
        { name: 'Time', type: g.FieldType.time, config: {}, values: [timeMs] },
        { name: 'Value', type: g.FieldType.number, config: legend ? { displayNameFromDS: legend } : {}, values: [s.value], labels: name ? { __name__: name, ...labels } : labels },
      ],
    } satisfies DataFrame;
  });
}

/**
 * The datasource's `format: table` step: one frame per refId, Time, the labels sorted by name, and
 * `Value` (`Value #<refId>` when the panel has several queries); a label a series lacks is ''.
 */
export function tableFrames(frames: DataFrame[]): DataFrame[] {
  const refIds = [...new Set(frames.map((f) => f.refId ?? ''))];
  return refIds.map((refId) => {
    const own = frames.filter((f) => (f.refId ?? '') === refId);
    const labelNames = [...new Set(own.flatMap((f) => Object.keys(f.fields[1]?.labels ?? {})))].sort();
    const time: number[] = [];
    const values: number[] = [];
    const labels = labelNames.map(() => [] as string[]);
    for (const f of own) {
      time.push(...(f.fields[0]!.values as number[]));
      for (const v of f.fields[1]!.values as number[]) {
        values.push(v);
        labelNames.forEach((l, i) => labels[i]!.push(f.fields[1]!.labels?.[l] ?? ''));
      }
    }
    return {
      refId,
      length: time.length,
      fields: [
        { name: 'Time', type: g.FieldType.time, config: {}, values: time },
        ...labelNames.map((name, i) => ({ name, type: g.FieldType.string, config: { filterable: true }, values: labels[i]! })),
        { name: refIds.length > 1 ? `Value #${refId}` : 'Value', type: g.FieldType.number, config: {}, values },
      ],
    } satisfies DataFrame;
  });
}

/**
 * The field config registry of a panel plugin: Grafana's standard options, and each `custom.*`
 * option the panel sets (the panel plugins register their own; an unregistered option is dropped
 * by applyFieldOverrides, which would hide a typo here, so every one the panel names is registered).
 */
function fieldConfigRegistry(panel: GrafanaPanel) {
  const custom = new Set<string>();
  for (const k of Object.keys((panel.fieldConfig?.defaults?.custom as object | undefined) ?? {})) custom.add(k);
  for (const o of panel.fieldConfig?.overrides ?? []) for (const p of o.properties) if (p.id.startsWith('custom.')) custom.add(p.id.slice('custom.'.length));
  return g.createFieldConfigRegistry(
    {
      useCustomConfig: (builder) => {
        for (const id of custom) builder.addCustomEditor({ id, path: id, name: id, editor: () => null, override: () => null, process: g.identityOverrideProcessor, shouldApply: () => true });
      },
    },
    panel.type,
  );
}

/**
 * Runs the panel's transformations and field config on the frames of its queries, as Grafana does;
 * `results` keyed "<panel title>/<refId>" (checkDashboardQueries' results).
 */
export async function panelFrames(panel: GrafanaPanel, results: Map<string, Sample[]>, timeMs: number): Promise<DataFrame[]> {
  const series: DataFrame[] = [];
  const tables: DataFrame[] = [];
  for (const t of panel.targets ?? []) {
    const frames = seriesFrames(t.refId, results.get(`${panel.title}/${t.refId}`) ?? [], timeMs, t.legendFormat);
    (t.format === 'table' ? tables : series).push(...frames);
  }
  const input = [...series, ...tableFrames(tables)];
  const transformations = (panel.transformations ?? []).map((t) => ({ id: t.id, options: t.options ?? {} }));
  const transformed = transformations.length ? await firstValueFrom(g.transformDataFrame(transformations, input)) : input;
  return g.applyFieldOverrides({
    data: transformed,
    fieldConfig: { defaults: (panel.fieldConfig?.defaults ?? {}) as FieldConfig, overrides: (panel.fieldConfig?.overrides ?? []) as never },
    fieldConfigRegistry: fieldConfigRegistry(panel),
    replaceVariables: (s: string) => s,
    theme: darkTheme,
    timeZone: 'utc',
  });
}

/** What a person sees in one cell: Grafana's display text and colour (a CSS colour of the theme). */
export interface Cell {
  text: string;
  color: string | undefined;
}

export function displayCell(field: Field, row: number): Cell {
  const d = field.display!(field.values[row]);
  return { text: g.formattedValueToString(d), color: d.color };
}

/** The display name Grafana shows for a field (column header, series name). */
export const displayName = (field: Field, frame: DataFrame, frames: DataFrame[]) => g.getFieldDisplayName(field, frame, frames);

/** A frame as rows of displayed cells, keyed by the column headers Grafana shows; hidden columns left out. */
export function displayedTable(frame: DataFrame, frames: DataFrame[] = [frame]): { columns: string[]; rows: Record<string, Cell>[] } {
  const shown = frame.fields.filter((f) => !(f.config.custom as { hidden?: boolean } | undefined)?.hidden);
  const columns = shown.map((f) => displayName(f, frame, frames));
  const rows: Record<string, Cell>[] = [];
  for (let r = 0; r < frame.length; r++) rows.push(Object.fromEntries(shown.map((f, i) => [columns[i]!, displayCell(f, r)])));
  return { columns, rows };
}

/** A theme colour name ("green", "#8e8e8e") as the CSS colour Grafana paints. */
export const themeColor = (name: string) => darkTheme.visualization.getColorByName(name);

// ------------------------------------------------------------------------------ the state matrix

/** The cell codes of docs/rules.md ("| code | state | when |") -> state name. */
export function stateNames(rulesMd: string): Map<number, string> {
  return new Map(tableRows(rulesMd, ['code', 'state', 'when']).map((r) => [Number(r[0]), r[1]!]));
}

/** docs/dashboard.md's "Cell colours everywhere: unknown grey (-1), ..." -> code -> colour word. */
export function documentedStateColours(dashboardMd: string): Map<number, string> {
  const line = /Cell colours everywhere:([^.]*)\./s.exec(dashboardMd)?.[1] ?? '';
  return new Map([...line.matchAll(/(\w+)\s+(\w+)\s+\((-?\d)\)/g)].map((m) => [Number(m[3]), m[2]!]));
}

/** The Health matrix now as a person reads it: header row, then per LUN its name and one cell per column. */
export interface MatrixView {
  columns: string[];
  rows: { lun: string; cells: Record<string, Cell> }[];
}

export function matrixView(frames: DataFrame[]): MatrixView {
  if (frames.length !== 1) throw new Error(`the matrix is ${frames.length} frames, not one table`);
  const { columns, rows } = displayedTable(frames[0]!);
  const [lunColumn, ...cellColumns] = columns;
  return {
    columns: cellColumns,
    rows: rows.map((r) => ({ lun: r[lunColumn!]!.text, cells: Object.fromEntries(cellColumns.map((c) => [c, r[c]!])) })),
  };
}
