import { describe, expect, it } from 'vitest';
import {
  IllegalTransitionError,
  type PartitionPhase,
  PartitionState,
} from '../../lib/streams/partition-state.ts';

const PHASES: PartitionPhase[] = ['fencing', 'restoring', 'running', 'processing', 'closed'];
// The only ways a partition may move; everything else is a runtime bug.
const LEGAL = new Set([
  'fencing→restoring',
  'fencing→closed',
  'restoring→running',
  'restoring→closed',
  'running→processing',
  'running→closed',
  'processing→running',
  'processing→closed',
]);

/** A state machine driven to `phase` along legal transitions. */
function at(phase: PartitionPhase): PartitionState {
  const state = new PartitionState(7);
  const path: Record<PartitionPhase, PartitionPhase[]> = {
    fencing: [],
    restoring: ['restoring'],
    running: ['restoring', 'running'],
    processing: ['restoring', 'running', 'processing'],
    closed: ['closed'],
  };
  for (const next of path[phase]) state.to(next);
  return state;
}

describe('PartitionState', () => {
  it('starts fencing', () => {
    expect(new PartitionState(0).phase).toBe('fencing');
  });

  for (const from of PHASES) {
    for (const to of PHASES) {
      const legal = LEGAL.has(`${from}→${to}`);
      it(`${from} → ${to} is ${legal ? 'allowed' : 'refused'}`, () => {
        const state = at(from);
        expect(state.can(to)).toBe(legal);
        if (legal) {
          state.to(to);
          expect(state.phase).toBe(to);
        } else {
          expect(() => state.to(to)).toThrow(IllegalTransitionError);
          expect(state.phase).toBe(from);
        }
      });
    }
  }

  it('closes from any phase once; closing again reports that it was closed already', () => {
    for (const phase of PHASES.filter((p) => p !== 'closed')) {
      const state = at(phase);
      expect(state.close()).toBe(true);
      expect(state.closed).toBe(true);
      expect(state.close()).toBe(false);
    }
  });
});
