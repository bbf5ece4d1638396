// dashboards/multipath-health.json type-checked against Grafana's own dashboard and panel option
// types (@grafana/schema, test/support/grafana-schema.ts): the dashboard as `Dashboard`, every panel
// as `Panel<Options, FieldConfig>` of its panel type. A mutated copy with an unknown field, a wrong
// type and an unknown enum value must fail on each of them.
import { REPO } from '../support/repo.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardPanels, type GrafanaDashboard } from '../support/dashboard-queries.js';
import { dashboardModule, typeCheck } from '../support/grafana-schema.js';

const load = () => JSON.parse(readFileSync(path.join(REPO, 'dashboards/multipath-health.json'), 'utf8')) as GrafanaDashboard;

describe('the dashboard against @grafana/schema', () => {
  it("type-checks as Dashboard, each panel with its panel type's options and field config", () => {
    expect(typeCheck(dashboardModule(load()))).toEqual([]);
  });

  it('an unknown field, a wrong type and an unknown enum value each fail', () => {
    const broken = load();
    // one per panel: the compiler reports the first problem of each object literal
    const panel = (title: string) => dashboardPanels(broken).find((p) => p.title === title)!;
    (panel('Health matrix now').options as Record<string, unknown>).showHeaderRow = true; // unknown table option
    panel('Paths').gridPos = { ...(panel('Paths').gridPos as object), h: '10' }; // a string where a number goes
    (panel('Cells not optimal now').fieldConfig!.defaults!.custom as Record<string, unknown>).cellOptions = { type: 'colour-background' };
    const errors = typeCheck(dashboardModule(broken));
    expect(errors.some((e) => /showHeaderRow/.test(e)), errors.join('\n')).toBe(true);
    expect(errors.some((e) => /'string' is not assignable to type 'number'/.test(e)), errors.join('\n')).toBe(true);
    expect(errors.some((e) => /colour-background/.test(e)), errors.join('\n')).toBe(true);
  });
});
