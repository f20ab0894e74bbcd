import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { checker } from '../contracts/route-list';
import { contractsChecked, recordViolations } from '../contracts/violations';
import { snowflake } from '../snowflake';
import { discordTemplate } from './routes';
import { waitFor } from '../wait-for';
import {
  channelPayload,
  FakeChannel,
  FakeGuild,
  FakeRole,
  FakeUser,
  guildCreatePayload,
  memberPayload,
  messagePayload,
  rolePayload,
  StoredMessage,
  UploadedFile,
  userPayload,
} from './payloads';

/** Where readBody puts the files of a multipart request. */
const FILES = Symbol('files');

export interface RestCall {
  method: string;
  /** Path below the version prefix, e.g. `/channels/1/messages` (URL-decoded). */
  path: string;
  query: URLSearchParams;
  body: unknown;
  status: number;
  /** The route's template in Discord's API description, when the fake has it. */
  template?: string;
  /** What the fake answered (its JSON body), for its self-test. */
  answer?: unknown;
}

export interface Actor {
  user: FakeUser;
  /** Role ids the member holds; they must exist in the guild. */
  roles?: string[];
  /** Computed permission bits as a decimal string ("8" = Administrator). */
  permissions?: string;
  channelId?: string;
  /** The guild the member acts in (default: the home guild). */
  guildId?: string;
  /** Acts in a direct message with the bot: no guild, no member. */
  dm?: boolean;
}

/** A failure the fake answers instead of the real thing, for the next `times` matching calls. */
export interface RestFailure {
  method?: string;
  path: RegExp;
  status: number;
  code: number;
  message: string;
  times: number;
}

interface CommandOption {
  type: number;
  name: string;
  required?: boolean;
  options?: CommandOption[];
}

interface CommandDefinition {
  id: string;
  name: string;
  description: string;
  options?: CommandOption[];
  [key: string]: unknown;
}

interface Callback {
  type: number;
  data?: Record<string, unknown>;
}

const OPTION = { SUB_COMMAND: 1, SUB_COMMAND_GROUP: 2, USER: 6, CHANNEL: 7, ROLE: 8 } as const;
const EPHEMERAL = 64;
const LOADING = 128;

/** One interaction the fake sent: what the bot answered, and the message it produced. */
export class InteractionHandle {
  readonly callbacks: Callback[] = [];
  /**
   * Acknowledgements refused because one came first: Discord answers a second one with 40060
   * (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes).
   */
  refusedAcknowledgements = 0;
  originalMessageId?: string;
  acknowledged = false;
  tokenExpired = false;
  choices?: Array<{ name: string; value: unknown }>;
  /** The modal the bot answered with (callback type 9), as Discord shows it to the member. */
  modal?: Record<string, unknown>;
  readonly followupIds: string[] = [];
  /** @internal the channel the interaction came from */
  channelId?: string;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly fake: FakeDiscord,
    readonly id: string,
    readonly token: string,
    readonly sourceMessageId?: string,
  ) {}

  /** Follow-up messages sent with the interaction token, oldest first. */
  followUps(): StoredMessage[] {
    return this.followupIds.flatMap((id) => this.fake.messageIfAny(id) ?? []);
  }

  /** @internal */
  recordCallback(callback: Callback): void {
    this.callbacks.push(callback);
    this.acknowledged = true;
    this.waiters.splice(0).forEach((wake) => wake());
  }

  /** Resolves with the first callback (reply, defer, update, autocomplete result). */
  async firstCallback(timeoutMs = 10_000): Promise<Callback> {
    if (this.callbacks[0]) return this.callbacks[0];
    // Woken by the callback itself (not polled), so latency measurements are exact.
    return new Promise<Callback>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no callback to interaction ${this.id} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(this.callbacks[0]);
      });
    });
  }

  /** The message this interaction produced (the reply, or the clicked message), as it is now. */
  reply(): StoredMessage | undefined {
    return this.originalMessageId ? this.fake.messageIfAny(this.originalMessageId) : undefined;
  }

  /** Waits until the reply exists, has finished loading, and satisfies `predicate`. */
  async waitForReply(
    predicate: (message: StoredMessage) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<StoredMessage> {
    return waitFor(
      `the reply to interaction ${this.id}`,
      () => {
        const message = this.reply();
        return message && !(message.flags & LOADING) && predicate(message) ? message : undefined;
      },
      { timeoutMs },
    );
  }

  /** Text of the reply: content plus every embed's title, description and fields. */
  replyText(): string {
    const message = this.reply();
    return message ? messageText(message) : '';
  }

  get ephemeral(): boolean {
    return Boolean((this.reply()?.flags ?? 0) & EPHEMERAL);
  }
}

/** A markdown backslash escape as Discord renders it: the character itself. */
export function rendered(text: string): string {
  return text.replace(/\\([^A-Za-z0-9\s])/g, '$1');
}

