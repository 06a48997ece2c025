// `npm run bench`: every benchmark in turn, each its own process. One that misses its target (or
// fails) does not stop the others — a slow run of one should not leave the rest unmeasured; the
// exit status says whether all passed.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..');
const runs: [string, ...string[]][] = [
  ['bench/tokenizer.ts'],
  ['bench/triton-client.ts'],
  ['bench/ingest.ts'],
  // What each RefinedWeb-grade step (extraction, language, quality, near-dups) costs on WARC.
  ['bench/ingest-warc.ts', '--write'],
  // Deterministic fidelity figures of the template set (seconds); --write keeps RESULTS.md current.
  ['bench/templates.ts', '--write'],
  // The reference's figures (a model of its code) against ipt-templates-3's rules and draws.
  ['bench/templates-fidelity.ts', '--write'],
  // Writes its section of bench/RESULTS.md; its flags (sizes, sections) can be passed to npm run bench.
  ['bench/pipeline.ts', '--write', ...process.argv.slice(2)],
  // The continuous-batching engine sim (its own flags; run it alone to pass them).
  ['bench/engine.ts', '--write'],
  // What a synth SIGKILL wastes on the engines, with and without kept answers and engines.
  ['bench/crash-waste.ts', '--write'],
  // Hostile clients against ingest and the tap: latency of a legitimate client, RSS, cut-offs.
  ['bench/hostile.ts', '--write'],
];
const failed: string[] = [];
const started = Date.now();
for (const [file, ...args] of runs) {
  console.log(`\n=== ${file} ${args.join(' ')}`);
  const t = Date.now();
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'run-ts.js'), file, ...args], {
    cwd: REPO,
    stdio: 'inherit',
  });
  console.log(`=== ${file}: exit ${r.status ?? r.signal} after ${((Date.now() - t) / 1000).toFixed(0)} s`);
  if (r.status !== 0) failed.push(file);
}
console.log(
  `\nbench: ${((Date.now() - started) / 60_000).toFixed(1)} min; ${failed.length ? `failed: ${failed.join(', ')}` : 'all passed'}`,
);
process.exitCode = failed.length ? 1 : 0;
