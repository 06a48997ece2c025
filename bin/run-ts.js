#!/usr/bin/env node
import { resolve } from 'node:path';
// Runs a TypeScript entry point (benchmarks, scripts) through tsx: `node bin/run-ts.js file.ts args…`.
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bin/run-ts.js <file.ts> [args…]');
  process.exit(2);
}
process.argv = [process.argv[0] ?? 'node', file, ...rest];
register();
await import(pathToFileURL(resolve(file)).href);