/**
 * Flattens a message to text so tests can assert on what a person would read (markdown
 * escapes rendered; `rawText` keeps them).
 */
export function messageText(message: Pick<StoredMessage, 'content' | 'embeds'>): string {
  return rendered(rawText(message));
}

/** The message's text exactly as the bot sent it. */
export function rawText(message: Pick<StoredMessage, 'content' | 'embeds'>): string {
  const parts = [message.content];
  for (const embed of message.embeds) {
    parts.push(String(embed.title ?? ''), String(embed.description ?? ''));
    for (const field of (embed.fields as Array<{ name: string; value: string }>) ?? []) {
      parts.push(`${field.name}: ${field.value}`);
    }
    const footer = embed.footer as { text?: string } | undefined;
    if (footer?.text) parts.push(footer.text);
  }
  return parts.filter(Boolean).join('\n');
}

/** Every button on a message, flattened out of its action rows. */
export function buttonsOf(
  message: StoredMessage,
): Array<{ label?: string; custom_id?: string; url?: string; disabled?: boolean; style: number }> {
  return message.components
    .flatMap(
      (row) =>
        (row.components as Array<{
          type: number;
          label?: string;
          custom_id?: string;
          url?: string;
          disabled?: boolean;
          style: number;
        }>) ?? [],
    )
    .filter((component) => component.type === 2);
}

export interface FakeDiscordOptions {
  token?: string;
  applicationId?: string;
  guild?: Partial<FakeGuild>;
}

/**
 * A loopback Discord: the REST API and the gateway that the unmodified discord.js client logs
 * into, plus a driver to act as members (slash commands, button clicks) and read what the bot
 * sent. Only what the bot uses is implemented; anything else answers 404 and is recorded.
 */
