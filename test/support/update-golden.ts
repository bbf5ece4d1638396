// Rewrites the golden expositions (fixtures/exposition/) from the recorded replies and the golden
// drop-ins (fixtures/config/*/expected/) from their configs:
// `npx tsx test/support/update-golden.ts`, then review the diff. Never run by a test.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DROP_IN_SCENARIOS, expectedDir, renderScenario } from './golden-drop-ins.js';
import { FIXTURES } from './fixtures.js';
import { goldenCases, renderGolden } from './golden.js';

const cases = goldenCases();
for (const c of cases) {
  const path = `${FIXTURES}${c.golden}`;
  const text = renderGolden(c);
  const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (before === text) continue;
  writeFileSync(path, text);
  console.log(`${before === undefined ? 'new' : 'changed'}: fixtures/${c.golden}`);
}
const wanted = new Set(cases.map((c) => c.golden));
for (const f of readdirSync(`${FIXTURES}exposition`)) {
  if (f.endsWith('.prom') && !wanted.has(`exposition/${f}`)) {
    rmSync(`${FIXTURES}exposition/${f}`);
    console.log(`removed (no reply): fixtures/exposition/${f}`);
  }
}

for (const scenario of DROP_IN_SCENARIOS) {
  const dir = expectedDir(scenario);
  const dropIns = renderScenario(scenario);
  const before = existsSync(dir) ? readdirSync(dir).map((f) => `${f}\n${readFileSync(join(dir, f), 'utf8')}`).sort().join('\n') : '';
  const after = dropIns.filter((d) => d.content !== null).map((d) => `${d.fileName}\n${d.content}`).sort().join('\n');
  if (before === after) continue;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const d of dropIns) if (d.content !== null) writeFileSync(join(dir, d.fileName), d.content);
  console.log(`changed: fixtures/config/${scenario}/expected`);
}
