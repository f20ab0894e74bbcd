import './necord-restarts';
import { INestApplication, ModuleMetadata } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { ManualClock } from '../../libs/clock';
import { createApp } from '../../src/bootstrap';
import { AppConfig, loadAppConfig } from '../../src/config/app-config';
import { testDatabaseUri } from './database';
import { Actor, FakeDiscord, FakeDiscordOptions } from './fake-discord/fake-discord';
import { FakeGithub } from './fake-github';
import { snowflake } from './snowflake';
import { waitFor } from './wait-for';

export const WEBHOOK_SECRET = 'test-webhook-secret-value-of-32-chars';

/** A guild with one role per access level and a member holding each. */
export async function startFakeDiscord(
  options: Omit<FakeDiscordOptions, 'guild'> = {},
): Promise<FakeDiscord> {
  return FakeDiscord.start({
    ...options,
    guild: {
      roles: [
        { id: snowflake(), name: 'admins' },
        { id: snowflake(), name: 'deployers' },
        { id: snowflake(), name: 'staging-deployers' },
        { id: snowflake(), name: 'everyone-else' },
      ],
    },
  });
}

export function rolesOf(discord: FakeDiscord) {
  const byName = (name: string) => discord.guild.roles.find((role) => role.name === name)!.id;
  return {
    admin: byName('admins'),
    deployer: byName('deployers'),
    stagingDeployer: byName('staging-deployers'),
    other: byName('everyone-else'),
  };
}

export function actorsOf(discord: FakeDiscord) {
  const roles = rolesOf(discord);
  const actor = (username: string, roleIds: string[], permissions = '0'): Actor => ({
    user: { id: snowflake(), username },
    roles: roleIds,
    permissions,
  });
  return {
    admin: actor('alice-admin', [roles.admin]),
    secondAdmin: actor('bob-admin', [roles.admin]),
    deployer: actor('dana-deployer', [roles.deployer]),
    viewer: actor('victor-viewer', [roles.other]),
    guildAdministrator: actor('owner', [], '8'),
  };
}

/** A deployer of its own, for a test whose rules count per member (held requests, cooldowns). */
export function newDeployer(discord: FakeDiscord, username: string): Actor {
  return {
    user: { id: snowflake(), username },
    roles: [rolesOf(discord).deployer],
    permissions: '0',
  };
}

/** The environment a test app runs with: every outside system is a loopback fake. */
export function testEnvironment(
  discord: FakeDiscord,
  github: FakeGithub,
  overrides: Record<string, string | undefined> = {},
) {
  const roles = rolesOf(discord);
  return {
    NODE_ENV: 'test',
    // TEST_LOG_LEVEL=debug npm test shows the app's log while debugging a test.
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    DISCORD_TOKEN: discord.token,
    CLIENT_ID: discord.applicationId,
    GUILD_ID: discord.guild.id,
    DISCORD_API_URL: discord.apiUrl,
    GITHUB_TOKEN: github.token,
    GITHUB_API_URL: github.apiUrl,
    WEBHOOK_SECRET,
    MONGODB_URI: testDatabaseUri(),
    ADMIN_ROLE_IDS: roles.admin,
    DEPLOYER_ROLE_IDS: roles.deployer,
    // Tests act as few people doing many things; the budget has tests of its own.
    MEMBER_GITHUB_REQUESTS_PER_MINUTE: '5000',
    // Tests poll every few hundred ms; the bot's own GitHub budget has tests of its own.
    GITHUB_BACKGROUND_BUDGET_PER_MINUTE: '100000',
    ...overrides,
  };
}

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  discord: FakeDiscord;
  github: FakeGithub;
  url: string;
  actors: ReturnType<typeof actorsOf>;
  /** The app's clock: `clock.advance(ms)` moves every time-based rule forward. */
  clock: ManualClock;
  /** Closes the app (not the fakes: a test may restart the app against the same ones). */
  close(): Promise<void>;
  /** Closes the app and both fakes. */
  closeAll(): Promise<void>;
}

/**
 * A fresh fake Discord and fake GitHub (arranged by `arrange`), and the app against them with
 * `env` over the test environment: what most test files start from.
 */
export async function startAppWithFakes(
  options: {
    env?: Record<string, string | undefined>;
    arrange?: (fakes: { discord: FakeDiscord; github: FakeGithub }) => void;
    imports?: ModuleMetadata['imports'];
    clock?: ManualClock;
  } = {},
): Promise<TestApp> {
  const discord = await startFakeDiscord();
  const github = await FakeGithub.start();
  try {
    options.arrange?.({ discord, github });
    return await startTestApp(
      discord,
      github,
      testEnvironment(discord, github, options.env),
      options.imports,
      options.clock,
    );
  } catch (error) {
    await discord.close();
    await github.close();
    throw error;
  }
}

/** Boots the real app in this process against the fakes and waits until it is connected. */
export async function startTestApp(
  discord: FakeDiscord,
  github: FakeGithub,
  env: Record<string, string | undefined> = testEnvironment(discord, github),
  extraImports: ModuleMetadata['imports'] = [],
  clock = new ManualClock(),
): Promise<TestApp> {
  const config = loadAppConfig(env);
  const identifiedBefore = discord.identifications;
  const registrationsBefore = discord.callsTo('PUT', /commands$/).length;
  const app = await createApp(config, extraImports, clock);
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  await waitFor(
    'the bot to identify on the gateway',
    () => discord.identifications > identifiedBefore,
  );
  // Necord registers commands once the client is ready: from then on it handles interactions.
  await waitFor(
    'commands to be registered',
    () => discord.callsTo('PUT', /commands$/).length > registrationsBefore,
  );
  return {
    app,
    config,
    discord,
    github,
    url: `http://127.0.0.1:${port}`,
    actors: actorsOf(discord),
    clock,
    close: () => app.close(),
    closeAll: async () => {
      await app.close();
      await discord.close();
      await github.close();
    },
  };
}
