#!/usr/bin/env node
// `npm test` once its pretest (setup, typecheck, lint) is done: the suite's parts, side by side where
// they do not compete, and how long each took. First the shared dev stack is brought up (it also
// makes the Python virtualenv); then the vitest suite (unit, integration and e2e on that stack) and
// the Python model tests run at once — the model tests mostly wait on servers they start —, then the
// reduced reliability run on its private stack. The vitest output streams as
// it comes; the Python output is shown when that part ends (whole if it failed), so the console reads
// one part at a time. Every part runs even if one before failed, so one run shows every failure.
//
//   node bin/test.js

import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, NO_COLOR: '1' };
const say = (line) => console.error(`[test] ${line}`);

function duration(ms) {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** Runs one part; `live` streams its output, otherwise it is kept and returned. */
function part(name, command, args, { live, extraEnv = {} }) {
  const started = Date.now();
  say(`${name}: ${[command, ...args].join(' ')}`);
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...env, ...extraEnv },
    stdio: live ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  const chunks = [];
  child.stdout?.on('data', (c) => chunks.push(c));
  child.stderr?.on('data', (c) => chunks.push(c));
  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ name, code: 1, ms: Date.now() - started, output: String(error) }));
    child.on('close', (code, signal) =>
      resolve({
        name,
        code: code ?? (signal ? 1 : 0),
        ms: Date.now() - started,
        output: Buffer.concat(chunks).toString(),
      }),
    );
  });
}

function report(result) {
  const verdict = result.code === 0 ? 'passed' : `FAILED (exit ${result.code})`;
  if (result.output !== '') {
    const lines = result.output.trimEnd().split('\n');
    const shown = result.code === 0 ? lines.slice(-3) : lines;
    console.error(shown.map((l) => `[${result.name}] ${l}`).join('\n'));
  }
  say(`${result.name}: ${verdict} in ${duration(result.ms)}`);
}

const started = Date.now();
const stack = await part('stack', process.execPath, [join(ROOT, 'bin', 'ipt.js'), 'stack', 'up'], {
  live: true,
});
if (stack.code !== 0) {
  report(stack);
  process.exit(1);
}
const python = part('python', join(ROOT, '.venv', 'bin', 'python'), ['-m', 'pytest', '-q', 'triton/tests'], {
  live: false,
});
const vitest = await part('vitest', 'npx', ['vitest', 'run'], { live: true });
const results = [stack, vitest, await python];
report(vitest);
report(results[2]);
const reliability = await part(
  'reliability',
  'npx',
  ['vitest', 'run', '--config', 'vitest.reliability.config.ts'],
  {
    live: true,
    extraEnv: { IPT_RELIABILITY: 'ci' },
  },
);
results.push(reliability);
report(reliability);

const failed = results.filter((r) => r.code !== 0);
say(
  `${results.map((r) => `${r.name} ${duration(r.ms)}`).join(', ')}; whole suite ${duration(Date.now() - started)} — ` +
    (failed.length === 0 ? 'all passed' : `FAILED: ${failed.map((r) => r.name).join(', ')}`),
);
process.exitCode = failed.length === 0 ? 0 : 1;
