// Turns in the order they were taken. Worker threads answer in any order; what follows them (the
// dedup windows, produce, dead letters, counting) must see the documents in the order they were
// read: chains are formed by position in a raw partition, and which of two copies is the duplicate
// must not depend on which thread was quicker.

export interface Turn {
  /** Settles once every earlier turn is released. */
  ready(): Promise<void>;
  /** Lets the next turn go; call it once, whatever happened. */
  release(): void;
}

export class InOrder {
  private last: Promise<void> = Promise.resolve();

  take(): Turn {
    const previous = this.last;
    let release = () => {};
    this.last = new Promise<void>((resolve) => {
      release = resolve;
    });
    return { ready: () => previous, release };
  }
}
