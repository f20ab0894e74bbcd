/* Builders for the Discord API objects the fake hands to discord.js. Shapes follow API v10. */

export interface FakeUser {
  id: string;
  username: string;
}

export interface FakeRole {
  id: string;
  name: string;
  /** Permission bits as a decimal string (8 = Administrator). */
  permissions?: string;
}

export interface FakeChannel {
  id: string;
  name: string;
}

export interface FakeGuild {
  id: string;
  name: string;
  roles: FakeRole[];
  channels: FakeChannel[];
}

/** A file uploaded with a message (kept as bytes, never served back). */
export interface UploadedFile {
  name: string;
  contentType: string;
  data: Buffer;
}

export interface StoredMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  content: string;
  embeds: Array<Record<string, unknown>>;
  components: Array<Record<string, unknown>>;
  flags: number;
  author: Record<string, unknown>;
  timestamp: string;
  edited_timestamp: string | null;
  /** Every version of the message, oldest first (a test can see what it said before an edit). */
  history: Array<Pick<StoredMessage, 'content' | 'embeds' | 'components'>>;
  /** The files uploaded with its latest version that had any. */
  files?: UploadedFile[];
  interactionId?: string;
}

export function userPayload(user: FakeUser, bot = false) {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.username,
    avatar: null,
    bot,
  };
}

export function rolePayload(role: FakeRole, position: number) {
  return {
    id: role.id,
    name: role.name,
    permissions: role.permissions ?? '0',
    position,
    color: 0,
    hoist: false,
    managed: false,
    mentionable: false,
    icon: null,
    unicode_emoji: null,
    flags: 0,
  };
}

export function channelPayload(channel: FakeChannel, guildId: string, position: number) {
  return {
    id: channel.id,
    type: 0,
    guild_id: guildId,
    name: channel.name,
    position,
    permission_overwrites: [],
    nsfw: false,
    parent_id: null,
    topic: null,
    last_message_id: null,
    rate_limit_per_user: 0,
  };
}

export function guildCreatePayload(guild: FakeGuild, ownerId: string, joinedAt: string) {
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [
      rolePayload({ id: guild.id, name: '@everyone', permissions: '0' }, 0),
      ...guild.roles.map((role, index) => rolePayload(role, index + 1)),
    ],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    joined_at: joinedAt,
    large: false,
    unavailable: false,
    member_count: 1,
    voice_states: [],
    members: [],
    channels: guild.channels.map((channel, index) => channelPayload(channel, guild.id, index)),
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export function memberPayload(
  user: FakeUser,
  roles: string[],
  permissions: string,
  joinedAt: string,
) {
  return {
    user: userPayload(user),
    roles,
    permissions,
    joined_at: joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    pending: false,
    nick: null,
    avatar: null,
    flags: 0,
    communication_disabled_until: null,
  };
}

export function messagePayload(message: StoredMessage) {
  return {
    id: message.id,
    type: message.interactionId ? 20 : 0,
    channel_id: message.channel_id,
    guild_id: message.guild_id,
    author: message.author,
    content: message.content,
    timestamp: message.timestamp,
    edited_timestamp: message.edited_timestamp,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: message.embeds,
    components: message.components,
    pinned: false,
    flags: message.flags,
  };
}
