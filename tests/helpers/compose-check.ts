// Static checks of docker-compose.yml against the CLI it runs (there is no Docker engine here to try
// it): every ipt container's command is a real `ipt` command, every IPT_* variable it sets is one that
// command reads, defaults equal the code's, servers bind 0.0.0.0, healthchecks probe the configured
// ports, dependencies wait for health, and Triton loads models that exist in triton/model_repository.

import type { Command, Option } from 'commander';
import { parse } from 'yaml';
import { isRequiredSetting } from '../../lib/cli-options.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type ComposeFile = {
  services: Record<string, Service>;
  [key: string]: Json | Record<string, Service>;
};
export type Service = { [key: string]: Json };

/** Compose's variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR, and $$ for a dollar. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, op?: string, fallback?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare) as string;
      const value = env[name];
      if (op === ':-') return value ? value : interpolate(fallback ?? '', env);
      if (op === '-') return value !== undefined ? value : interpolate(fallback ?? '', env);
      return value ?? '';
    },
  );
}

function interpolateAll(value: unknown, env: Record<string, string | undefined>): Json {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, env));
  if (value && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateAll(v, env);
    return out;
  }
  return value as Json;
}

/** Parses a compose file (YAML merge keys resolved) and interpolates it with `env` (empty: the defaults). */
export function loadCompose(text: string, env: Record<string, string | undefined> = {}): ComposeFile {
  return interpolateAll(parse(text, { merge: true }), env) as ComposeFile;
}

/** KEY=VALUE lines of an env file (comments and blank lines skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1] as string] = (m[2] as string).trim();
  }
  return out;
}

/** One option of an `ipt` command, as the commander definition declares it. */
export interface CliOption {
  flag: string;
  env: string | undefined;
  defaultValue: unknown;
  required: boolean;
}

/** `ipt` commands by path ("synth", "topics create") with their options. */
export type CliCommands = Map<string, CliOption[]>;

export function describeCommands(commands: Command[], prefix = ''): CliCommands {
  const out: CliCommands = new Map();
  for (const command of commands) {
    const path = prefix ? `${prefix} ${command.name()}` : command.name();
    out.set(
      path,
      command.options.map((o: Option) => ({
        flag: o.long ?? o.flags,
        env: o.envVar,
        defaultValue: o.defaultValue,
        required: isRequiredSetting(o),
      })),
    );
    for (const [sub, options] of describeCommands(command.commands as Command[], path)) out.set(sub, options);
  }
  return out;
}

