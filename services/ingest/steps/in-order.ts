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
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The next turn waits for this one and, through it, every earlier one: a turn released before it
    // was ready (an input dropped before the threads) must not let later ones overtake earlier ones.
    this.last = Promise.all([previous, released]).then(() => {});
    return { ready: () => previous, release };
  }
}
