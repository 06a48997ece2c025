#!/usr/bin/env node
// What `npm run demo` and `npm test` need before they start, set up on the spot so that a fresh
// clone needs nothing else: the system packages the stack's components run on (apt-get when root,
// else one line naming the command), then the Node dependencies from the lock file. Plain Node with
// no dependencies, since it runs before they exist. Fast when everything is already there.
//
//   node bin/setup.js demo|test

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const purpose = process.argv[2];
if (purpose !== 'demo' && purpose !== 'test') {
  console.error('usage: node bin/setup.js demo|test');
  process.exit(2);
}
const say = (line) => console.error(`[setup] ${line}`);

function fail(line) {
  console.error(`[setup] ${line}`);
  process.exit(1);
}

/** The command's output when it ran and exited 0, else undefined. */
function output(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? `${result.stdout}${result.stderr}` : undefined;
}

const runs = (command, args) => output(command, args) !== undefined;

function javaMajor(java) {
  const match = /version "(\d+)/.exec(output(java, ['-version']) ?? '');
  return match ? Number(match[1]) : 0;
}

/** A JDK 21+ for the schema registry: $IPT_REGISTRY_JAVA, $JAVA_HOME, java, or any under /usr/lib/jvm. */
function hasJava21() {
  const candidates = [
    process.env.IPT_REGISTRY_JAVA,
    process.env.JAVA_HOME && join(process.env.JAVA_HOME, 'bin/java'),
    'java',
  ];
  if (existsSync('/usr/lib/jvm'))
    for (const d of readdirSync('/usr/lib/jvm')) candidates.push(join('/usr/lib/jvm', d, 'bin/java'));
  return candidates.some((java) => java && javaMajor(java) >= 21);
}

/** Debian packages missing for this purpose (Kafka: Java 17; Maven fetches the jars; PyTriton: system Python 3.11). */
function missingPackages() {
  const missing = [];
  if (javaMajor('java') < 17) missing.push('openjdk-17-jre-headless');
  if (!runs('mvn', ['--version'])) missing.push('maven');
  if (!process.env.IPT_PYTHON) {
    if (!existsSync('/usr/bin/python3.11')) missing.push('python3.11');
    if (!runs('/usr/bin/python3.11', ['-c', 'import venv, ensurepip'])) missing.push('python3.11-venv');
    if (!existsSync('/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0')) missing.push('libpython3.11');
  }
  // The tap's page is tested in headless Chromium.
  if (purpose === 'test' && !existsSync('/usr/bin/chromium')) missing.push('chromium');
  return [...new Set(missing)];
}

function systemPackages() {
  const missing = missingPackages();
  if (missing.length > 0) {
    const command = `apt-get install -y ${missing.join(' ')}`;
    const root = process.getuid?.() === 0;
    if (!root || !runs('apt-get', ['--version']))
      fail(`missing system packages; install them with: sudo ${command}`);
    say(`installing system packages with apt-get: ${missing.join(', ')} (a minute or two) …`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [
      ['update', '-qq'],
      ['install', '-y', '-qq', ...missing],
    ]) {
      const result = spawnSync('apt-get', args, { env, encoding: 'utf8' });
      if (result.status !== 0)
        fail(
          `apt-get ${args.join(' ')} failed:\n${`${result.stdout}${result.stderr}`.trim().split('\n').slice(-15).join('\n')}`,
        );
    }
    const still = missingPackages();
    if (still.length > 0) fail(`still missing after apt-get: ${still.join(', ')}`);
  }
  if (!hasJava21()) {
    fail(
      'the schema registry (Apicurio 3.3) needs a JDK 21 or newer, which Debian 12 does not package: install one (e.g. Temurin) under /usr/lib/jvm, or set IPT_REGISTRY_JAVA to its java binary',
    );
  }
}

/** `npm ci` when node_modules was not installed from this exact lock file. */
function nodeDependencies() {
  const lock = readFileSync(join(ROOT, 'package-lock.json'));
  const wanted = createHash('sha256')
    .update(lock)
    .update(readFileSync(join(ROOT, 'package.json')))
    .digest('hex');
  const marker = join(ROOT, 'node_modules', '.ipt-installed');
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === wanted) return;
  say('installing Node dependencies from package-lock.json (npm ci, about 20 s) …');
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const [command, ...prefix] = npm;
  const result = spawnSync(command, [...prefix, 'ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0)
    fail(`npm ci failed:\n${`${result.stdout}${result.stderr}`.trim().split('\n').slice(-20).join('\n')}`);
  writeFileSync(marker, `${wanted}\n`);
}

const started = Date.now();
systemPackages();
nodeDependencies();
if (Date.now() - started > 2000) say(`ready (${((Date.now() - started) / 1000).toFixed(0)} s)`);
