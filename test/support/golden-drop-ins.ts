// The golden drop-ins (fixtures/config/<scenario>/expected/): one config per scenario, rendered as
// a node would write it. Read by the render tests, written only by test/support/update-golden.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText } from '../../src/common/core/config-text.js';
import type { Config } from '../../src/common/core/config.js';
import { renderDropIns, type DropIn } from '../../src/apply/core/render-config.js';
import { REPO } from './repo.js';

export const DROP_IN_FIXTURES = join(REPO, 'fixtures/config');
export const DROP_IN_SCENARIOS = ['minimal', 'full', 'luns-without-knobs', 'vendor-knobs'];
/** The config path the golden headers name. */
export const GOLDEN_CONFIG_PATH = '/etc/multipath-exporter/config.yml';

export function loadScenario(name: string): Config {
  const file = join(DROP_IN_FIXTURES, name, 'config.yml');
  const result = parseConfigText(readFileSync(file, 'utf8'), file);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

export function renderScenario(name: string): DropIn[] {
  return renderDropIns(loadScenario(name), GOLDEN_CONFIG_PATH);
}

export function expectedDir(name: string): string {
  return join(DROP_IN_FIXTURES, name, 'expected');
}

/** The golden content of one drop-in; null when the scenario renders no such file. */
export function goldenDropIn(name: string, fileName: string): string | null {
  const path = join(expectedDir(name), fileName);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}
