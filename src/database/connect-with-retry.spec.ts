import { DatabaseStartupError, waitForDatabase } from './connect-with-retry';

describe('waitForDatabase', () => {
  it('retries 5 times, waiting 3 s × attempt, logging each reason, then gives up', async () => {
    const waits: number[] = [];
    const failures: Array<[number, string, number | undefined]> = [];
    let probes = 0;
    const probe = async () => {
      probes++;
      throw new Error(`connect ECONNREFUSED (try ${probes})`);
    };
    await expect(
      waitForDatabase(
        'mongodb://db.example',
        (attempt, reason, retryIn) => failures.push([attempt, reason, retryIn]),
        undefined,
        probe,
        async (ms) => void waits.push(ms),
      ),
    ).rejects.toThrow(DatabaseStartupError);
    expect(probes).toBe(5);
    expect(waits).toEqual([3_000, 6_000, 9_000, 12_000]);
    expect(failures.map(([attempt, , retryIn]) => [attempt, retryIn])).toEqual([
      [1, 3_000],
      [2, 6_000],
      [3, 9_000],
      [4, 12_000],
      [5, undefined],
    ]);
    expect(failures[2][1]).toBe('connect ECONNREFUSED (try 3)');
  });

  it('returns as soon as the server answers', async () => {
    let probes = 0;
    const waits: number[] = [];
    await waitForDatabase(
      'mongodb://db.example',
      () => undefined,
      undefined,
      async () => {
        if (++probes < 3) throw new Error('not yet');
      },
      async (ms) => void waits.push(ms),
    );
    expect(probes).toBe(3);
    expect(waits).toEqual([3_000, 6_000]);
  });
});
