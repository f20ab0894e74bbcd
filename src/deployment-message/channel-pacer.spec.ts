import { ChannelPacer } from './channel-pacer';

describe('ChannelPacer', () => {
  it('runs one edit at a time per channel, in order, and channels side by side', async () => {
    const pacer = new ChannelPacer();
    const log: string[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const first = pacer.turn('a', async () => {
      log.push('a1 start');
      await blocked;
      log.push('a1 end');
    });
    const second = pacer.turn('a', async () => void log.push('a2'));
    const other = pacer.turn('b', async () => void log.push('b1'));
    await other;
    expect(log).toEqual(['a1 start', 'b1']);
    release();
    await Promise.all([first, second]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('goes on after an edit that failed', async () => {
    const pacer = new ChannelPacer();
    await expect(pacer.turn('a', async () => Promise.reject(new Error('429')))).rejects.toThrow(
      '429',
    );
    expect(await pacer.turn('a', async () => 'next')).toBe('next');
  });
});
