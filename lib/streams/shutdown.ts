import type { Logger } from '../log.ts';

/**
 * Things started in order, stopped in the reverse order: what was started last (upstream, or what
 * depends on the rest) stops first. A stop that throws is logged and does not keep the others
 * from stopping; the first error is rethrown once all have been tried.
 */
export class Shutdown {
  private readonly started: { name: string; stop: () => Promise<void> | void }[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly log?: Logger) {}

  add(name: string, stop: () => Promise<void> | void): void {
    this.started.push({ name, stop });
  }

  /** Stops everything added so far; calling it again waits for the same stop. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const { name, stop } of this.started.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        this.log?.error({ err: error, service: name }, 'stop failed');
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
