import { ChannelType, DiscordAPIError } from 'discord.js';
import { channelChoice } from './service-settings.options';

/** An interaction whose `channel` option is `id`, and whose server answers `fetch` with `found`. */
function interaction(id: string | undefined, found: () => Promise<unknown>) {
  return {
    options: { get: (name: string) => (name === 'channel' && id ? { value: id } : null) },
    guild: { channels: { fetch: found } },
  } as unknown as Parameters<typeof channelChoice>[0];
}

describe('channelChoice', () => {
  it.each([
    [ChannelType.GuildText, true],
    [ChannelType.GuildAnnouncement, true],
    [ChannelType.GuildVoice, false],
    [ChannelType.GuildCategory, false],
    [ChannelType.PublicThread, false],
  ])('channel type %s usable: %s', async (type, usable) => {
    await expect(channelChoice(interaction('42', async () => ({ type })))).resolves.toEqual({
      id: '42',
      usable,
    });
  });

  it('takes an unknown channel, one out of sight, or another server’s as unusable', async () => {
    const apiError = (status: number) =>
      new DiscordAPIError({ code: 10003, message: 'x' }, 10003, status, 'GET', '/channels/42', {});
    for (const error of [
      apiError(404),
      apiError(403),
      Object.assign(new Error('unowned'), { code: 'GuildChannelUnowned' }),
    ])
      await expect(channelChoice(interaction('42', () => Promise.reject(error)))).resolves.toEqual({
        id: '42',
        usable: false,
      });
  });

  it('lets any other failure through, and is undefined without the option', async () => {
    const down = new Error('Discord is down');
    await expect(channelChoice(interaction('42', () => Promise.reject(down)))).rejects.toBe(down);
    const untouched = async () => {
      throw new Error('Unexpected fetch');
    };
    await expect(channelChoice(interaction(undefined, untouched))).resolves.toBeUndefined();
  });
});
