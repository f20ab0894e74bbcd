import { Injectable, Module } from '@nestjs/common';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, Role } from 'discord.js';
import {
  Button,
  type ButtonContext,
  ComponentParam,
  Context,
  IntegerOption,
  Options,
  RoleOption,
  type SlashCommandContext,
  StringOption,
  Subcommand,
  createCommandGroupDecorator,
} from 'necord';
import { buttonsOf, FakeDiscord, messageText } from './support/fake-discord/fake-discord';
import { checker } from './support/contracts/route-list';
import { rolesOf, startAppWithFakes, TestApp } from './support/test-app';

class EchoOptions {
  @StringOption({ name: 'text', description: 'text', required: true })
  text!: string;

  @IntegerOption({ name: 'times', description: 'times', required: false })
  times?: number;

  @RoleOption({ name: 'role', description: 'a role', required: false })
  role?: Role;
}

const ProbeGroup = createCommandGroupDecorator({ name: 'probe', description: 'driver self-test' });

@Injectable()
@ProbeGroup()
class ProbeCommands {
  @Subcommand({ name: 'echo', description: 'echoes typed options with a button' })
  echo(@Context() [interaction]: SlashCommandContext, @Options() options: EchoOptions) {
    const roles = interaction.inCachedGuild()
      ? [...interaction.member.roles.cache.keys()].filter((id) => id !== interaction.guildId)
      : [];
    return interaction.reply({
      content: `${options.text.repeat(options.times ?? 1)} role=${options.role?.name ?? '-'} member=${roles.join(',')}`,
      components: [
        new ActionRowBuilder<ButtonBuilder>().addComponents(
          new ButtonBuilder()
            .setCustomId('probe/7/bump')
            .setLabel('Bump')
            .setStyle(ButtonStyle.Primary),
        ),
      ],
    });
  }
}

@Injectable()
@ProbeGroup()
class ProbeEphemeral {
  @Subcommand({ name: 'secret', description: 'replies ephemerally' })
  secret(@Context() [interaction]: SlashCommandContext) {
    return interaction.reply({ content: 'only you', flags: MessageFlags.Ephemeral });
  }
}

@Injectable()
class ProbeButtons {
  @Button('probe/:id/bump')
  bump(@Context() [interaction]: ButtonContext, @ComponentParam('id') id: string) {
    return interaction.update({
      content: `bumped ${id} by ${interaction.user.username}`,
      components: [],
    });
  }
}

@Module({ providers: [ProbeCommands, ProbeButtons, ProbeEphemeral] })
class ProbeModule {}

/** The fake Discord's driver, proven against the real discord.js client and Necord. */
describe('the fake Discord driver', () => {
  let discord: FakeDiscord;
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes({ imports: [ProbeModule] });
    ({ discord } = app);
  });
  afterAll(() => app?.closeAll());

  it('sends subcommands with typed options as a member with roles, and clicks buttons by label', async () => {
    const roles = rolesOf(discord);
    const interaction = await discord.command('probe', app.actors.deployer, {
      subcommand: 'echo',
      options: { text: 'ab', times: 2, role: roles.admin },
    });
    const reply = await interaction.waitForReply();
    expect(reply.content).toBe(`abab role=admins member=${roles.deployer}`);
    expect(buttonsOf(reply).map((button) => button.label)).toEqual(['Bump']);

    const click = await discord.clickButton('Bump', app.actors.admin);
    const updated = await click.waitForReply((message) => message.content.startsWith('bumped'));
    expect(updated.id).toBe(reply.id);
    expect(messageText(discord.message(reply.id))).toBe('bumped 7 by alice-admin');
    expect(discord.message(reply.id).history.map((version) => version.content)).toEqual([
      `abab role=admins member=${roles.deployer}`,
      'bumped 7 by alice-admin',
    ]);
    expect(buttonsOf(discord.message(reply.id))).toEqual([]);
  });

  it('records the REST calls the bot made', async () => {
    const interaction = await discord.command('probe', app.actors.viewer, { subcommand: 'secret' });
    await interaction.waitForReply();
    expect(interaction.ephemeral).toBe(true);
    const callbacks = discord.callsTo('POST', new RegExp(`^/interactions/${interaction.id}/`));
    expect(callbacks).toHaveLength(1);
    expect(discord.callsTo('PUT', /\/guilds\/\d+\/commands$/).length).toBeGreaterThan(0);
  });

  it('refuses a command option the command does not declare', async () => {
    await expect(
      discord.command('probe', app.actors.viewer, {
        subcommand: 'echo',
        options: { text: 'x', nope: 1 },
      }),
    ).rejects.toThrow('has no option nope');
  });

  it('answers as Discord describes its routes: every call the bot made so far', async () => {
    const interaction = await discord.command('probe', app.actors.viewer, {
      subcommand: 'echo',
      options: { text: 'x' },
    });
    await interaction.waitForReply();
    const answered = discord.calls.filter((call) => call.template && call.answer !== undefined);
    expect(answered.length).toBeGreaterThan(3);
    const violations = answered.flatMap((call) =>
      checker().discordResponse(call.method, call.template!, call.status, call.answer),
    );
    expect(violations).toEqual([]);
  });
});
