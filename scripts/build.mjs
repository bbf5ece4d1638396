// Bundles the exporter into one self-contained ES module (dist/multipath-exporter.mjs) with every
// JavaScript dependency inside, targeting Node 18.19 (Debian 12) as well as Node 20.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/multipath-exporter.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18.19',
  minify: false,
  // V8 keeps the whole source in memory for lazy compilation: without comments and indentation it
  // is a third smaller (names stay, so stack traces still name functions).
  minifyWhitespace: true,
  legalComments: 'inline',
  define: { 'process.env.MULTIPATH_EXPORTER_VERSION': JSON.stringify(pkg.version) },
  // Bundled CommonJS dependencies (negotiator, bcryptjs) call require(); give the ESM bundle one.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
});
// A single character beyond Latin-1 makes V8 hold the source as UTF-16, twice its size.
const beyondLatin1 = /[^\x00-\xff]/.exec(readFileSync('dist/multipath-exporter.mjs', 'utf8'));
if (beyondLatin1) throw new Error(`dist/multipath-exporter.mjs holds ${JSON.stringify(beyondLatin1[0])} (beyond Latin-1) at ${beyondLatin1.index}`);
console.log('built dist/multipath-exporter.mjs');