/** IPT_* variables a process reads directly (logging, debugging), found in the sources. */
export function processWideVariables(sources: string[]): Set<string> {
  const names = new Set<string>();
  for (const source of sources) {
    for (const m of source.matchAll(/process\.env(?:\.|\[['"])(IPT_[A-Z0-9_]+)/g)) names.add(m[1] as string);
  }
  return names;
}

export interface CheckContext {
  commands: CliCommands;
  /** Variables any ipt process reads besides its command's options. */
  processWide: Set<string>;
  /** Model directories of triton/model_repository. */
  models: Set<string>;
  /** Stage names of the Dockerfile. */
  dockerfileStages: Set<string>;
  /** Commands allowed to be missing from `commands` (not written yet); their services are not checked. */
  pending?: Set<string>;
  /** Compare the variables' values with the code's defaults (true unless the file was given other values). */
  checkDefaults?: boolean;
}

/** Settings that differ from the local stack on purpose inside the compose network. */
const CONTAINER_SPECIFIC = new Set([
  'IPT_KAFKA_BROKERS',
  'IPT_REGISTRY_URL',
  'IPT_TRITON_URLS',
  // the GPU model by default; the cpu profile sets instruction_synthesizer_cpu (the local default)
  'IPT_MODEL',
]);

/** Variables that must be set in a container, because without them the CLI reads the local stack's endpoints file. */
const NEEDED_IN_CONTAINER = ['IPT_KAFKA_BROKERS', 'IPT_REGISTRY_URL', 'IPT_TRITON_URLS'];

const str = (v: Json | undefined): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

function environmentOf(service: Service): Record<string, string> {
  const env = service.environment;
  const out: Record<string, string> = {};
  if (Array.isArray(env)) {
    for (const item of env) {
      const [k, ...v] = String(item).split('=');
      out[k as string] = v.join('=');
    }
  } else if (env && typeof env === 'object') {
    for (const [k, v] of Object.entries(env)) out[k] = str(v) ?? '';
  }
  return out;
}

function words(value: Json | undefined): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v));
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  return [];
}

function dependsOn(service: Service): Record<string, { condition?: string; required?: boolean }> {
  const d = service.depends_on;
  if (Array.isArray(d)) return Object.fromEntries(d.map((name) => [String(name), {}]));
  if (d && typeof d === 'object')
    return d as unknown as Record<string, { condition?: string; required?: boolean }>;
  return {};
}

function healthUrl(service: Service): URL | undefined {
  const test = (service.healthcheck as { test?: Json } | undefined)?.test;
  const url = words(test).find((w) => /^https?:\/\//.test(w));
  return url ? new URL(url) : undefined;
}

function publishedContainerPorts(service: Service): number[] {
  const ports = Array.isArray(service.ports) ? service.ports : [];
  return ports.map((p) => {
    if (p && typeof p === 'object' && !Array.isArray(p)) return Number((p as { target?: Json }).target);
    const parts = String(p).split('/')[0]?.split(':') ?? [];
    return Number(parts[parts.length - 1]);
  });
}

/** Names a service answers to on the compose network. */
function networkNames(name: string, service: Service): string[] {
  const names = [name];
  if (typeof service.hostname === 'string') names.push(service.hostname);
  const networks = service.networks;
  if (networks && typeof networks === 'object' && !Array.isArray(networks)) {
    for (const net of Object.values(networks)) {
      const aliases = (net as { aliases?: Json } | null)?.aliases;
      if (Array.isArray(aliases)) names.push(...aliases.map(String));
    }
  }
  return names;
}

const isJob = (service: Service) => service.restart === 'no';
const isTriton = (service: Service) => words(service.command)[0] === 'tritonserver';
const tritonArg = (service: Service, name: string) =>
  words(service.command)
    .find((w) => w.startsWith(`--${name}=`))
    ?.slice(name.length + 3);

/** Returns every inconsistency found, as one sentence each; empty when the file is consistent. */
export function checkCompose(compose: ComposeFile, ctx: CheckContext): string[] {
  const problems: string[] = [];
  const services = compose.services ?? {};
  const hostNames = new Map<string, string>();
  for (const [name, service] of Object.entries(services))
    for (const host of networkNames(name, service)) hostNames.set(host, name);

  for (const [name, service] of Object.entries(services)) {
    if (!service.image && !service.build) problems.push(`${name}: neither image nor build`);
    if (!service.healthcheck && !isJob(service)) problems.push(`${name}: no healthcheck`);

    for (const [dep, spec] of Object.entries(dependsOn(service))) {
      const target = services[dep];
      if (!target) {
        problems.push(`${name}: depends on unknown service ${dep}`);
        continue;
      }
      const wanted = isJob(target) ? 'service_completed_successfully' : 'service_healthy';
      if (spec.condition !== wanted)
        problems.push(`${name}: depends_on ${dep} must use condition ${wanted}, has ${spec.condition}`);
      if (wanted === 'service_healthy' && !target.healthcheck)
        problems.push(`${name}: waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
    }

    if (isTriton(service)) checkTriton(name, service, ctx, problems);
    if (service.build) checkIptService(name, service, services, hostNames, ctx, problems);
  }
  return problems;
}

function checkTriton(name: string, service: Service, ctx: CheckContext, problems: string[]): void {
  const repository = tritonArg(service, 'model-repository');
  const volumes = words(service.volumes);
  if (!repository) problems.push(`${name}: tritonserver without --model-repository`);
  else if (!volumes.some((v) => /^\.\/triton:/.test(v) && repository.startsWith(`${v.split(':')[1]}/`)))
    problems.push(`${name}: --model-repository ${repository} is not inside the mounted ./triton`);
  const model = tritonArg(service, 'load-model');
  if (!model) problems.push(`${name}: tritonserver loads no model explicitly (--load-model)`);
  else if (!ctx.models.has(model)) problems.push(`${name}: model ${model} is not in triton/model_repository`);
  const devices = JSON.stringify(service.deploy ?? {});
  if (devices.includes('"gpu"') && !words(service.profiles).length)
    problems.push(`${name}: reserves a GPU but is in no profile (the cpu profile could not go without it)`);
}

function checkIptService(
  name: string,
  service: Service,
  services: Record<string, Service>,
  hostNames: Map<string, string>,
  ctx: CheckContext,
  problems: string[],
): void {
  const build = service.build as { dockerfile?: string; target?: string } | string;
  const target = typeof build === 'object' ? build.target : undefined;
  if (typeof build !== 'object' || build.dockerfile !== 'Dockerfile')
    problems.push(`${name}: must build from the root Dockerfile`);
  if (target && !ctx.dockerfileStages.has(target))
    problems.push(`${name}: build target ${target} is not a stage of the Dockerfile`);

  // The command: the longest run of leading words that names an ipt command, then its flags.
  const argv = words(service.command);
  let path = '';
  let rest = argv;
  for (let i = argv.length; i > 0; i--) {
    const candidate = argv.slice(0, i).join(' ');
    if (ctx.commands.has(candidate) || ctx.pending?.has(candidate)) {
      path = candidate;
      rest = argv.slice(i);
      break;
    }
  }
  if (!path) {
    problems.push(`${name}: command "${argv.join(' ')}" is not an ipt command`);
    return;
  }
  const options = ctx.commands.get(path);
  if (!options) return; // a pending command: nothing to check it against yet
  const byEnv = new Map(options.filter((o) => o.env).map((o) => [o.env as string, o]));
  for (const word of rest) {
    const flag = word.split('=')[0] as string;
    if (flag.startsWith('--') && !options.some((o) => o.flag === flag))
      problems.push(`${name}: \`ipt ${path}\` has no option ${flag}`);
  }

  const env = environmentOf(service);
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith('IPT_') && variable !== 'NODE_OPTIONS')
      problems.push(`${name}: sets ${variable}, which ipt does not read`);
    else if (variable.startsWith('IPT_') && !byEnv.has(variable) && !ctx.processWide.has(variable))
      problems.push(`${name}: sets ${variable}, which \`ipt ${path}\` does not read`);
  }
  const effective = (option: CliOption): string | undefined =>
    option.env && env[option.env] ? env[option.env] : (str(option.defaultValue as Json) ?? undefined);

  for (const option of options) {
    const value = option.env ? env[option.env] : undefined;
    const given = rest.some((w) => w.split('=')[0] === option.flag);
    if (option.required && !value && !given)
      problems.push(`${name}: \`ipt ${path}\` needs ${option.flag} (${option.env ?? 'flag'})`);
    if (option.env && NEEDED_IN_CONTAINER.includes(option.env) && !value && !given)
      problems.push(
        `${name}: ${option.env} must be set (else ipt looks for the local stack's endpoints file)`,
      );
    if (/-host$/.test(option.flag) && option.defaultValue === '127.0.0.1' && value !== '0.0.0.0')
      problems.push(
        `${name}: ${option.flag} must be 0.0.0.0 in a container (${option.env} is ${value ?? 'unset'})`,
      );
    const compareDefault = ctx.checkDefaults !== false && option.defaultValue !== undefined;
    if (value && option.env && compareDefault && !CONTAINER_SPECIFIC.has(option.env)) {
      const codeDefault = Array.isArray(option.defaultValue)
        ? option.defaultValue.join(',')
        : String(option.defaultValue);
      if (!/-host$/.test(option.flag) && value !== codeDefault)
        problems.push(
          `${name}: ${option.env} defaults to ${value}, but \`ipt ${path}\` defaults to ${codeDefault}`,
        );
    }
  }

  // Ports: healthcheck and published ports must be ports the command listens on.
  const listening = new Set(
    options
      .filter((o) => /-port$/.test(o.flag))
      .map(effective)
      .filter((v): v is string => v !== undefined)
      .map(Number),
  );
  const health = healthUrl(service);
  if (!isJob(service)) {
    if (!health) problems.push(`${name}: healthcheck probes no http URL`);
    else {
      if (!listening.has(Number(health.port)))
        problems.push(`${name}: healthcheck probes port ${health.port}, not one \`ipt ${path}\` listens on`);
      if (!['/readyz', '/healthz'].includes(health.pathname))
        problems.push(`${name}: healthcheck probes ${health.pathname}, not /readyz or /healthz`);
    }
  }
  for (const port of publishedContainerPorts(service))
    if (!listening.has(port))
      problems.push(`${name}: publishes container port ${port}, which nothing listens on`);

  // Endpoints must name services of this file (and Triton's configured HTTP port).
  const hosts = (variable: string) =>
    (env[variable] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => new URL(s.includes('://') ? s : `kafka://${s}`));
  for (const variable of ['IPT_KAFKA_BROKERS', 'IPT_REGISTRY_URL', 'IPT_TRITON_URLS']) {
    for (const url of hosts(variable)) {
      const target = hostNames.get(url.hostname);
      if (!target) {
        problems.push(`${name}: ${variable} names ${url.hostname}, which is no service of this file`);
        continue;
      }
      const targetService = services[target] as Service;
      if (variable === 'IPT_TRITON_URLS' && tritonArg(targetService, 'http-port') !== url.port)
        problems.push(
          `${name}: ${variable} uses port ${url.port}, ${target} serves HTTP on ${tritonArg(targetService, 'http-port')}`,
        );
    }
  }
  // The model synth asks for must be loaded by a Triton answering to the URL's host.
  const model = env.IPT_MODEL;
  if (model) {
    const loaders = hosts('IPT_TRITON_URLS').flatMap((url) =>
      Object.entries(services)
        .filter(([n, s]) => isTriton(s) && networkNames(n, s).includes(url.hostname))
        .map(([, s]) => tritonArg(s, 'load-model')),
    );
    if (!loaders.includes(model))
      problems.push(`${name}: IPT_MODEL ${model} is loaded by none of the Triton services it calls`);
  }
}
