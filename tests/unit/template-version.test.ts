// A template set this build does not have is refused before anything starts — by the commands
// (one line, the CLI's usual usage error) and by the services (an exception before any
// connection: the broker and registry addresses below lead nowhere) — instead of dead-lettering
// every chain once running.

import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { assembleCommand } from '../../cli/assemble.ts';
import { reassembleCommand } from '../../cli/replay.ts';
import { runCommand } from '../../cli/run.ts';
import {
  checkTemplateVersion,
  isTemplateVersion,
  TEMPLATE_VERSION,
  TEMPLATE_VERSIONS,
} from '../../core/templates/version.ts';
import { topicsFor } from '../../lib/topics.ts';
import { startAssemble } from '../../services/assemble/main.ts';
import { runReassemble } from '../../services/replay/reassemble.ts';

const NOWHERE = { brokers: ['127.0.0.1:1'], registryUrl: 'http://127.0.0.1:1' };

/** Parses `args` with the command's own options; its action never runs. */
async function parse(command: Command, args: string[]): Promise<string> {
  const c = command
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} })
    .action(() => {});
  for (const sub of c.commands) sub.exitOverride();
  return c.parseAsync(args, { from: 'user' }).then(
    () => 'parsed',
    (error: Error) => error.message,
  );
}

describe('template versions', () => {
  it('new runs default to the newest set; both sets are known', () => {
    expect(TEMPLATE_VERSIONS).toEqual(['ipt-templates-1', 'ipt-templates-2', 'ipt-templates-3']);
    expect(TEMPLATE_VERSION).toBe('ipt-templates-3');
    expect(isTemplateVersion('ipt-templates-1')).toBe(true);
    expect(isTemplateVersion('ipt-templates-0')).toBe(false);
    expect(() => checkTemplateVersion('v9')).toThrow(
      'template version "v9" is not available (this build has ipt-templates-1, ipt-templates-2, ipt-templates-3)',
    );
  });

  it('assemble, run and reassemble refuse an unknown --template-version in one line', async () => {
    const refusal =
      "error: option '--template-version <v>' argument 'v9' is invalid. Allowed choices are ipt-templates-1, ipt-templates-2, ipt-templates-3.";
    expect(await parse(assembleCommand(), ['--template-version', 'v9'])).toBe(refusal);
    expect(await parse(runCommand(), ['--run-id', 'r', '--template-version', 'v9'])).toBe(refusal);
    expect(
      await parse(reassembleCommand(), ['--from-run', 'a', '--run-id', 'b', '--template-version', 'v9']),
    ).toBe(refusal);
    expect(await parse(assembleCommand(), ['--template-version', 'ipt-templates-1'])).toBe('parsed');
    expect(await parse(reassembleCommand(), ['--from-run', 'a', '--run-id', 'b'])).toBe('parsed');
  });

  it('the services refuse it before connecting to anything', async () => {
    await expect(startAssemble({ ...NOWHERE, templateVersion: 'v9' })).rejects.toThrow(
      'template version "v9" is not available',
    );
    await expect(
      runReassemble({
        ...NOWHERE,
        topics: topicsFor(undefined),
        fromRun: 'a',
        runId: 'b',
        templateVersion: 'v9',
      }),
    ).rejects.toThrow(
      '--template-version "v9" is not available (this build has ipt-templates-1, ipt-templates-2, ipt-templates-3)',
    );
  });
});
