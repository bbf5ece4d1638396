// The landing page as a person sees it: real headless Chromium (playwright-core, the repo's one way
// to drive it: test/support/grafana-render/chromium.ts) renders the page served by the app.
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../../src/common/core/config.js';
import type { Collector } from '../../../src/scrape/io/collector.js';
import { createApp } from '../../../src/web/io/http.js';
import { memoryLogger } from '../../../src/common/io/log.js';
import { NO_FAILURES, snapshotFromFixture } from '../../support/scrape.js';
import { launchChromium } from '../../support/grafana-render/chromium.js';

const MEASURE_PAGE = `<!DOCTYPE html><html><body style="margin:0">
<iframe src="/" style="border:0;width:1400px;height:900px"></iframe>
<script>
window.addEventListener('load', () => {
  const doc = document.querySelector('iframe').contentDocument;
  const view = doc.defaultView;
  const visible = (el) => { const cs = view.getComputedStyle(el); const r = el.getBoundingClientRect(); return cs.display !== 'none' && cs.visibility === 'visible' && Number(cs.opacity) > 0 && r.width > 0 && r.height > 0; };
  const badges = [...doc.querySelectorAll('tbody td.health')].map((td) => {
    const r = td.getBoundingClientRect();
    const cs = view.getComputedStyle(td);
    return { text: td.textContent, background: cs.backgroundColor, color: cs.color, visible: visible(td), left: r.left, right: r.right, top: r.top, rowTop: td.parentElement.getBoundingClientRect().top, nameTop: td.parentElement.cells[0].getBoundingClientRect().top };
  });
  const out = document.createElement('pre');
  out.id = 'measured';
  out.textContent = JSON.stringify({ badges, viewportWidth: doc.documentElement.clientWidth, links: [...doc.querySelectorAll('a')].filter(visible).map((a) => a.textContent) });
  document.body.appendChild(out);
});
</script></body></html>`;

let server: Server;
let url: string;
let browser: Browser;

beforeAll(async () => {
  const snapshot = snapshotFromFixture('all-six-maps.json');
  snapshot.maps[1] = { ...snapshot.maps[1]!, sizeBytes: 107374182400, holders: 2 };
  const collector: Collector = { collect: async () => snapshot, failures: () => NO_FAILURES };
  const config = Config.parse({ cluster: { luns: [{ wwid: '36001405a3f9c2e7d1b84c0e9d2f6a7b1', alias: 'san-a', usedBy: 'vmstore' }] } });
  const landing = createApp({ collector, config: () => config, configStatus: () => undefined, nodename: () => 'pve1', version: '1.2.3', log: memoryLogger(), processMetrics: false });
  // The landing page in a same-origin frame of a window's size, measured by the browser itself.
  server = createServer((req, res) => {
    if (req.url === '/measure') res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(MEASURE_PAGE);
    else landing(req, res);
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

/** The page at `at` once loaded, in a window of 1400 x 900; `read` runs with it, then it is closed. */
async function inPage<T>(at: string, read: (page: Page) => Promise<T>): Promise<T> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await page.goto(at, { waitUntil: 'load', timeout: 60_000 });
    return await read(page);
  } finally {
    await page.close();
  }
}

describe('landing page in Chromium', () => {
  it('renders every map, sorted by WWID, with name, WWID, health, paths and size', async () => {
    // the DOM as the browser built it (what `chromium --dump-dom` prints)
    const stdout = await inPage(url, (page) => page.content());
    const rows = [...stdout.matchAll(/<tr class="(optimal|degraded|failed)">(.*?)<\/tr>/gs)];
    expect(rows.map((r) => r[1])).toEqual(['degraded', 'failed', 'failed', 'optimal', 'failed', 'optimal']);
    const degraded = rows[0]![2]!;
    expect(degraded).toContain('mpatha');
    expect(degraded).toContain('36001405a3f9c2e7d1b84c0e9d2f6a7b1');
    expect(degraded).toContain('1/2');
    expect(degraded).toContain('100 GiB');
    expect(degraded).toContain('yes (2) vmstore');
    expect(degraded).toMatch(/sdk<\/code> group 1: dm failed, checker faulty/);
    expect(stdout).toContain('<a href="/metrics">Metrics</a>');
  });

  it('shows each map a health badge a person can see: its colour, inside the window, in its row', async () => {
    const json = await inPage(`${url}measure`, async (page) => (await page.waitForSelector('#measured', { timeout: 30_000 })).textContent());
    expect(json, 'the measuring script ran').toBeTruthy();
    const measured = JSON.parse(json!) as {
      badges: Array<{ text: string; background: string; color: string; visible: boolean; left: number; right: number; top: number; rowTop: number; nameTop: number }>;
      viewportWidth: number;
      links: string[];
    };
    const colour = { optimal: 'rgb(200, 247, 197)', degraded: 'rgb(255, 224, 138)', failed: 'rgb(247, 161, 161)' } as Record<string, string>;
    expect(measured.badges.map((b) => b.text)).toEqual(['degraded', 'failed', 'failed', 'optimal', 'failed', 'optimal']);
    for (const badge of measured.badges) {
      expect(badge.visible, badge.text).toBe(true);
      expect(badge.background, badge.text).toBe(colour[badge.text]);
      expect(badge.color, badge.text).not.toBe(badge.background);
      // Inside the window without scrolling sideways, on the same line as its map's name.
      expect(badge.left).toBeGreaterThanOrEqual(0);
      expect(badge.right).toBeLessThanOrEqual(measured.viewportWidth);
      expect(badge.top).toBe(badge.nameTop);
    }
    // One row per map, stacked top to bottom.
    const tops = measured.badges.map((b) => b.rowTop);
    expect(tops).toEqual([...tops].sort((x, y) => x - y));
    expect(new Set(tops).size).toBe(tops.length);
    expect(measured.links).toEqual(['Metrics', 'Health']);
  });
});
