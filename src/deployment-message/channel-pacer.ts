/**
 * One message edit at a time per channel, in this process. Discord allows about 5 edits per 5 s
 * per channel; a worker waiting for its channel's turn has not built its message yet, and builds
 * it from the newest stored state when its turn comes, so states that came and went while it
 * waited are never sent (coalesced), and the final one always is.
 */
export class ChannelPacer {
  private readonly tails = new Map<string, Promise<void>>();

  async turn<T>(channelId: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(channelId) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = before.then(() => mine);
    this.tails.set(channelId, tail);
    await before;
    try {
      return await work();
    } finally {
      done();
      if (this.tails.get(channelId) === tail) this.tails.delete(channelId);
    }
  }
}
