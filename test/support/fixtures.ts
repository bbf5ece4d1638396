import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** A recorded multipathd reply from fixtures/multipathd/. */
export function multipathdFixture(name: string): string {
  return readFileSync(`${FIXTURES}multipathd/${name}`, 'utf8');
}
