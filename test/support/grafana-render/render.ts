// Draws a dashboard panel with @grafana/ui in a real headless Chromium (./chromium.ts: Debian's chromium
// through playwright-core): the page (./page.ts) is bundled once per process by esbuild into a temp
// dir and loaded from file:// once; each drawing feeds it a panel and its query results and is
// screenshotted. Returns what the browser drew: the header texts and colours, and every cell's text
// and background colour.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import type { PanelInput } from './page.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A colour as the browser reports a painted background: "#FF9830" -> "rgb(255, 152, 48)"; transparent -> "none". */
export function cssRgb(color: string | undefined): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})?$/i.exec(color ?? '');
  if (!m) throw new Error(`not a #rrggbb colour: ${color}`);
  if (m[4] === '00') return 'none';
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => parseInt(h!, 16));
  return m[4] ? `rgba(${r}, ${g}, ${b}, ${Number((parseInt(m[4], 16) / 255).toFixed(3))})` : `rgb(${r}, ${g}, ${b})`;
}

/** WCAG's relative luminance of a CSS rgb()/rgba() colour as computed styles report it (alpha ignored). */
export function luminance(css: string): number {
  const m = /^rgba?\((\d+), (\d+), (\d+)/.exec(css);
  if (!m) throw new Error(`not an rgb() colour: ${css}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG's contrast ratio of two colours, 1 (same) to 21 (black on white). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

export interface DrawnTable {
  headers: string[];
  /** Per header: the colour its text is painted in and the first opaque background behind it. */
  headerColours: { text: string; color: string; background: string }[];
  /** Rows of cells, in the order the browser shows them. */
  rows: { text: string; background: string }[][];
}

export interface PanelRenderer {
  draw(input: PanelInput, screenshot: string): Promise<DrawnTable>;
  close(): Promise<void>;
}

/** Bundles the page and starts Chromium; close() stops it and removes the temp dir. */
export async function startPanelRenderer(): Promise<PanelRenderer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'grafana-render-'));
  await build({
    entryPoints: [path.join(here, 'page.ts')],
    bundle: true,
    // a classic script: Chromium does not load module scripts from file://
    format: 'iife',
    platform: 'browser',
    outdir: dir,
    minify: process.env.GRAFANA_RENDER_DEBUG === undefined,
    logLevel: 'error',
    // @grafana/ui's index pulls in Monaco and its fonts; the table needs neither.
    loader: { '.css': 'css', '.woff2': 'empty', '.woff': 'empty', '.ttf': 'empty', '.svg': 'dataurl', '.png': 'dataurl' },
    // @grafana/ui's ESM build (.mjs) default-imports CommonJS packages (react-custom-scrollbars-2), which
    // a bundler then reads with Node's .mjs rules as the whole module object; its CJS build is consistent.
    alias: { '@grafana/ui': createRequire(import.meta.url).resolve('@grafana/ui') },
    define: { 'process.env.NODE_ENV': process.env.GRAFANA_RENDER_DEBUG === undefined ? '"production"' : '"development"', global: 'globalThis' },
    plugins: [
      {
        // ../grafana-frames.ts loads @grafana/data's CJS build through createRequire in Node; in the page
        // the same names resolve to the bundled ESM modules.
        name: 'create-require-in-the-page',
        setup(b) {
          b.onResolve({ filter: /^node:module$/ }, () => ({ path: 'node:module', namespace: 'page-shim' }));
          b.onLoad({ filter: /.*/, namespace: 'page-shim' }, () => ({
            resolveDir: here,
            contents: "import * as data from '@grafana/data'; import * as rxjs from 'rxjs'; const modules = { '@grafana/data': data, rxjs }; export const createRequire = () => (id) => modules[id];",
          }));
        },
      },
    ],
  });
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="page.css"></head><body><div id="root"></div><script src="page.js"></script></body></html>');
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const b = browser;
  let page: Page | undefined;
  const errors: string[] = [];
  return {
    async draw(input, screenshot) {
      // one page for every drawing: the bundle is parsed once
      page ??= await (async () => {
        const p = await b.newPage({ viewport: { width: input.width + 40, height: input.height + 80 }, deviceScaleFactor: 1 });
        p.on('pageerror', (e) => errors.push(e.message));
        if (process.env.GRAFANA_RENDER_DEBUG !== undefined) p.on('console', (m) => console.log(m.text()));
        await p.goto(pathToFileURL(path.join(dir, 'index.html')).href);
        return p;
      })();
      errors.length = 0;
      await page.setViewportSize({ width: input.width + 40, height: input.height + 80 });
      const failed = await page.evaluate(async (i) => {
        try {
          await window.drawPanel(i);
          return undefined;
        } catch (e) {
          return e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
        }
      }, input);
      if (failed || errors.length) throw new Error(`the page failed: ${failed ?? errors.join('\n')}`);
      await page.locator('#panel').screenshot({ path: screenshot });
      return await page.evaluate(() => {
        const text = (e: Element) => (e as HTMLElement).innerText.trim();
        const headerCells = [...document.querySelectorAll('[role="columnheader"]')];
        const headers = headerCells.map(text);
        // transparent and translucent layers skipped: the first opaque one is what the text sits on
        // (close enough for a contrast check); nothing opaque: the browser's white canvas
        const behind = (e: Element | null): string => {
          for (let x = e; x; x = x.parentElement) {
            const bg = getComputedStyle(x).backgroundColor;
            if (!bg.startsWith('rgba(')) return bg;
          }
          return 'rgb(255, 255, 255)';
        };
        // the text's colour is the one of the innermost element holding the header's text
        const headerColours = headerCells.map((h) => {
          const holder = [h, ...h.querySelectorAll('*')].filter((e) => text(e) === text(h)).pop()!;
          return { text: text(h), color: getComputedStyle(holder).color, background: behind(holder) };
        });
        // a cell's colour is painted on the cell or on the element inside it that holds the value
        const background = (c: Element): string => {
          for (const e of [c, ...c.querySelectorAll('*')]) {
            const bg = getComputedStyle(e).backgroundColor;
            if (bg !== 'rgba(0, 0, 0, 0)') return bg;
          }
          return 'none';
        };
        const rows = [...document.querySelectorAll('[role="row"]')]
          .map((r) => [...r.querySelectorAll('[role="cell"]')].map((c) => ({ text: text(c), background: background(c) })))
          .filter((r) => r.length > 0);
        return { headers, headerColours, rows };
      });
    },
    async close() {
      await b.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
