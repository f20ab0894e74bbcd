import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { Context, SlashCommand, type SlashCommandContext } from 'necord';
import { AppError } from '../libs/errors';
import { FakeDiscord } from './support/fake-discord/fake-discord';
import { startAppWithFakes, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

class ProbeError extends AppError {
  constructor() {
    super('PROBE.REFUSED', 'Probe refused: the reason a user may read.', 409);
  }
}

@Injectable()
class ProbeCommands {
  @SlashCommand({ name: 'probe-app-error', description: 'throws an AppError' })
  appError() {
    throw new ProbeError();
  }

  @SlashCommand({ name: 'probe-crash', description: 'throws something unexpected' })
  crash() {
    throw new Error('internal detail: connection string mongodb://user:pw@db');
  }

  @SlashCommand({ name: 'probe-deferred', description: 'defers publicly, then throws an AppError' })
  async deferred(@Context() [interaction]: SlashCommandContext) {
    await interaction.deferReply();
    throw new ProbeError();
  }

  @SlashCommand({ name: 'probe-deferred-private', description: 'defers ephemerally, then throws' })
  async deferredPrivately(@Context() [interaction]: SlashCommandContext) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    throw new ProbeError();
  }
}

@Controller('probe')
class ProbeController {
  @Get('app-error')
  appError() {
    throw new ProbeError();
  }

  @Get('crash')
  crash() {
    throw new Error('internal detail');
  }
}

@Module({ providers: [ProbeCommands], controllers: [ProbeController] })
class ProbeModule {}

describe('one exception filter for Discord and HTTP', () => {
  let discord: FakeDiscord;
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ imports: [ProbeModule] });
    ({ discord } = app);
  });

  afterAll(() => app?.closeAll());

  it('turns an AppError into an ephemeral reply with its message', async () => {
    const interaction = await discord.command('probe-app-error', app.actors.viewer);
    const reply = await interaction.waitForReply();
    expect(reply.content).toBe('Probe refused: the reason a user may read.');
    expect(interaction.ephemeral).toBe(true);
  });

  it('edits an ephemeral deferred reply', async () => {
    const interaction = await discord.command('probe-deferred-private', app.actors.viewer);
    const reply = await interaction.waitForReply();
    expect(reply.content).toBe('Probe refused: the reason a user may read.');
    expect(interaction.ephemeral).toBe(true);
    expect(interaction.callbacks).toHaveLength(1);
    expect(interaction.callbacks[0].type).toBe(5);
  });

  it('replaces a public deferred reply with an ephemeral follow-up', async () => {
    const interaction = await discord.command('probe-deferred', app.actors.viewer);
    const [followUp] = await waitFor('the follow-up', () => {
      const messages = interaction.followUps();
      return messages.length ? messages : undefined;
    });
    expect(followUp.content).toBe('Probe refused: the reason a user may read.');
    expect(followUp.flags & 64).toBe(64);
    await waitFor('the public reply to be deleted', () => interaction.reply() === undefined);
  });

  it('hides anything else behind a reference', async () => {
    const interaction = await discord.command('probe-crash', app.actors.viewer);
    const reply = await interaction.waitForReply();
    expect(reply.content).toMatch(/^Something went wrong \(ref [0-9a-f]{8}\)\.$/);
    expect(interaction.ephemeral).toBe(true);
  });

  it('answers HTTP with a JSON body and the right status', async () => {
    const refused = await fetch(`${app.url}/probe/app-error`);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({
      error: { code: 'PROBE.REFUSED', message: 'Probe refused: the reason a user may read.' },
    });

    const crashed = await fetch(`${app.url}/probe/crash`);
    expect(crashed.status).toBe(500);
    const body = (await crashed.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INTERNAL');
    expect(body.error.message).toMatch(/^Something went wrong \(ref [0-9a-f]{8}\)$/);

    const missing = await fetch(`${app.url}/no-such-route`);
    expect(missing.status).toBe(404);
  });
});
