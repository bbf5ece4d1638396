// The browser page that draws a panel with Grafana's own components: the panel's frames come out of
// the same @grafana/data pipeline as in Node (../grafana-frames.ts), then @grafana/ui's Table draws
// them in Grafana's dark theme, under Grafana's global styles (body colours, fonts, the reset that
// makes buttons such as the header's sort buttons inherit the text colour). Bundled by esbuild
// (./render.ts), loaded once; each `window.drawPanel(input)` replaces the panel drawn before.
import { createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { GlobalStyles, Table } from '@grafana/ui';
import { ThemeContext } from '@grafana/data';
import { darkTheme, panelFrames } from '../grafana-frames.js';
import type { GrafanaPanel, Sample } from '../dashboard-queries.js';

export interface PanelInput {
  panel: GrafanaPanel;
  results: [string, Sample[]][];
  timeMs: number;
  width: number;
  height: number;
  caption: string;
}

declare global {
  interface Window {
    drawPanel(input: PanelInput): Promise<void>;
  }
}

let root: Root | undefined;
let drawn = 0;

window.drawPanel = async ({ panel, results, timeMs, width, height, caption }) => {
  const frames = await panelFrames(panel, new Map(results), timeMs);
  const options = (panel.options ?? {}) as { sortBy?: { displayName: string; desc?: boolean }[]; cellHeight?: never };
  root ??= createRoot(document.getElementById('root')!);
  root.render(
    createElement(
      ThemeContext.Provider,
      { value: darkTheme },
      createElement(GlobalStyles),
      createElement(
        'div',
        // a new key per drawing: a fresh Table, so its initial sort applies as on a panel's first load
        { id: 'panel', key: ++drawn, style: { width, padding: 8, background: darkTheme.colors.background.primary, border: `1px solid ${darkTheme.colors.border.weak}` } },
        createElement('div', { style: { fontSize: 14, fontWeight: 500, padding: '0 0 8px' } }, `${panel.title ?? ''} — ${caption}`),
        createElement(Table, { data: frames[0]!, width, height, initialSortBy: options.sortBy, cellHeight: options.cellHeight, fieldConfig: panel.fieldConfig as never }),
      ),
    ),
  );
  // React renders asynchronously; two frames later the table is in the DOM.
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
};
