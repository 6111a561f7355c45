/**
 * `npm run bench [-- name ...]`: runs the benchmarks (all by default). Each prints its figures next
 * to a baseline measured in the same run, and the ratio.
 */
const BENCHES: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  engine: () => import('./engine.js'),
  evaluate: () => import('./evaluate.js'),
  cli: () => import('./cli.js'),
  import: () => import('./import.js'),
  workflows: () => import('./workflows.js'),
  studio: () => import('./studio.js'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  const started = Date.now();
  await (await BENCHES[name]!()).run();
  console.log(`  (${name} bench took ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
