// notifiedAlerts: each alert's news once, a re-listing in a changed group not, a repeated delivery always.
import { describe, expect, it } from 'vitest';
import type { Notification, Webhook } from '../../src/sim/prometheus.js';
import { notifiedAlerts } from './simulation.js';

const alert = (node: string, status: 'firing' | 'resolved') => ({ status, labels: { alertname: 'MultipathLunMissing', node }, annotations: {}, startsAt: '', endsAt: '' });
const note = (...alerts: ReturnType<typeof alert>[]): Notification => ({ receiver: 'multipath-critical', receivedAt: 0, status: 'firing', groupLabels: { alertname: 'MultipathLunMissing' }, alerts });
const hook = (...notifications: Notification[]): Webhook => ({ url: '', notifications, close: async () => undefined });
const told = (w: Webhook) => notifiedAlerts(w, (l) => l.node!).map((a) => `${a.key} ${a.status}`);

describe('notifiedAlerts', () => {
  it('counts a member once while the group around it changes', () => {
    const w = hook(note(alert('node3', 'firing')), note(alert('node1', 'firing'), alert('node3', 'firing')), note(alert('node1', 'resolved'), alert('node3', 'resolved')));
    expect(told(w)).toEqual(['node3 firing', 'node1 firing', 'node1 resolved', 'node3 resolved']);
  });

  it('counts every listing of a notification the group already had (a second replica)', () => {
    const w = hook(note(alert('node3', 'firing')), note(alert('node3', 'firing')));
    expect(told(w)).toEqual(['node3 firing', 'node3 firing']);
  });

  it('does not count what the survivor re-sends for a replica killed just after notifying, and counts any other repeat', () => {
    const at = (ms: number, n: Notification): Notification => ({ ...n, receivedAt: ms });
    const w = hook(at(1000, note(alert('node3', 'firing'))), at(3000, note(alert('node3', 'firing'))));
    expect(notifiedAlerts(w, (l) => l.node!, { at: 1500, windowMs: 6000 }).map((a) => `${a.key} ${a.status}`)).toEqual(['node3 firing']);
    expect(notifiedAlerts(w, (l) => l.node!, { at: 60_000, windowMs: 6000 })).toHaveLength(2);
    expect(notifiedAlerts(w, (l) => l.node!)).toHaveLength(2);
  });

  it('keeps groups apart', () => {
    const other = { ...note(alert('node3', 'firing')), receiver: 'multipath-warning' };
    expect(told(hook(note(alert('node3', 'firing')), other))).toEqual(['node3 firing', 'node3 firing']);
  });
});
