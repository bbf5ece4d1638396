// Rewrites the golden expositions (fixtures/exposition/) from the recorded replies:
// `npx tsx test/support/update-golden.ts`, then review the diff. Never run by a test.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
