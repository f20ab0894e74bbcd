import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { DiscoveryService } from '@nestjs/core';
import { FakeDiscord } from './support/fake-discord/fake-discord';
import { CommandAuditInterceptor } from '../src/discord/command-audit.interceptor';
import { startAppWithFakes, TestApp } from './support/test-app';

describe('the app against the fakes (smoke)', () => {
  let discord: FakeDiscord;
  let app: TestApp;

  beforeAll(async () => {
    app = await startAppWithFakes();
    ({ discord } = app);
  });

  afterAll(() => app?.closeAll());

  it('registers its slash commands in GUILD_ID', () => {
    const names = discord.registeredCommands(discord.guild.id).map((command) => command.name);
    expect(names).toContain('ping');
    expect(discord.registeredCommands('global')).toEqual([]);
  });

  it('is ready once MongoDB and Discord are', async () => {
    const response = await fetch(`${app.url}/health/ready`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { info: Record<string, { status: string }> };
    expect(body.info.mongodb.status).toBe('up');
    expect(body.info.discord.status).toBe('up');
  });

  it('answers /ping ephemerally', async () => {
    const interaction = await discord.command('ping', app.actors.viewer);
    const reply = await interaction.waitForReply();
    expect(reply.content).toMatch(/^Pong/);
    expect(interaction.ephemeral).toBe(true);
  });

  it('audits every class of Discord handlers', () => {
    const handlerClasses = app.app
      .get(DiscoveryService)
      .getProviders()
      .map((wrapper) => wrapper.metatype)
      .filter(
        (type): type is new () => unknown =>
          typeof type === 'function' && /(Commands|Components)$/.test(type.name),
      );
    expect(handlerClasses.length).toBeGreaterThan(3);
    for (const type of handlerClasses) {
      const interceptors = (Reflect.getMetadata(INTERCEPTORS_METADATA, type) as unknown[]) ?? [];
      expect({ type: type.name, audited: interceptors.includes(CommandAuditInterceptor) }).toEqual({
        type: type.name,
        audited: true,
      });
    }
  });

  it('exposes the chatops_ metrics', async () => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    for (const name of [
      'chatops_deployments_total',
      'chatops_active_deployments',
      'chatops_deployment_duration_seconds',
      'chatops_commands_total',
      'chatops_command_duration_seconds',
      'chatops_webhook_deliveries_total',
      'chatops_github_requests_total',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});
