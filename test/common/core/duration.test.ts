import { describe, expect, it } from 'vitest';
import { formatDuration, parseDurationMs } from '../../../src/common/core/duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['5s', 5000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1.5s', 1500],
    ['100us', 0.1],
    [' 10m ', 600_000],
  ])('%s is %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', '5', 's', '5 s', '5x', '1m30', '-1s', '1s2'])('%j is not a duration', (text) => expect(parseDurationMs(text)).toBeUndefined());
});

describe('formatDuration', () => {
  it.each([
    [1000, '1s'],
    [90_000, '90s'],
    [250, '250ms'],
    [0, '0s'],
    [-5, '0s'],
  ])('%d ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
