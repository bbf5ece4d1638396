// The exporter's `/` page: this node's maps and paths, or why there are none. Pure HTML, no JS.
import { byWwid } from '../../common/core/config.js';
import type { MapModel } from '../../scrape/core/parse-multipathd.js';
import type { Snapshot } from '../../scrape/core/snapshot.js';
import type { ConfigStatus } from '../../common/core/status.js';

export interface LandingInput {
  nodename: string;
  version: string;
  snapshot?: Snapshot;
  configStatus?: ConfigStatus;
  /** Configured alias and used-by per WWID. */
  luns: ReadonlyMap<string, { alias?: string; usedBy?: string }>;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Why the map table is empty, in words an admin can act on. */
export function emptyReason(snapshot: Snapshot | undefined): string | undefined {
  if (!snapshot) return 'No collection has run yet: open /metrics or wait for the first scrape.';
  if (!snapshot.ok) {
    if (/not installed/.test(snapshot.message)) return `multipath-tools is not installed on this node (${snapshot.message}).`;
    if (snapshot.reason === 'daemon_down') return `multipathd is not running (${snapshot.message}).`;
    return `Reading multipathd failed: ${snapshot.message}`;
  }
  if (snapshot.maps.length === 0) return 'multipathd is running but has assembled no maps (none allow-listed, or no paths found).';
  return undefined;
}

function mapRow(map: MapModel, lun: { alias?: string; usedBy?: string } | undefined): string {
  const name = map.name !== map.wwid ? map.name : lun?.alias ?? map.wwid;
  const paths = map.pathGroups
    .flatMap((g) => g.paths)
    .map(
      (p) =>
        `<li><code>${escapeHtml(p.dev ?? '?')}</code> group ${p.group}: dm ${p.dmState}, checker ${escapeHtml(p.checkerStateRaw ?? p.checkerState)}, device ${p.deviceState}${p.transport ? `, ${p.transport}` : ''}${p.priority !== undefined ? `, prio ${p.priority}` : ''}</li>`,
    )
    .join('');
  const used = map.holders === undefined ? '' : map.holders > 0 ? `yes (${map.holders})` : 'no';
  return `<tr class="${map.health}"><td>${escapeHtml(name)}</td><td><code>${escapeHtml(map.wwid)}</code></td><td class="health">${map.health}</td><td>${map.pathsActive}/${map.pathsTotal}</td><td>${map.transport ?? ''}</td><td>${formatBytes(map.sizeBytes)}</td><td>${used}${lun?.usedBy ? ` ${escapeHtml(lun.usedBy)}` : ''}</td><td><ul>${paths}</ul></td></tr>`;
}

export function renderLandingPage(input: LandingInput): string {
  const { snapshot, configStatus } = input;
  const reason = emptyReason(snapshot);
  const maps = snapshot?.ok ? [...snapshot.maps].sort(byWwid) : [];
  const table = maps.length
    ? `<table><thead><tr><th>Name</th><th>WWID</th><th>Health</th><th>Paths active/total</th><th>Transport</th><th>Size</th><th>Used</th><th>Paths</th></tr></thead><tbody>${maps.map((m) => mapRow(m, input.luns.get(m.wwid))).join('')}</tbody></table>`
    : '';
  const apply = configStatus
    ? `<h2>Configuration</h2><p>File <code>${escapeHtml(configStatus.path)}</code>: ${configStatus.valid ? 'valid' : '<strong>invalid, last good config in force</strong>'}; digest <code>${escapeHtml(configStatus.digest)}</code>; apply ${configStatus.applyEnabled ? 'enabled' : 'disabled (monitor only)'}.</p>${
        configStatus.errors.length ? `<ul class="errors">${configStatus.errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : ''
      }${
        configStatus.lastApply
          ? `<p>Last apply ${new Date(configStatus.lastApply.finishedAt).toISOString()}: ${configStatus.lastApply.success ? 'success' : '<strong>failed</strong>'}.</p>${
              configStatus.lastApply.errors.length ? `<ul class="errors">${configStatus.lastApply.errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : ''
            }${
              configStatus.lastApply.refused.length
                ? `<p>Removals refused for safety:</p><ul class="refused">${configStatus.lastApply.refused.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>`
                : ''
            }`
          : ''
      }`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>multipath-exporter on ${escapeHtml(input.nodename)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top;text-align:left}
.optimal .health{background:#c8f7c5}.degraded .health{background:#ffe08a}.failed .health{background:#f7a1a1}ul{margin:0;padding-left:1.2em}li{white-space:nowrap}.reason{padding:.6em;background:#eee}.errors{color:#a00}</style></head>
<body><h1>multipath-exporter on ${escapeHtml(input.nodename)}</h1>
<p>Version ${escapeHtml(input.version)}. <a href="/metrics">Metrics</a> · <a href="/healthz">Health</a></p>
${reason ? `<p class="reason" id="reason">${escapeHtml(reason)}</p>` : ''}${table}${apply}
</body></html>
`;
}
