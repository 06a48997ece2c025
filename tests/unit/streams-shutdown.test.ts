import { describe, expect, it } from 'vitest';
import { Shutdown } from '../../lib/streams/shutdown.ts';

describe('Shutdown', () => {
  it('stops in reverse start order, and a failing stop does not keep the others running', async () => {
    const stopped: string[] = [];
    const shutdown = new Shutdown();
    shutdown.add('assemble', () => {
      stopped.push('assemble');
    });
    shutdown.add('synth', async () => {
      stopped.push('synth');
      throw new Error('synth would not stop');
    });
    shutdown.add('ingest', async () => {
      stopped.push('ingest');
    });
    await expect(shutdown.stop()).rejects.toThrow('synth would not stop');
    expect(stopped).toEqual(['ingest', 'synth', 'assemble']);
  });

  it('stops each thing once, however often stop is called', async () => {
    let stops = 0;
    const shutdown = new Shutdown();
    shutdown.add('service', async () => {
      stops++;
    });
    await Promise.all([shutdown.stop(), shutdown.stop()]);
    await shutdown.stop();
    expect(stops).toBe(1);
  });
});
