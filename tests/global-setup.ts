import { stackConfig } from '../stack/config.ts';
import { up } from '../stack/stack.ts';

/** Integration tests run against the real local stack; `up` is idempotent, so this is cheap when it runs. */
export default async function setup(): Promise<void> {
  await up(stackConfig(), (line) => console.error(`[stack] ${line}`));
}
