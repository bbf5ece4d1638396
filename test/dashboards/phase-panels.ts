// What each dashboard panel must show in a phase of a simulated scenario (the end-to-end test), read
// the way a person reads it, and the same reading of the frames Grafana's code makes of the live
// Prometheus' answers (test/support/grafana-frames.ts). Expectations come from the scenario alone:
// the expected matrix (docs/rules.md semantics), the simulated nodes' state (which exporter and
// multipathd run, which maps and paths each has) and the scenario's LUNs, never from the results.
import type { DataFrame } from '@grafana/data';
import { expect } from 'vitest';
import { expectedMatrix, nodeMaps, presentedOn, type Scenario, stateAfterPhase } from '../../src/sim/scenario.js';
import type { GrafanaPanel } from '../support/dashboard-queries.js';
import { displayedTable, displayName, grafanaData as g, themeColor } from '../support/grafana-frames.js';

/** A colour Grafana paints as the word a person (and docs/dashboard.md) would use for it. */
export function colourWord(css: string | undefined): string {
  if (css === undefined) return 'none';
  if (/^#[0-9a-f]{6}00$/i.test(css)) return 'transparent';
  // the theme names colours as rgb() or hex, a display gives hex
  const hex = (c: string) => g.colorManipulator.asHexString(c).toLowerCase();
  if (hex(css) === hex(themeColor('text'))) return 'text';
  if (/^#([0-9a-f]{2})\1\1$/i.test(hex(css))) return 'grey';
  return ['green', 'orange', 'purple', 'red', 'blue', 'yellow'].find((w) => hex(themeColor(w)) === hex(css)) ?? css;
}

/** A table as read: its headers in order, and its rows (each cell's text, with its colour word in the columns that carry one), sorted. */
export interface TableView {
  columns: string[];
  rows: Record<string, string>[];
}

const sortRows = (rows: Record<string, string>[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** The columns whose colour means something: the ones painted by value mappings (a background state cell). */
function colouredColumns(panel: GrafanaPanel, frame: DataFrame, frames: DataFrame[]): Set<string> {
  return new Set(
    frame.fields
      .filter((f) => (f.config.custom as { cellOptions?: { type?: string } } | undefined)?.cellOptions?.type === 'color-background' && (f.config.mappings?.length ?? 0) > 0)
      .map((f) => displayName(f, frame, frames)),
  );
}

export function tableView(panel: GrafanaPanel, frames: DataFrame[]): TableView {
  // no series at all: no frame, Grafana's "No data"
  if (frames.length === 0) return { columns: [], rows: [] };
  if (frames.length !== 1) throw new Error(`${panel.title}: ${frames.length} frames, not one table`);
  const frame = frames[0]!;
  const { columns, rows } = displayedTable(frame, frames);
  const coloured = colouredColumns(panel, frame, frames);
  return {
    columns,
    rows: sortRows(rows.map((r) => Object.fromEntries(columns.map((c) => [c, coloured.has(c) && r[c]!.text !== '' ? `${r[c]!.text} (${colourWord(r[c]!.color)})` : r[c]!.text])))),
  };
}

/** A non-table panel as read: per series (by the name its legend shows), its unit and its value. */
export type SeriesView = Record<string, { unit: string | undefined; value: unknown }>;

/**
 * Each series of the panel by its display name (legendFormat resolved as Grafana does), its unit,
 * and its value: for stat panels the value reduced with the panel's reduceOptions.calcs (@grafana/data's
 * reduceField); for state panels the text and colour its value mappings give; else the
 * legend's lastNotNull.
 */
export function seriesView(panel: GrafanaPanel, frames: DataFrame[]): SeriesView {
  const out: SeriesView = {};
  const calcs = ((panel.options as { reduceOptions?: { calcs?: string[] } } | undefined)?.reduceOptions?.calcs ?? ['lastNotNull']) as string[];
  for (const frame of frames) {
    for (const field of frame.fields) {
      if (field.type !== g.FieldType.number) continue;
      const name = displayName(field, frame, frames);
      if (name in out) throw new Error(`${panel.title}: two series named ${name}`);
      const reduced = g.reduceField({ field, reducers: calcs })[calcs[0]!] as number;
      let value: unknown = reduced;
      if (panel.type === 'state-timeline' || panel.type === 'status-history') {
        const d = field.display!(reduced);
        value = `${g.formattedValueToString(d)} (${colourWord(d.color)})`;
      } else if (panel.type === 'stat') {
        const d = field.display!(reduced);
        value = `${reduced} (${colourWord(d.color)})`;
      }
      out[name] = { unit: field.config.unit, value };
    }
  }
  return out;
}

// ------------------------------------------------------------------------------ the expectations

export interface PhaseContext {
  scenario: Scenario;
  index: number;
  cluster: string;
  /** docs/rules.md: code -> state name. */
  states: Map<number, string>;
  /** docs/dashboard.md: code -> colour word. */
  colours: Map<number, string>;
  /** package.json's version (the exporter reports it, possibly with a suffix). */
  version: string;
}

const lunName = (s: Scenario, wwid: string) => [s.luns.find((l) => l.wwid === wwid)?.alias, wwid].filter(Boolean).join(' · ');
const sizeText = (bytes: number) => g.formattedValueToString(g.getValueFormat('bytes')(bytes, 1));

/** The LUN and node the Paths drill-down is set to in a phase: a map with a failed path, else any not optimal map a node reports, else the first map. */
export function drillDown(ctx: PhaseContext): { node: string; wwid: string } {
  const { scenario: s, index } = ctx;
  const state = stateAfterPhase(s, index);
  const reported = [...s.nodes].sort().flatMap((node) => {
    const ns = state.nodes[node]!;
    return ns.exporter && ns.daemon ? nodeMaps(s, state, node).map((m) => ({ node, wwid: m.wwid, failed: m.groups.some((gr) => gr.paths.some((p) => p.dmState === 'failed')) })) : [];
  });
  const cells = expectedMatrix(s, index).cells;
  const pick = reported.find((m) => m.failed) ?? reported.find((m) => cells[m.wwid]?.[m.node] !== 0) ?? reported[0];
  if (!pick) throw new Error('no node reports a map');
  return { node: pick.node, wwid: pick.wwid };
}

/** What every checked panel must show in the phase, by panel title. */
export function expectedViews(ctx: PhaseContext): Record<string, TableView | SeriesView> {
  const { scenario: s, index, cluster, states, colours } = ctx;
  const state = stateAfterPhase(s, index);
  const previous = index > 0 ? stateAfterPhase(s, index - 1) : state;
  const want = expectedMatrix(s, index);
  const nodes = [...s.nodes].sort();
  const stateCell = (code: number) => `${states.get(code)} (${colours.get(code)})`;
  const exporterUp = (n: string) => state.nodes[n]!.exporter;
  const daemonUp = (n: string) => state.nodes[n]!.exporter && state.nodes[n]!.daemon;
  const maps = (n: string) => (daemonUp(n) ? nodeMaps(s, state, n) : []);
  const paths = (m: ReturnType<typeof nodeMaps>[number]) => m.groups.flatMap((gr, i) => gr.paths.map((p) => ({ ...p, group: i + 1 })));
  const out: Record<string, TableView | SeriesView> = {};

  out['LUNs: cluster state and node counts'] = {
    columns: ['Cluster', 'WWID', 'Cluster state', 'Alias', 'Used by', 'Size', 'Nodes optimal', 'Nodes degraded', 'Nodes missing', 'Nodes failed', 'Nodes unknown'],
    rows: sortRows(
      Object.entries(want.rollup).map(([wwid, code]) => {
        const lun = s.luns.find((l) => l.wwid === wwid)!;
        const count = (c: number) => String(Object.values(want.cells[wwid] ?? {}).filter((x) => x === c).length);
        return {
          Cluster: cluster,
          WWID: wwid,
          'Cluster state': stateCell(code),
          Alias: lun.alias,
          'Used by': lun.usedBy ?? '',
          Size: sizeText(lun.sizeGiB * 2 ** 30),
          'Nodes optimal': count(0),
          'Nodes degraded': count(1),
          'Nodes missing': count(2),
          'Nodes failed': count(3),
          'Nodes unknown': count(-1),
        };
      }),
    ),
  };

  const notOptimal = sortRows(
      Object.entries(want.cells).flatMap(([wwid, byNode]) =>
        Object.entries(byNode)
          .filter(([, code]) => code !== 0)
          .map(([node, code]) => {
            const lun = s.luns.find((l) => l.wwid === wwid)!;
            const m = maps(node).find((x) => x.wwid === wwid);
            const ps = m ? paths(m) : [];
            return {
              Cluster: cluster,
              LUN: lunName(s, wwid),
              Node: node,
              State: stateCell(code),
              // a map's path counts while a node reports it; the configured count while its exporter runs
              'Active paths': m ? String(ps.filter((p) => p.dmState === 'active').length) : '',
              Paths: m ? String(ps.length) : '',
              'Expected paths': exporterUp(node) && presentedOn(lun, node) ? String(lun.paths) : '',
            };
          }),
      ),
  );
  out['Cells not optimal now'] = notOptimal.length ? { columns: ['Cluster', 'LUN', 'Node', 'State', 'Active paths', 'Paths', 'Expected paths'], rows: notOptimal } : { columns: [], rows: [] };

  const dd = drillDown(ctx);
  const ddLun = s.luns.find((l) => l.wwid === dd.wwid)!;
  out.Paths = {
    columns: ['Node', 'WWID', 'Device', 'Group', 'DM state', 'Checker state', 'Device state', 'Checker', 'Transport', 'Priority', 'Cluster'],
    rows: sortRows(
      paths(maps(dd.node).find((m) => m.wwid === dd.wwid)!).map((p) => ({
        Node: dd.node,
        WWID: dd.wwid,
        Device: p.dev,
        Group: String(p.group),
        'DM state': `${p.dmState} (${p.dmState === 'active' ? 'green' : 'red'})`,
        'Checker state': p.checkerState ?? '',
        'Device state': p.devState ?? '',
        // the fake multipathd reports the tur checker for every path
        Checker: 'tur',
        // fc: from the path's target WWPN; an iSCSI path's transport comes from its sysfs device
        // link, which the simulated sysfs does not have
        Transport: ddLun.transport === 'fc' ? 'fc' : '',
        Priority: String(p.priority),
        Cluster: cluster,
      })),
    ),
  };

  const restarted = (n: string) => state.nodes[n]!.exporter && !previous.nodes[n]!.exporter;
  const upDown = (up: boolean) => (up ? 'up (green)' : 'down (red)');
  out['Nodes: exporter, multipathd and config'] = {
    columns: ['Cluster', 'Node', 'Exporter', 'multipathd', 'Collection', 'Config valid', 'Last apply', 'Apply errors', 'In cluster.nodes', 'Config digest', 'Node name (exporter)', 'Version', 'multipathd busy', 'Reconfigure'],
    rows: sortRows(
      nodes.map((node) => {
        const up = exporterUp(node);
        const ifUp = (v: unknown) => (up ? v : '');
        return {
          Cluster: cluster,
          Node: node,
          Exporter: upDown(up),
          multipathd: ifUp(upDown(daemonUp(node))),
          Collection: ifUp(expect.stringMatching(/^\d+(\.\d+)? (µs|ms|s)$/)),
          'Config valid': ifUp('valid (green)'),
          // the apply metrics appear with the exporter's first apply, a moment after it starts
          'Last apply': ifUp(restarted(node) ? expect.stringMatching(/^(ok \(green\))?$/) : 'ok (green)'),
          'Apply errors': ifUp(restarted(node) ? expect.stringMatching(/^0?$/) : '0'),
          'In cluster.nodes': ifUp('yes (green)'),
          'Config digest': ifUp(expect.stringMatching(/^[0-9a-f]{16}$/)),
          'Node name (exporter)': ifUp(node),
          Version: ifUp(expect.stringMatching(new RegExp(`^${ctx.version.replace(/\./g, '\\.')}`))),
          'multipathd busy': daemonUp(node) ? 'idle (green)' : '',
          Reconfigure: daemonUp(node) ? 'none (green)' : '',
        } as Record<string, string>;
      }),
    ),
  };

  // ------------------------------------------------------------ non-table panels: series and values
  const series = (entries: [string, string | undefined, unknown][]): SeriesView => Object.fromEntries(entries.map(([n, unit, value]) => [n, { unit, value }]));
  const cellEntries = Object.entries(want.cells).flatMap(([wwid, byNode]) => Object.entries(byNode).map(([node, code]) => ({ wwid, node, code })));
  out['Health matrix over time'] = series(cellEntries.map((c) => [`${lunName(s, c.wwid)} @ ${c.node}`, 'none', stateCell(c.code)]));

  const reportedMaps = nodes.flatMap((node) => maps(node).map((m) => ({ node, m, ps: paths(m) })));
  out['Paths: active, total, expected'] = series([
    ...reportedMaps.map(({ node, m, ps }): [string, string, unknown] => [`${node} ${m.wwid} active`, 'none', ps.filter((p) => p.dmState === 'active').length]),
    ...reportedMaps.map(({ node, m, ps }): [string, string, unknown] => [`${node} ${m.wwid} total`, 'none', ps.length]),
    ...nodes.flatMap((node) => (exporterUp(node) ? s.luns.filter((l) => presentedOn(l, node)).map((l): [string, string, unknown] => [`${node} ${l.wwid} expected`, 'none', l.paths]) : [])),
  ]);
  out['Queueing mode'] = series(reportedMaps.map(({ node, m }) => [`${node} ${m.wwid} queue`, 'none', 'in this mode (blue)']));

  out['Exporters up'] = series([
    ['up', 'none', `${nodes.filter(exporterUp).length} (text)`],
    ['targets', 'none', `${nodes.length} (text)`],
  ]);
  const daemonsDown = nodes.filter((n) => exporterUp(n) && !daemonUp(n)).length;
  out['multipathd down'] = series([['multipathd down', 'none', `${daemonsDown} (${daemonsDown ? 'red' : 'green'})`]]);
  out['Config digests in use'] = series([[`digests ${cluster}`, 'none', '1 (green)']]);
  out['Scrape duration'] = series(nodes.filter(exporterUp).map((n) => [n, 's', expect.any(Number)]));
  out['Config apply errors'] = series(nodes.filter((n) => exporterUp(n) && !restarted(n)).map((n) => [n, 'none', 0]));
  out['Exporter and multipathd up'] = series([
    ...nodes.map((n): [string, string, unknown] => [`${n} exporter`, 'none', upDown(exporterUp(n))]),
    ...nodes.filter(exporterUp).map((n): [string, string, unknown] => [`${n} multipathd`, 'none', upDown(daemonUp(n))]),
  ]);

  // rate() panels: a series needs two samples in its window, so a map reported again only since
  // this phase may not have one yet; every map reported in the previous phase too has one, and
  // one whose paths never failed reads exactly 0
  const settled = reportedMaps.filter(({ node, m }) => previous.nodes[node]!.exporter && previous.nodes[node]!.daemon && previous.nodes[node]!.maps[m.wwid]);
  const pathFaults = (node: string, wwid: string) => state.nodes[node]!.maps[wwid]?.pathFaults ?? 0;
  out['Path faults and path-group switches'] = series([
    ...settled.map(({ node, m }): [string, string, unknown] => [`${node} ${m.wwid} faults`, 'cps', pathFaults(node, m.wwid) ? expect.any(Number) : 0]),
    ...settled.map(({ node, m }): [string, string, unknown] => [`${node} ${m.wwid} group switches`, 'cps', expect.any(Number)]),
  ]);
  out['Recovery queueing'] = series(settled.map(({ node, m }) => [`${node} ${m.wwid} queueing`, 'percentunit', 0]));
  return out;
}

/**
 * Panels whose series of an exporter or map back only since this phase may or may not be there yet
 * (rate() needs two samples; the apply metrics wait for the first apply): their expectations leave
 * those out, and only the expected series are compared.
 */
export const LATE_SERIES_PANELS = new Set(['Path faults and path-group switches', 'Recovery queueing', 'Config apply errors']);
