import { readFileSync } from 'node:fs';
import { REPO } from './repo.js';

export const FIXTURES = `${REPO}/fixtures/`;

/** A recorded multipathd reply from fixtures/multipathd/. */
export function multipathdFixture(name: string): string {
  return readFileSync(`${FIXTURES}multipathd/${name}`, 'utf8');
}
