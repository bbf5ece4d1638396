// The dashboard JSON type-checked against @grafana/schema: a TypeScript module that declares the
// dashboard as `Dashboard` and each panel as `Panel<Options, FieldConfig>` of its panel type's
// published option types, compiled in memory by the TypeScript compiler. Object literals get
// TypeScript's excess-property check, so an unknown field fails as well as a wrong type.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import type { GrafanaDashboard, GrafanaPanel } from './dashboard-queries.js';
import { REPO } from './repo.js';

/** Panel type -> the module of @grafana/schema with its `Options` and `FieldConfig`. */
const PANEL_CONFIG_MODULES: Record<string, string> = {
  table: 'TablePanelCfg',
  'status-history': 'StatusHistoryPanelCfg',
  'state-timeline': 'StateTimelinePanelCfg',
  timeseries: 'TimeSeriesPanelCfg',
  stat: 'StatPanelCfg',
  gauge: 'GaugePanelCfg',
  bargauge: 'BarGaugePanelCfg',
  heatmap: 'HeatmapPanelCfg',
  piechart: 'PieChartPanelCfg',
  text: 'TextPanelCfg',
};
const moduleOf = (type: string) => {
  const cfg = PANEL_CONFIG_MODULES[type];
  if (!cfg) throw new Error(`no @grafana/schema option types for panel type ${type}`);
  return `@grafana/schema/dist/esm/raw/composable/${type.replace('-', '')}/panelcfg/x/${cfg}_types.gen`;
};
/** Whether the panel type's schema module declares a FieldConfig (stat, gauge, text have none). */
const hasFieldConfig = (type: string) => {
  const types = createRequire(import.meta.url).resolve(moduleOf(type)).replace(/\/cjs\/(.*)\.cjs$/, '/types/$1.d.ts');
  return /export interface FieldConfig\b/.test(readFileSync(types, 'utf8'));
};
const typeAlias = (type: string) => type.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());

/** The TypeScript module that declares `dashboard` with @grafana/schema's types. */
export function dashboardModule(dashboard: GrafanaDashboard): string {
  const panels: GrafanaPanel[] = [];
  for (const p of dashboard.panels ?? []) panels.push(p, ...(p.type === 'row' ? (p.panels ?? []) : []));
  const types = [...new Set(panels.map((p) => p.type).filter((t) => t !== 'row'))].sort();
  const lines = [
    `import type { Dashboard as SchemaDashboard, Panel, RowPanel as SchemaRowPanel } from '@grafana/schema';`,
    ...types.map((t) =>
      hasFieldConfig(t)
        ? `import type { Options as ${typeAlias(t)}Options, FieldConfig as ${typeAlias(t)}FieldConfig } from '${moduleOf(t)}';`
        : `import type { Options as ${typeAlias(t)}Options } from '${moduleOf(t)}';\ntype ${typeAlias(t)}FieldConfig = Record<string, unknown>;`,
    ),
    // JSON carries an enum as its value ("color-background"), TypeScript's string enums only as the
    // member; and the generated types mark every field with a default required (`inspect`, `align`),
    // which Grafana fills in when the JSON omits it. Unknown fields and wrong types still fail.
    'type Json<T> = T extends string ? `${T}` : T extends (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]?: Json<T[K]> } : T;',
    'type Dashboard = Json<SchemaDashboard>;',
    'type RowPanel = Json<SchemaRowPanel>;',
    // Panel<Options> does not type `options` itself: the panel type's Options go in here.
    'type PanelOf<O, F> = Json<Omit<Panel<O, F>, "options"> & { options?: O }>;',
    '',
  ];
  const top = (dashboard.panels ?? []).map((p, i) => {
    if (p.type !== 'row') {
      lines.push(`const panel${i}: PanelOf<${typeAlias(p.type)}Options, ${typeAlias(p.type)}FieldConfig> = ${JSON.stringify(p, null, 2)};`);
      return `panel${i}`;
    }
    const nested = (p.panels ?? []).map((c, j) => {
      lines.push(`const panel${i}_${j}: PanelOf<${typeAlias(c.type)}Options, ${typeAlias(c.type)}FieldConfig> = ${JSON.stringify(c, null, 2)};`);
      return `panel${i}_${j}`;
    });
    lines.push(`const panel${i}: RowPanel = { ...${JSON.stringify({ ...p, panels: undefined }, null, 2)}, panels: [${nested.join(', ')}] };`);
    return `panel${i}`;
  });
  lines.push(`export const dashboard: Dashboard = { ...${JSON.stringify({ ...dashboard, panels: undefined }, null, 2)}, panels: [${top.join(', ')}] };`);
  return lines.join('\n') + '\n';
}

/** The compiler's diagnostics for `source`, compiled as a module of this repository (so @grafana/schema resolves). */
export function typeCheck(source: string): string[] {
  const file = path.join(REPO, 'test', 'dashboards', 'dashboard-schema.generated.ts');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : getSourceFile.call(host, name, lang, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => {
      const where = d.file && d.start !== undefined ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
    });
}
