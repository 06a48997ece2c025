// The life of one assigned input partition inside a stream runtime, as an explicit state machine.
// The runtime asks it before acting, so the rules that keep exactly-once live in one table:
// records are handed to the processor only while `running`, a transaction is cut only while
// `running` (never in the middle of a batch, which would split a batch's effects from its input
// position), and nothing of a `closed` partition is ever written again.

/**
 * - fencing: the partition's transactional producer is being opened (fences any earlier owner);
 * - restoring: the committed offset and the changelog are being read;
 * - running: the processor holds the partition and may produce; transactions may be cut;
 * - processing: a batch of input is being handed to the processor; no transaction is cut;
 * - closed: revoked, fenced, or thrown away by a restart. Final.
 */
export type PartitionPhase = 'fencing' | 'restoring' | 'running' | 'processing' | 'closed';

const LEGAL: Readonly<Record<PartitionPhase, readonly PartitionPhase[]>> = {
  fencing: ['restoring', 'closed'],
  restoring: ['running', 'closed'],
  running: ['processing', 'closed'],
  processing: ['running', 'closed'],
  closed: [],
};

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
}

export class PartitionState {
  private current: PartitionPhase = 'fencing';

  constructor(readonly partition: number) {}

  get phase(): PartitionPhase {
    return this.current;
  }

  get closed(): boolean {
    return this.current === 'closed';
  }

  /** Whether `next` may follow the current phase. */
  can(next: PartitionPhase): boolean {
    return LEGAL[this.current].includes(next);
  }

  /** Moves to `next`; throws on a transition the table does not allow (a runtime bug). */
  to(next: PartitionPhase): void {
    if (!this.can(next))
      throw new IllegalTransitionError(
        `partition ${this.partition}: ${this.current} → ${next} is not allowed`,
      );
    this.current = next;
  }

  /** Closes the partition from any phase; closing twice is a no-op (revocation and fencing can race). */
  close(): boolean {
    if (this.current === 'closed') return false;
    this.current = 'closed';
    return true;
  }
}
