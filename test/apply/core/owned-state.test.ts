import { describe, expect, it } from 'vitest';
import { parseOwnedState, renderOwnedState, settleIntent } from '../../../src/apply/core/owned-state.js';

const A = '3600a098038314c6f6b5d4f2d41434b31';

describe('owned-state', () => {
  it('round-trips the owned WWIDs and the intent; no file means nothing owned', () => {
    expect(parseOwnedState(renderOwnedState([A], { action: 'add', wwid: A }), 's')).toEqual({ ok: true, owned: [A], intent: { action: 'add', wwid: A } });
    expect(parseOwnedState(renderOwnedState([A]), 's')).toEqual({ ok: true, owned: [A], intent: undefined });
    expect(parseOwnedState(null, 's')).toEqual({ ok: true, owned: [] });
  });

  it('reads the version 1 file (no intent)', () => {
    expect(parseOwnedState(JSON.stringify({ version: 1, comment: 'x', wwids: [A] }), 's')).toEqual({ ok: true, owned: [A], intent: undefined });
  });

  it.each([
    ['not JSON', '{not json', /state file \/s unreadable \(.*JSON.*\); no WWID is added or removed/],
    ['no list', '{"version":2}', /state file \/s unreadable \(wwids: /],
    ['a bad intent', JSON.stringify({ wwids: [], intent: { action: 'flush', wwid: A } }), /intent\.action/],
  ])('%s is unreadable, with the reason', (_name, text, message) => {
    const read = parseOwnedState(text, '/s');
    expect(read.ok).toBe(false);
    expect(!read.ok && read.error).toMatch(message);
  });

  it('settleIntent: an add is owned only when its WWID is listed; a removal is settled only when it is gone', () => {
    expect(settleIntent([], { action: 'add', wwid: A }, new Set([A])).owned).toEqual([A]);
    expect(settleIntent([], { action: 'add', wwid: A }, new Set()).owned).toEqual([]);
    expect(settleIntent([A], { action: 'remove', wwid: A }, new Set()).owned).toEqual([]);
    expect(settleIntent([A], { action: 'remove', wwid: A }, new Set([A])).owned).toEqual([A]);
    expect(settleIntent([A], undefined, new Set())).toEqual({ owned: [A] });
  });
});
