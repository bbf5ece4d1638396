// The typed fast path checks a map in place instead of parsing it with zod: it must accept exactly
// what the typed schema accepts, and hand the parser the same data.
import { describe, expect, it } from 'vitest';
import { fitsTypedMap, parseRawMap, TYPED_MAP } from '../../../src/scrape/core/multipathd-json.js';
import { generatedMaps, mapsReply } from '../../../src/sim/maps-reply.js';
import { multipathdFixture } from '../../support/fixtures.js';

/** Every map element of the recorded 0.9.x reply and of a generated one. */
function elements(): unknown[] {
  const replies = [multipathdFixture('all-six-maps.json'), mapsReply(generatedMaps(3, 4))];
  return replies.flatMap((reply) => (JSON.parse(reply) as { maps: unknown[] }).maps);
}

/** Copies of `element` with one key somewhere (at any depth) set to `value`. */
function withEachKeySetTo(element: unknown, value: unknown): unknown[] {
  const out: unknown[] = [];
  const visit = (node: unknown, path: (string | number)[]) => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      const copy = structuredClone(element) as Record<string | number, unknown>;
      let at = copy;
      for (const step of path) at = at[step] as Record<string | number, unknown>;
      at[key] = value;
      out.push(copy);
      visit(child, [...path, Array.isArray(node) ? Number(key) : key]);
    }
  };
  visit(element, []);
  return out;
}

describe('fitsTypedMap', () => {
  const wrong: unknown[] = [null, 7, 'text', true, {}, [], [{}], [7], undefined];
  const cases = elements().flatMap((e) => [e, ...wrong.flatMap((value) => withEachKeySetTo(e, value))]);

  it('accepts exactly what the typed zod schema accepts', () => {
    expect(cases.length).toBeGreaterThan(1000);
    let accepted = 0;
    for (const element of cases) {
      const fits = fitsTypedMap(element);
      expect(fits, JSON.stringify(element).slice(0, 300)).toBe(TYPED_MAP.safeParse(element).success);
      if (fits) accepted++;
    }
    // Both kinds occur: the equality is not vacuous.
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(cases.length - 100);
  });

  it('hands the parser what the typed schema would, without copying it', () => {
    for (const element of elements()) {
      expect(parseRawMap(element)).toBe(element);
      expect(parseRawMap(element)).toEqual(TYPED_MAP.parse(element));
    }
  });

  it('rejects what is no map object at all', () => {
    for (const element of [null, [], 'map', 3, { path_groups: {} }, { path_groups: [null] }, { path_groups: [{ paths: [[]] }] }]) {
      expect(fitsTypedMap(element)).toBe(TYPED_MAP.safeParse(element).success);
      expect(fitsTypedMap(element)).toBe(false);
    }
  });
});
