import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

/** A similarity threshold: a number in (0, 1]. */
export function similarityThreshold(value: string): number {
  const x = Number(value);
  if (!(x > 0 && x <= 1)) throw new InvalidArgumentError('must be a number in (0, 1]');
  return x;
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port (0–65535)');
  return n;
}

export const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * --triton-grpc: `auto` (each endpoint's HTTP port + 1, Triton's layout), `off`, or host:port
 * addresses, comma-separated.
 */
export function grpcSetting(value: string): string[] | boolean {
  if (value === 'auto') return true;
  if (value === 'off') return false;
  const addresses = commaList(value);
  for (const a of addresses) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(a)) {
      throw new InvalidArgumentError(`${a} is not host:port (or give auto / off)`);
    }
  }
  if (addresses.length === 0) throw new InvalidArgumentError('no address given (or give auto / off)');
  return addresses;
}

const requiredSettings = new WeakSet<Option>();

/** Whether a command of withConfigFile needs this option from a flag, the environment or the file. */
export function isRequiredSetting(option: Option): boolean {
  return option.mandatory || requiredSettings.has(option);
}

/**
 * Adds `--config <file>` (env IPT_CONFIG): a JSON object whose keys are the command's option names in
 * camelCase. Precedence is flag > environment > file > default. File values go through the option's
 * own parser, so they are validated exactly like flags and a bad one stops the command with the key's
 * name.
 */
export function withConfigFile(command: Command): Command {
  command.addOption(
    new Option('--config <file>', 'JSON file of settings (keys: option names in camelCase)').env(
      'IPT_CONFIG',
    ),
  );
  // commander checks mandatory options before any hook runs, which would refuse a value the file
  // supplies; check them here instead, once the file is applied.
  const mandatory = command.options.filter((o) => o.mandatory);
  for (const option of mandatory) {
    option.mandatory = false;
    requiredSettings.add(option);
  }
  command.hook('preAction', (cmd) => {
    applyConfigFile(cmd);
    for (const option of mandatory) {
      if (cmd.getOptionValue(option.attributeName()) === undefined) {
        cmd.error(`error: required option '${option.flags}' not specified (flag, environment or --config)`);
      }
    }
  });
  return command;
}

function applyConfigFile(cmd: Command): void {
  const file = cmd.getOptionValue('config') as string | undefined;
  if (!file) return;
  const fail: (message: string) => never = (message) => cmd.error(`error: config file ${file}: ${message}`);
  let settings: Record<string, unknown>;
  try {
    settings = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    fail((error as Error).message);
  }
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    fail('must hold a JSON object');
  }
  const known = new Map(cmd.options.map((o) => [o.attributeName(), o]));
  for (const [key, raw] of Object.entries(settings)) {
    const option = known.get(key);
    if (!option || key === 'config') fail(`unknown setting "${key}"`);
    const source = cmd.getOptionValueSource(key);
    if (source === 'cli' || source === 'env') continue;
    let value: unknown = raw;
    if (option.parseArg && (typeof raw === 'string' || typeof raw === 'number')) {
      try {
        value = option.parseArg(String(raw), undefined as never);
      } catch (error) {
        fail(`"${key}" ${(error as Error).message}`);
      }
    }
    cmd.setOptionValueWithSource(key, value, 'config');
  }
}
