import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, type StackConfig, VERSIONS } from './config.ts';

/** Runs a setup command to completion; on failure throws with its output so the user sees why. */
function run(command: string, args: string[], what: string, cwd = REPO_ROOT): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${what}: cannot run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${what} failed (exit ${result.status}):\n${output}`);
  }
}

type Say = (line: string) => void;

/** The Kafka broker's jars and their runtime dependencies, resolved by Maven into the user cache. */
export function ensureKafka(cfg: StackConfig, say: Say): string {
  const libs = join(cfg.cacheDir, `kafka-${VERSIONS.kafka}`, 'libs');
  if (existsSync(join(libs, '.complete'))) return libs;
  say(`fetching Apache Kafka ${VERSIONS.kafka} jars from Maven Central into ${libs} …`);
  const partial = `${libs}.partial`;
  rmSync(partial, { recursive: true, force: true });
  run(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(REPO_ROOT, 'stack', 'kafka-deps.pom.xml'),
      `-Dkafka.version=${VERSIONS.kafka}`,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${partial}`,
      '-DincludeScope=runtime',
    ],
    'Maven fetch of the Kafka broker',
  );
  writeFileSync(join(partial, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(libs, { recursive: true, force: true });
  mkdirSync(join(libs, '..'), { recursive: true });
  renameSync(partial, libs);
  return libs;
}

/** Apicurio Registry's Quarkus fast-jar distribution, fetched by Maven and unpacked into the user cache. */
export function ensureApicurio(cfg: StackConfig, say: Say): string {
  const home = join(cfg.cacheDir, `apicurio-registry-${VERSIONS.apicurio}`);
  const jar = join(home, 'quarkus-run.jar');
  if (existsSync(jar)) return jar;
  const coords = `io.apicurio:apicurio-registry-app:${VERSIONS.apicurio}:tar.gz:all`;
  say(`fetching Apicurio Registry ${VERSIONS.apicurio} (${coords}) from Maven Central …`);
  run(
    'mvn',
    ['-q', '-B', 'dependency:get', `-Dartifact=${coords}`, '-Dtransitive=false'],
    'Maven fetch of Apicurio',
  );
  const tarball = join(
    process.env.MAVEN_REPO ?? join(homedir(), '.m2', 'repository'),
    'io/apicurio/apicurio-registry-app',
    VERSIONS.apicurio,
    `apicurio-registry-app-${VERSIONS.apicurio}-all.tar.gz`,
  );
  const partial = `${home}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  run('tar', ['xzf', tarball, '-C', partial], 'unpacking Apicurio');
  if (!existsSync(join(partial, 'quarkus-run.jar'))) throw new Error(`no quarkus-run.jar in ${tarball}`);
  rmSync(home, { recursive: true, force: true });
  renameSync(partial, home);
  return jar;
}

/**
 * PyTriton's Python 3.11 backend stub links the system libpython3.11, so the venv must be built from the
 * system interpreter (Debian's /usr/bin/python3.11): a venv from another 3.11 build mixes two stdlibs
 * and the stub dies at model load.
 */
function systemPython(): string {
  if (process.env.IPT_PYTHON) return process.env.IPT_PYTHON;
  return existsSync('/usr/bin/python3.11') ? '/usr/bin/python3.11' : 'python3.11';
}

/** The project virtualenv with PyTriton; reinstalled when triton/requirements.txt changes. */
export function ensureVenv(cfg: StackConfig, say: Say): string {
  const python = join(cfg.venvDir, 'bin', 'python');
  const requirements = join(REPO_ROOT, 'triton', 'requirements.txt');
  const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const marker = join(cfg.venvDir, '.ipt-requirements');
  if (existsSync(python) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === wanted)
    return python;
  if (!existsSync(python)) {
    say(`creating the project virtualenv ${cfg.venvDir} …`);
    run(systemPython(), ['-m', 'venv', cfg.venvDir], 'creating the virtualenv');
  }
  say('installing Python packages (nvidia-pytriton …) into the virtualenv …');
  run(
    python,
    ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', requirements],
    'pip install',
  );
  writeFileSync(marker, `${wanted}\n`);
  return python;
}
