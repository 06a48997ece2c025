// The chaos run's Triton faults: every endpoint stopped for a while, and one endpoint answering every
// request with an error for a while (serve.py --fault-file: while the file exists, requests fail and
// health stays ready). The run has two endpoints: the stack's and a second one this module owns.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackConfig } from '../../stack/config.ts';
import { startComponent, stopComponent } from '../../stack/stack.ts';
import { freePortTriple, type SpawnedTriton, spawnTriton } from '../helpers/triton-server.ts';
import type { FaultRecord } from './broker-faults.ts';

/** Failed requests a fault-switched serve.py logged (one "injected endpoint fault" per failed request or batch). */
function faultsIn(logFile: string): number {
  try {
    return readFileSync(logFile, 'utf8').split('injected endpoint fault').length - 1;
  } catch {
    return 0;
  }
}

export class TritonFaults {
  private second: SpawnedTriton | undefined;
  private readonly faultFile: string;
  /** The second endpoint's engine stats port (the stack's own is in its config). */
  private secondStatsPort = 0;

  constructor(
    private readonly cfg: StackConfig,
    private readonly serveArgs: string[],
    scratch: string,
    private readonly log: (line: string) => void,
  ) {
    this.faultFile = join(scratch, 'endpoint-fault');
  }

  private args(): string[] {
    return [
      ...this.serveArgs,
      '--fault-file',
      this.faultFile,
      '--engine-stats-port',
      String(this.secondStatsPort),
    ];
  }

  /** Starts the second endpoint (the one that will answer with errors for a while). */
  async start(): Promise<void> {
    this.secondStatsPort = await freePortTriple();
    this.second = await spawnTriton({ args: this.args() });
  }

  /** The engine sims' accounting of both endpoints (JSON stats), for the GPU work the run wasted. */
  statsUrls(): string[] {
    return [
      `http://127.0.0.1:${this.cfg.triton.engineStatsPort}/`,
      `http://127.0.0.1:${this.secondStatsPort}/`,
    ];
  }

  /** Both endpoints, for synth's --triton. */
  urls(): string[] {
    const url = this.second?.url;
    return [`http://127.0.0.1:${this.cfg.triton.httpPort}`, ...(url ? [url] : [])];
  }

  /** Stops every endpoint for `ms`, starts them again on the same ports; resolves once they are back. */
  async stopAll(ms: number, stages: string[]): Promise<FaultRecord> {
    const at = Date.now();
    this.log(`stopping every Triton endpoint for ${ms / 1000} s`);
    await Promise.all([stopComponent(this.cfg, 'triton', { graceMs: 5_000 }), this.second?.kill()]);
    await new Promise((r) => setTimeout(r, ms));
    const port = this.second?.httpPort;
    await this.second?.stop();
    [this.second] = await Promise.all([
      spawnTriton({ ...(port ? { httpPort: port } : {}), args: this.args() }),
      startComponent(this.cfg, 'triton', (line) => this.log(`[stack] ${line}`)),
    ]);
    const back = Date.now();
    this.log('Triton endpoints back');
    return {
      what: `triton-stop: every endpoint down ${((back - at) / 1000).toFixed(1)} s`,
      at,
      from: back,
      endedAt: back,
      stages,
    };
  }

  /** The second endpoint answers every request with an error for `ms`; the other keeps serving. */
  async endpointErrors(ms: number, stages: string[]): Promise<FaultRecord> {
    const at = Date.now();
    const server = this.second;
    this.log(`${server?.url} answers every request with an error for ${ms / 1000} s`);
    writeFileSync(this.faultFile, 'fault\n');
    await new Promise((r) => setTimeout(r, ms));
    rmSync(this.faultFile, { force: true });
    const failed = server ? faultsIn(server.log) : 0;
    this.log(`endpoint fault cleared; ${failed} requests were answered with an error`);
    return {
      what: `endpoint-fault: one endpoint erroring ${ms / 1000} s (${failed} requests failed)`,
      at,
      from: at,
      endedAt: Date.now(),
      stages,
    };
  }

  async stop(): Promise<void> {
    await this.second?.stop();
    rmSync(this.faultFile, { force: true });
  }
}
