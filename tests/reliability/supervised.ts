// The chaos run's services: `ipt synth` and `ipt assemble` as child processes the driver keeps running —
// SIGKILLed on purpose and restarted, and restarted (and reported) when they die on their own.

import { setTimeout as sleep } from 'node:timers/promises';
import { type ServiceProcess, spawnIpt } from '../helpers/service-process.ts';

export const log = (line: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

export class Supervised {
  proc: ServiceProcess | undefined;
  startedAt = 0;
  kills = 0;
  /** When each SIGKILL landed. */
  readonly killedAt: number[] = [];
  /** What was going on when it died on its own, and its last log lines. */
  readonly unplannedExits: { during: string; tail: string }[] = [];

  /** `during` says what the driver is doing now, to tell when the service died on its own. */
  constructor(
    readonly name: string,
    private readonly args: () => string[],
    private readonly during: () => string,
  ) {}

  start(): void {
    this.proc = spawnIpt(this.args(), this.name);
    this.startedAt = Date.now();
  }

  /** SIGKILL: a crash, nothing flushed. */
  async kill(): Promise<void> {
    this.killedAt.push(Date.now());
    await this.proc?.kill();
    this.kills++;
  }

  /** Restarts the service if it died on its own (a crash on a broker fault, say) and records why. */
  watch(): void {
    if (!this.proc || this.proc.alive()) return;
    const tail = this.proc.tail(15);
    const during = `${this.during()}, ${((Date.now() - this.startedAt) / 1000).toFixed(0)} s after it started`;
    this.unplannedExits.push({ during, tail });
    log(
      `${this.name} exited on its own during ${during} (pid ${this.proc.pid}, log ${this.proc.log}); restarting. Last lines:\n${tail}`,
    );
    this.start();
  }
}

/** Waits for `until` (a promise or a condition) while keeping the services running. */
export async function supervise(
  services: readonly Supervised[],
  until: Promise<unknown> | (() => boolean),
): Promise<void> {
  let settled = false;
  const done = typeof until === 'function' ? undefined : until.finally(() => (settled = true));
  // A rejection surfaces from `await done` below, once the loop has seen it settle.
  done?.catch(() => {});
  for (;;) {
    for (const s of services) s.watch();
    if (typeof until === 'function' ? until() : settled) break;
    await sleep(250);
  }
  await done;
}