export class FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: FakeUser;
  readonly guild: FakeGuild;
  readonly calls: RestCall[] = [];
  readonly owner: FakeUser = { id: snowflake(), username: 'guild-owner' };
  /** Other servers the bot was added to (by anyone: bots are public by default). */
  readonly otherGuilds: FakeGuild[] = [];
  private readonly messages = new Map<string, StoredMessage>();
  private readonly failures: RestFailure[] = [];
  /** Per-channel limit on message edits with the bot token, when a test sets one. */
  private editLimit?: { limit: number; windowMs: number };
  private readonly editWindows = new Map<string, { startedAt: number; used: number }>();
  /** Edits refused with 429, per channel. */
  readonly rateLimitedEdits = new Map<string, number>();
  private readonly lostChannels = new Set<string>();
  private readonly dmChannelId = snowflake();
  private readonly interactionsByToken = new Map<string, InteractionHandle>();
  private readonly interactionsById = new Map<string, InteractionHandle>();
  private readonly commandsByScope = new Map<string, CommandDefinition[]>();
  private readonly sessions = new Set<WebSocket>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly joinedAt = new Date().toISOString();
  /** Members a user option may name, with their server nickname (see addMember). */
  private readonly members = new Map<string, { user: FakeUser; nick: string | null }>();
  /** The home server's members as its API answers them: their roles now. */
  private readonly memberRoles = new Map<string, { user: FakeUser; roles: string[] }>();
  private readonly departed = new Set<string>();
  private sequence = 0;
  private port = 0;
  private identifyCount = 0;

  private constructor(
    private readonly server: Server,
    options: FakeDiscordOptions,
  ) {
    this.token = options.token ?? 'fake-discord-token';
    this.applicationId = options.applicationId ?? snowflake();
    this.botUser = { id: this.applicationId, username: 'ChatOps' };
    this.guild = {
      id: options.guild?.id ?? snowflake(),
      name: options.guild?.name ?? 'Fake Guild',
      roles: options.guild?.roles ?? [],
      channels: options.guild?.channels ?? [{ id: snowflake(), name: 'deploys' }],
    };
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const server = createServer();
    const fake = new FakeDiscord(server, options);
    server.on('request', (req, res) => void fake.handle(req, res));
    server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/gateway')) return socket.destroy();
      fake.wss.handleUpgrade(req, socket, head, (ws) => fake.onGateway(ws));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    fake.port = (server.address() as AddressInfo).port;
    return fake;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get defaultChannelId(): string {
    return this.guild.channels[0].id;
  }

  /** How many times a client identified on the gateway (a restart adds one). */
  get identifications(): number {
    return this.identifyCount;
  }

  async close(): Promise<void> {
    for (const ws of this.sessions) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  // ---------------------------------------------------------------- driver

  /** Waits until a client has identified and received READY and the guild. */
  async waitForBotReady(timeoutMs = 15_000): Promise<void> {
    await waitFor('the bot to connect to the fake gateway', () => this.sessions.size > 0, {
      timeoutMs,
    });
  }

  registeredCommands(guildId: string | 'global' = this.guild.id): CommandDefinition[] {
    return this.commandsByScope.get(guildId) ?? [];
  }

  /**
   * Adds the bot to another server, with its own roles and channel, as anyone can once a bot
   * is public; connected clients receive its GUILD_CREATE.
   */
  addGuild(options: { name?: string; roles?: FakeRole[] } = {}): FakeGuild {
    const guild: FakeGuild = {
      id: snowflake(),
      name: options.name ?? 'Someone else’s server',
      roles: options.roles ?? [],
      channels: [{ id: snowflake(), name: 'general' }],
    };
    this.otherGuilds.push(guild);
    this.dispatch('GUILD_CREATE', guildCreatePayload(guild, snowflake(), this.joinedAt));
    return guild;
  }

  /**
   * The next `times` REST calls matching `method` and `path` fail as Discord would answer them
   * (e.g. 500, or 404 with code 10008 "Unknown Message").
   */
  /**
   * Limits message edits (`PATCH /channels/{id}/messages/{id}`) to `limit` per `windowMs` per
   * channel, as Discord's per-route buckets do (about 5 per 5 s): every answer carries the
   * bucket's `X-RateLimit-*` headers, and an edit past the limit is answered 429 with
   * `retry_after` (https://discord.com/developers/docs/topics/rate-limits).
   */
  limitMessageEdits(limit: number, windowMs: number): void {
    this.editLimit = { limit, windowMs };
  }

  failRequests(failure: Omit<RestFailure, 'times' | 'code' | 'message'> & Partial<RestFailure>) {
    this.failures.push({ times: 1, code: 0, message: 'fake failure', ...failure });
  }

  /** Stops failing requests that `failRequests` set up and that have not happened yet. */
  clearFailures(): void {
    this.failures.splice(0);
  }

  /** A moderator deletes a message. */
  deleteMessage(id: string): void {
    this.messages.delete(id);
  }

  /** The bot loses access to a channel: every call about it answers 403 Missing Access. */
  revokeChannelAccess(channelId: string): void {
    this.lostChannels.add(channelId);
  }

  /** Adds a role to the guild and tells connected clients, as Discord does. */
  addRole(role: FakeRole): void {
    this.guild.roles.push(role);
    this.dispatch('GUILD_ROLE_CREATE', {
      guild_id: this.guild.id,
      role: rolePayload(role, this.guild.roles.length),
    });
  }

  addChannel(channel: FakeChannel): void {
    this.guild.channels.push(channel);
  }

  /**
   * Sends a slash command as `actor`. `options` are typed from the registered definition, as
   * Discord does; an option the command does not declare fails the test.
   */
  async command(
    name: string,
    actor: Actor,
    args: {
      subcommand?: string;
      group?: string;
      options?: Record<string, unknown>;
      focused?: string;
    } = {},
  ): Promise<InteractionHandle> {
    // From another server or a DM the definitions are the home guild's: what a stale global
    // registration from an earlier version would offer there.
    const definition =
      this.registeredCommands().find((command) => command.name === name) ??
      this.registeredCommands('global').find((command) => command.name === name);
    if (!definition) throw new Error(`/${name} is not registered`);
    const guild = actor.dm ? undefined : this.guildOf(actor);
    const { options, resolved } = this.buildOptions(definition, args, guild ?? this.guild);
    const data = {
      id: definition.id,
      name,
      type: 1,
      ...(guild ? { guild_id: guild.id } : {}),
      options,
      ...(Object.keys(resolved).length ? { resolved } : {}),
    };
    return this.sendInteraction(args.focused ? 4 : 2, data, actor);
  }

  /** Asks for autocomplete choices while `focused` is being typed. */
  async autocomplete(
    name: string,
    actor: Actor,
    args: {
      subcommand?: string;
      group?: string;
      options?: Record<string, unknown>;
      focused: string;
    },
  ): Promise<Array<{ name: string; value: unknown }>> {
    const handle = await this.command(name, actor, args);
    await handle.firstCallback();
    return handle.choices ?? [];
  }

  /** Clicks the button labelled `label` on `messageId` (or on the newest message that has one). */
  async clickButton(label: string, actor: Actor, messageId?: string): Promise<InteractionHandle> {
    const candidates = messageId
      ? [this.message(messageId)]
      : [...this.messages.values()].reverse();
    for (const message of candidates) {
      const button = buttonsOf(message).find((b) => b.label === label);
      if (!button) continue;
      if (!button.custom_id) throw new Error(`button "${label}" has no custom_id`);
      return this.clickCustomId(button.custom_id, actor, message.id);
    }
    throw new Error(`no message has a button labelled "${label}"`);
  }

  /** Clicks a component by raw custom id: how a forged or stale id is sent. */
  async clickCustomId(
    customId: string,
    actor: Actor,
    messageId: string,
  ): Promise<InteractionHandle> {
    const message = this.message(messageId);
    return this.sendInteraction(
      3,
      { custom_id: customId, component_type: 2 },
      { ...actor, channelId: message.channel_id },
      message,
    );
  }

  /**
   * Submits the modal `opened` answered with, filled in with `values` by text input custom id
   * (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-modal-submit-data-structure):
   * a MODAL_SUBMIT (type 5) carrying the message of the button that opened it. An input the
   * modal does not have fails the test; a required one left out too.
   */
  async submitModal(
    opened: InteractionHandle,
    actor: Actor,
    values: Record<string, string>,
  ): Promise<InteractionHandle> {
    await opened.firstCallback();
    const modal = opened.modal;
    if (!modal) throw new Error(`interaction ${opened.id} was not answered with a modal`);
    const inputs = (
      (modal.components as Array<{ components: Array<Record<string, unknown>> }>) ?? []
    )
      .flatMap((row) => row.components)
      .filter((component) => component.type === 4);
    for (const name of Object.keys(values)) {
      if (!inputs.some((input) => input.custom_id === name))
        throw new Error(`the modal has no input ${name}`);
    }
    for (const input of inputs) {
      if (input.required !== false && !values[String(input.custom_id)])
        throw new Error(`the modal's input ${String(input.custom_id)} is required`);
    }
    const source = opened.sourceMessageId ? this.message(opened.sourceMessageId) : undefined;
    return this.sendInteraction(
      5,
      {
        custom_id: modal.custom_id,
        components: inputs.map((input) => ({
          type: 1,
          components: [
            { type: 4, custom_id: input.custom_id, value: values[String(input.custom_id)] ?? '' },
          ],
        })),
      },
      { ...actor, channelId: source?.channel_id ?? actor.channelId },
      source,
    );
  }

  /** The guild an actor acts in: the home guild unless it names another. */
  guildOf(actor: Pick<Actor, 'guildId'>): FakeGuild {
    if (!actor.guildId || actor.guildId === this.guild.id) return this.guild;
    const guild = this.otherGuilds.find((g) => g.id === actor.guildId);
    if (!guild) throw new Error(`the fake has no guild ${actor.guildId}`);
    return guild;
  }

  /** A message the bot posted earlier (a deployment's, when a bench records deployments directly). */
  seedBotMessage(channelId: string, content: string): StoredMessage {
    return this.createMessage(channelId, { content });
  }

  messageIfAny(id: string): StoredMessage | undefined {
    return this.messages.get(id);
  }

  message(id: string): StoredMessage {
    const message = this.messages.get(id);
    if (!message) throw new Error(`no message ${id}`);
    return message;
  }

  /**
   * A member of the home server a user option may name: Discord sends the user and the member
   * in the interaction's `resolved`
   * (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-resolved-data-structure).
   */
  addMember(user: FakeUser, nick: string | null = null): void {
    this.members.set(user.id, { user, nick });
  }

  /**
   * Changes a member's roles in the home server from now on (`undefined`: they left it), as an
   * admin would in Discord; what GET /guilds/{id}/members/{user} answers.
   */
  setMemberRoles(user: FakeUser, roles: string[] | undefined): void {
    if (roles === undefined) {
      this.memberRoles.delete(user.id);
      this.departed.add(user.id);
    } else {
      this.departed.delete(user.id);
      this.memberRoles.set(user.id, { user, roles });
    }
  }

  /** Messages in a channel (ephemeral ones included), oldest first. */
  messagesIn(channelId: string): StoredMessage[] {
    return [...this.messages.values()].filter((message) => message.channel_id === channelId);
  }

  callsTo(method: string, pathPattern: RegExp): RestCall[] {
    return this.calls.filter((call) => call.method === method && pathPattern.test(call.path));
  }

  /** Makes every interaction token sent so far invalid, as 15 minutes would. */
  expireInteractionTokens(): void {
    for (const handle of this.interactionsByToken.values()) handle.tokenExpired = true;
  }

  /** Drops every gateway connection; discord.js reconnects (resuming) on its own. */
  dropGatewayConnections(): void {
    for (const ws of this.sessions) ws.close(4000, 'fake reconnect');
  }

  // ---------------------------------------------------------------- gateway

  private onGateway(ws: WebSocket): void {
    const send = (payload: Record<string, unknown>) =>
      ws.readyState === ws.OPEN && ws.send(JSON.stringify(payload));
    send({ op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null });
    ws.on('message', (raw) => {
      const payload = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> };
      if (payload.op === 1) return send({ op: 11, d: null, s: null, t: null });
      if (payload.op === 2 || payload.op === 6) {
        if (payload.d.token !== this.token) return ws.close(4004, 'Authentication failed.');
        this.identifyCount++;
        this.sessions.add(ws);
        if (payload.op === 6) return send({ op: 0, t: 'RESUMED', s: ++this.sequence, d: {} });
        send({
          op: 0,
          t: 'READY',
          s: ++this.sequence,
          d: {
            v: 10,
            user: userPayload(this.botUser, true),
            guilds: [this.guild, ...this.otherGuilds].map((g) => ({ id: g.id, unavailable: true })),
            session_id: `session-${snowflake()}`,
            resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
            application: { id: this.applicationId, flags: 0 },
            private_channels: [],
          },
        });
        for (const guild of [this.guild, ...this.otherGuilds]) {
          send({
            op: 0,
            t: 'GUILD_CREATE',
            s: ++this.sequence,
            d: guildCreatePayload(guild, this.owner.id, this.joinedAt),
          });
        }
      }
    });
    ws.on('close', () => this.sessions.delete(ws));
    ws.on('error', () => this.sessions.delete(ws));
  }

  /**
   * Every session identified for the shard gets the event: with several instances of the bot
   * connected, each receives every interaction, as with Discord.
   */
  private dispatch(t: string, d: unknown): void {
    for (const ws of this.sessions) ws.send(JSON.stringify({ op: 0, t, s: ++this.sequence, d }));
  }

  private async sendInteraction(
    type: number,
    data: Record<string, unknown>,
    actor: Actor,
    source?: StoredMessage,
  ): Promise<InteractionHandle> {
    await this.waitForBotReady();
    const handle = new InteractionHandle(this, snowflake(), `token-${snowflake()}`, source?.id);
    this.interactionsById.set(handle.id, handle);
    this.interactionsByToken.set(handle.token, handle);
    const where = actor.dm
      ? {
          // https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object
          // A DM carries `user` instead of `member`, no guild, and the BOT_DM context.
          channel_id: this.dmChannelId,
          channel: { id: this.dmChannelId, type: 1, recipients: [userPayload(actor.user)] },
          user: userPayload(actor.user),
          authorizing_integration_owners: { '1': actor.user.id },
          context: 1,
        }
      : this.guildContext(actor);
    handle.channelId = where.channel_id;
    this.dispatch('INTERACTION_CREATE', {
      id: handle.id,
      application_id: this.applicationId,
      type,
      data,
      ...where,
      token: handle.token,
      version: 1,
      app_permissions: '2251799813685247',
      locale: 'en-US',
      entitlements: [],
      attachment_size_limit: 8_388_608,
      ...(source ? { message: messagePayload(source) } : {}),
    });
    return handle;
  }

  private guildContext(actor: Actor) {
    const guild = this.guildOf(actor);
    // Discord knows a member's roles from then on (GET /guilds/{id}/members/{user}).
    if (guild.id === this.guild.id && !this.departed.has(actor.user.id))
      this.memberRoles.set(actor.user.id, { user: actor.user, roles: actor.roles ?? [] });
    const channel =
      guild.channels.find((c) => c.id === (actor.channelId ?? guild.channels[0].id)) ??
      guild.channels[0];
    return {
      guild_id: guild.id,
      guild_locale: 'en-US',
      channel_id: channel.id,
      channel: { id: channel.id, type: 0, name: channel.name, guild_id: guild.id },
      member: memberPayload(actor.user, actor.roles ?? [], actor.permissions ?? '0', this.joinedAt),
      authorizing_integration_owners: { '0': guild.id },
      context: 0,
    };
  }

  private buildOptions(
    definition: CommandDefinition,
    args: {
      subcommand?: string;
      group?: string;
      options?: Record<string, unknown>;
      focused?: string;
    },
    guild: FakeGuild,
  ) {
    let declared = definition.options ?? [];
    const wrap: Array<(inner: unknown[]) => unknown> = [];
    if (args.group) {
      const group = declared.find(
        (o) => o.type === OPTION.SUB_COMMAND_GROUP && o.name === args.group,
      );
      if (!group) throw new Error(`/${definition.name} has no group ${args.group}`);
      declared = group.options ?? [];
      wrap.push((inner) => [{ type: OPTION.SUB_COMMAND_GROUP, name: args.group, options: inner }]);
    }
    if (args.subcommand) {
      const sub = declared.find((o) => o.type === OPTION.SUB_COMMAND && o.name === args.subcommand);
      if (!sub) throw new Error(`/${definition.name} has no subcommand ${args.subcommand}`);
      declared = sub.options ?? [];
      wrap.unshift((inner) => [
        { type: OPTION.SUB_COMMAND, name: args.subcommand, options: inner },
      ]);
    }
    const resolved: Record<string, Record<string, unknown>> = {};
    const values = Object.entries(args.options ?? {}).filter(([, value]) => value !== undefined);
    const inner = values.map(([name, value]) => {
      const option = declared.find((o) => o.name === name);
      if (!option)
        throw new Error(`/${definition.name} ${args.subcommand ?? ''} has no option ${name}`);
      if (option.type === OPTION.ROLE) {
        const role = guild.roles.find((r) => r.id === value) ?? {
          id: String(value),
          name: 'unknown',
          permissions: '0',
        };
        resolved.roles = { ...resolved.roles, [role.id]: rolePayload(role, 1) };
      }
      if (option.type === OPTION.USER) {
        const id = String(value);
        const known = this.members.get(id) ?? { user: { id, username: 'someone' }, nick: null };
        const { user: _user, ...member } = memberPayload(known.user, [], '0', this.joinedAt);
        resolved.users = { ...resolved.users, [id]: userPayload(known.user) };
        resolved.members = { ...resolved.members, [id]: { ...member, nick: known.nick } };
      }
      return {
        type: option.type,
        name,
        value,
        ...(args.focused === name ? { focused: true } : {}),
      };
    });
    if (!args.focused) {
      for (const option of declared) {
        if (option.required && !values.some(([name]) => name === option.name)) {
          throw new Error(
            `/${definition.name} ${args.subcommand ?? ''}: required option ${option.name} missing`,
          );
        }
      }
    }
    const options = wrap.reduce<unknown[]>((acc, fn) => fn(acc) as unknown[], inner);
    return { options, resolved };
  }

  // ---------------------------------------------------------------- REST

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v\d+/, ''));
    const call: RestCall = {
      method: req.method ?? 'GET',
      path,
      query: url.searchParams,
      body,
      status: 0,
    };
    this.calls.push(call);
    let headers: Record<string, string> = {};
    const reply = (status: number, payload?: unknown) => {
      call.status = status;
      call.answer = payload;
      res.writeHead(status, {
        ...headers,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    try {
      const open = path.startsWith('/interactions/') || path.startsWith('/webhooks/');
      if (!open && req.headers.authorization !== `Bot ${this.token}`) {
        return reply(401, { message: '401: Unauthorized', code: 0 });
      }
      const failure = this.failures.find(
        (f) => f.times > 0 && (!f.method || f.method === call.method) && f.path.test(path),
      );
      if (failure) {
        failure.times--;
        return reply(failure.status, { message: failure.message, code: failure.code });
      }
      const channel = /^\/channels\/(\d+)/.exec(path)?.[1];
      if (channel && this.lostChannels.has(channel)) {
        // https://discord.com/developers/docs/topics/opcodes-and-status-codes#json (50001)
        return reply(403, { message: 'Missing Access', code: 50001 });
      }
      const edited = call.method === 'PATCH' && /^\/channels\/(\d+)\/messages\/\d+$/.exec(path);
      if (edited && this.editLimit) {
        const limited = this.takeEdit(edited[1]);
        headers = limited.headers;
        if (limited.refused) {
          this.rateLimitedEdits.set(edited[1], (this.rateLimitedEdits.get(edited[1]) ?? 0) + 1);
          return reply(429, {
            message: 'You are being rate limited.',
            retry_after: limited.retryAfter,
            global: false,
          });
        }
      }
      const template = discordTemplate(call.method, path);
      call.template = template;
      if (!template) recordViolations([`${call.method} ${path}: no route of the fake Discord`]);
      else if (contractsChecked())
        recordViolations(
          checker().discordRequest(call.method, template, { query: url.searchParams, body }),
        );
      const [status, payload] = this.route(
        call.method,
        path,
        url.searchParams,
        body as Record<string, unknown>,
      );
      reply(status, payload);
    } catch (error) {
      reply(500, { message: (error as Error).message, code: 0 });
    }
  }

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
  ): [number, unknown?] {
    let m: RegExpMatchArray | null;
    if (method === 'GET' && (path === '/gateway/bot' || path === '/gateway')) {
      return [
        200,
        {
          url: `ws://127.0.0.1:${this.port}/gateway`,
          shards: 1,
          // https://discord.com/developers/docs/events/gateway#session-start-limit-object
          session_start_limit: {
            total: 1000,
            remaining: Math.max(0, 1000 - this.identifyCount),
            reset_after: 86_400_000,
            max_concurrency: 1,
          },
        },
      ];
    }
    // https://discord.com/developers/docs/resources/guild#get-guild-member
    if ((m = path.match(/^\/guilds\/(\d+)\/members\/(\d+)$/)) && method === 'GET') {
      const member = m[1] === this.guild.id ? this.memberRoles.get(m[2]) : undefined;
      return member
        ? [200, memberPayload(member.user, member.roles, '0', this.joinedAt)]
        : [404, { message: 'Unknown Member', code: 10007 }];
    }
    if (method === 'GET' && path === '/applications/@me') {
      return [
        200,
        {
          id: this.applicationId,
          name: this.botUser.username,
          icon: null,
          description: '',
          bot_public: true,
          bot_require_code_grant: false,
          verify_key: 'fake',
          flags: 0,
          team: null,
          owner: userPayload(this.owner),
        },
      ];
    }
    if (method === 'GET' && path === '/users/@me') return [200, userPayload(this.botUser, true)];
    if ((m = path.match(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/))) {
      const scope = m[2] ?? 'global';
      if (method === 'PUT') {
        const definitions = (body as unknown as CommandDefinition[]).map((command) => ({
          ...command,
          id: snowflake(),
          application_id: this.applicationId,
          version: snowflake(),
          type: command.type ?? 1,
          ...(m![2] ? { guild_id: m![2] } : {}),
        }));
        this.commandsByScope.set(scope, definitions);
        return [200, definitions];
      }
      if (method === 'GET') return [200, this.commandsByScope.get(scope) ?? []];
    }
    if (method === 'POST' && (m = path.match(/^\/interactions\/(\d+)\/([^/]+)\/callback$/))) {
      return this.interactionCallback(
        m[1],
        m[2],
        body as unknown as Callback,
        query.get('with_response') === 'true',
      );
    }
    if ((m = path.match(/^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/))) {
      const handle = this.interactionsByToken.get(m[2]);
      if (!handle || handle.tokenExpired)
        return [401, { message: 'Invalid Webhook Token', code: 50027 }];
      if (method === 'POST' && !m[3]) {
        const message = this.createMessage(this.channelOfHandle(handle), body, handle.id);
        handle.followupIds.push(message.id);
        return [200, messagePayload(message)];
      }
      const messageId = m[3] === '@original' ? handle.originalMessageId : m[3];
      const message = messageId ? this.messages.get(messageId) : undefined;
      if (!message) return [404, { message: 'Unknown Message', code: 10008 }];
      if (method === 'GET') return [200, messagePayload(message)];
      if (method === 'PATCH') return [200, messagePayload(this.editMessage(message, body))];
      if (method === 'DELETE') {
        this.messages.delete(message.id);
        return [204];
      }
    }
    if ((m = path.match(/^\/channels\/(\d+)$/)) && method === 'GET') {
      const guild = [this.guild, ...this.otherGuilds].find((g) =>
        g.channels.some((c) => c.id === m![1]),
      );
      const channel = guild?.channels.find((c) => c.id === m![1]);
      return guild && channel
        ? [200, channelPayload(channel, guild.id, 0)]
        : [404, { message: 'Unknown Channel', code: 10003 }];
    }
    if ((m = path.match(/^\/channels\/(\d+)\/messages$/)) && method === 'POST') {
      if (!this.allChannels().some((c) => c.id === m![1]))
        return [404, { message: 'Unknown Channel', code: 10003 }];
      return [200, messagePayload(this.createMessage(m[1], body))];
    }
    if ((m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)$/))) {
      const message = this.messages.get(m[2]);
      if (!message || message.channel_id !== m[1] || message.flags & EPHEMERAL) {
        return [404, { message: 'Unknown Message', code: 10008 }];
      }
      if (method === 'GET') return [200, messagePayload(message)];
      if (method === 'PATCH') return [200, messagePayload(this.editMessage(message, body))];
      if (method === 'DELETE') {
        this.messages.delete(message.id);
        return [204];
      }
    }
    return [404, { message: `fake Discord has no route ${method} ${path}`, code: 0 }];
  }

  private interactionCallback(
    id: string,
    token: string,
    callback: Callback,
    withResponse: boolean,
  ): [number, unknown?] {
    const handle = this.interactionsById.get(id);
    if (!handle || handle.token !== token)
      return [404, { message: 'Unknown interaction', code: 10062 }];
    if (handle.acknowledged) {
      handle.refusedAcknowledgements++;
      return [400, { message: 'Interaction has already been acknowledged.', code: 40060 }];
    }
    const data = callback.data ?? {};
    const channelId = this.channelOfHandle(handle);
    switch (callback.type) {
      case 4:
        handle.originalMessageId = this.createMessage(channelId, data, handle.id).id;
        break;
      case 5:
        handle.originalMessageId = this.createMessage(
          channelId,
          { ...data, flags: (Number(data.flags) || 0) | LOADING },
          handle.id,
        ).id;
        break;
      case 6:
        handle.originalMessageId = handle.sourceMessageId;
        break;
      case 7:
        handle.originalMessageId = handle.sourceMessageId;
        if (handle.sourceMessageId) this.editMessage(this.message(handle.sourceMessageId), data);
        break;
      case 8:
        handle.choices = (data.choices as Array<{ name: string; value: unknown }>) ?? [];
        break;
      // https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-interaction-callback-type
      // MODAL: not for a modal submit; the member sees the form, nothing is posted.
      case 9:
        handle.modal = data;
        break;
    }
    handle.recordCallback(callback);
    if (!withResponse) return [204];
    const message = handle.originalMessageId
      ? this.messages.get(handle.originalMessageId)
      : undefined;
    return [
      200,
      {
        interaction: {
          id: handle.id,
          type: 2,
          activity_instance_id: null,
          response_message_id: message?.id ?? null,
          response_message_loading: Boolean((message?.flags ?? 0) & LOADING),
          response_message_ephemeral: Boolean((message?.flags ?? 0) & EPHEMERAL),
        },
        resource: message
          ? { type: callback.type, message: messagePayload(message) }
          : { type: callback.type },
      },
    ];
  }

  private channelOfHandle(handle: InteractionHandle): string {
    return handle.sourceMessageId
      ? this.message(handle.sourceMessageId).channel_id
      : (handle.channelId ?? this.defaultChannelId);
  }

  private allChannels(): FakeChannel[] {
    return [this.guild, ...this.otherGuilds].flatMap((guild) => guild.channels);
  }

  private createMessage(
    channelId: string,
    body: Record<string, unknown>,
    interactionId?: string,
  ): StoredMessage {
    const message: StoredMessage = {
      id: snowflake(),
      channel_id: channelId,
      guild_id: this.guild.id,
      content: String(body.content ?? ''),
      embeds: (body.embeds as StoredMessage['embeds']) ?? [],
      components: (body.components as StoredMessage['components']) ?? [],
      flags: Number(body.flags ?? 0),
      author: userPayload(this.botUser, true),
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      history: [],
      interactionId,
      ...((body as { [FILES]?: UploadedFile[] })[FILES]?.length
        ? { files: (body as { [FILES]?: UploadedFile[] })[FILES] }
        : {}),
    };
    message.history.push({
      content: message.content,
      embeds: message.embeds,
      components: message.components,
    });
    this.messages.set(message.id, message);
    return message;
  }

  /** One edit from the channel's bucket: the headers Discord sends, and whether it is refused. */
  private takeEdit(channelId: string): {
    refused: boolean;
    retryAfter: number;
    headers: Record<string, string>;
  } {
    const { limit, windowMs } = this.editLimit!;
    const now = Date.now();
    let window = this.editWindows.get(channelId);
    if (!window || now - window.startedAt >= windowMs) {
      window = { startedAt: now, used: 0 };
      this.editWindows.set(channelId, window);
    }
    const refused = window.used >= limit;
    if (!refused) window.used++;
    const resetAfter = Math.max(0.001, (window.startedAt + windowMs - now) / 1000);
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(limit - window.used),
      'x-ratelimit-reset': String((window.startedAt + windowMs) / 1000),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': `edit-${channelId}`,
      ...(refused
        ? { 'retry-after': String(Math.ceil(resetAfter)), 'x-ratelimit-scope': 'user' }
        : {}),
    };
    return { refused, retryAfter: Number(resetAfter.toFixed(3)), headers };
  }

  private editMessage(message: StoredMessage, body: Record<string, unknown>): StoredMessage {
    const files = (body as { [FILES]?: UploadedFile[] })[FILES];
    if (files?.length) message.files = files;
    if ('content' in body) message.content = String(body.content ?? '');
    if ('embeds' in body) message.embeds = (body.embeds as StoredMessage['embeds']) ?? [];
    if ('components' in body)
      message.components = (body.components as StoredMessage['components']) ?? [];
    message.flags &= ~LOADING;
    message.edited_timestamp = new Date().toISOString();
    message.history.push({
      content: message.content,
      embeds: message.embeds,
      components: message.components,
    });
    return message;
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const raw = bytes.toString('utf8');
  if (!raw) return undefined;
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) {
    // discord.js sends JSON in a `payload_json` part and each file in a `files[n]` part
    // (https://discord.com/developers/docs/reference#uploading-files).
    const boundary = /boundary=([^;]+)/.exec(type)?.[1]?.replace(/"/g, '') ?? '';
    const files: UploadedFile[] = [];
    let payload: Record<string, unknown> = {};
    for (const part of multipartParts(bytes, boundary)) {
      const name = /name="([^"]*)"/.exec(part.headers)?.[1];
      if (name === 'payload_json') payload = JSON.parse(part.body.toString('utf8'));
      else if (name?.startsWith('files['))
        files.push({
          name: /filename="([^"]*)"/.exec(part.headers)?.[1] ?? '',
          contentType: /content-type:\s*([^\r\n]+)/i.exec(part.headers)?.[1] ?? '',
          data: part.body,
        });
    }
    return { ...payload, [FILES]: files };
  }
  return JSON.parse(raw);
}

/** A part of a multipart body: its header lines and its bytes. */
function multipartParts(bytes: Buffer, boundary: string): Array<{ headers: string; body: Buffer }> {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Array<{ headers: string; body: Buffer }> = [];
  let start = bytes.indexOf(delimiter);
  while (start !== -1) {
    const next = bytes.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = bytes.subarray(start + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    if (split !== -1)
      parts.push({
        headers: part.subarray(0, split).toString('utf8'),
        body: part.subarray(split + 4),
      });
    start = next;
  }
  return parts;
}
