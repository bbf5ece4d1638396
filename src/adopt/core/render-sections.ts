// A node's merged sections -> multipath.conf text for cluster.overrides (pure). One section of each
// kind, entries in multipath-tools' own order, every value quoted the way the drop-ins quote them,
// so the text passes the override guard and reads back as the same configuration.
import { quoteValue } from '../../common/core/multipath-knobs.js';
import type { ListItem, NodeConf, Settings } from './node-config.js';

function keywordLines(settings: Settings, indent: string, order?: readonly string[]): string {
  const keys = [...settings.keys()];
  // Identity keys first (vendor/product/revision, type), then the rest as written.
  const first = (order ?? []).filter((k) => settings.has(k));
  return [...first, ...keys.filter((k) => !first.includes(k))].map((k) => `${indent}${k} ${quoteValue(settings.get(k)!.value)}\n`).join('');
}

function block(name: string, body: string, indent = ''): string {
  return `${indent}${name} {\n${body}${indent}}\n`;
}

/** One blacklist or blacklist_exceptions entry as text (a `device` entry is a block). */
export function renderListItem(item: ListItem): string {
  return item.keyword === 'device' ? block('device', keywordLines(item.settings, '\t\t', ['vendor', 'product']), '\t') : `\t${item.keyword} ${quoteValue(item.value)}\n`;
}

/** A blacklist or blacklist_exceptions section from its rendered entries; undefined when empty. */
export function renderList(name: string, entries: readonly string[]): string | undefined {
  return entries.length === 0 ? undefined : block(name, entries.join(''));
}

function listBody(items: readonly ListItem[]): string {
  return items.map(renderListItem).join('');
}

const DEVICE_IDENTITY = ['vendor', 'product', 'revision'] as const;

/** Each override-able section of a node as text; an absent or empty section is undefined. */
export function renderOverrideSections(conf: NodeConf): Record<'blacklist' | 'blacklist_exceptions' | 'devices' | 'overrides', string | undefined> {
  const overridesBody =
    conf.overrides === undefined && conf.protocols.length === 0
      ? ''
      : keywordLines(conf.overrides ?? new Map(), '\t') + conf.protocols.map((p) => block('protocol', keywordLines(p, '\t\t', ['type']), '\t')).join('');
  const nonEmpty = (name: string, body: string) => (body === '' ? undefined : block(name, body));
  return {
    blacklist: nonEmpty('blacklist', listBody(conf.blacklist)),
    blacklist_exceptions: nonEmpty('blacklist_exceptions', listBody(conf.blacklistExceptions)),
    devices: nonEmpty('devices', conf.devices.map((d) => block('device', keywordLines(d, '\t\t', DEVICE_IDENTITY), '\t')).join('')),
    overrides: nonEmpty('overrides', overridesBody),
  };
}

/** `defaults { }` with the given keywords (those the cluster config has no knob for). */
export function renderDefaultsBlock(values: ReadonlyMap<string, string>): string {
  return block('defaults', [...values].map(([k, v]) => `\t${k} ${quoteValue(v)}\n`).join(''));
}
