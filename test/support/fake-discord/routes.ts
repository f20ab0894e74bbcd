/**
 * The Discord REST routes the fake serves, by the route templates of Discord's API description
 * (discord-api-spec): every request the bot sends is checked against its route's description.
 */
export const DISCORD_ROUTES: Array<[string, string]> = [
  ['GET', '/gateway/bot'],
  ['GET', '/gateway'],
  ['GET', '/applications/@me'],
  ['GET', '/users/@me'],
  ['GET', '/applications/{application_id}/commands'],
  ['PUT', '/applications/{application_id}/commands'],
  ['GET', '/applications/{application_id}/guilds/{guild_id}/commands'],
  ['PUT', '/applications/{application_id}/guilds/{guild_id}/commands'],
  ['POST', '/interactions/{interaction_id}/{interaction_token}/callback'],
  ['POST', '/webhooks/{webhook_id}/{webhook_token}'],
  ['GET', '/webhooks/{webhook_id}/{webhook_token}/messages/@original'],
  ['PATCH', '/webhooks/{webhook_id}/{webhook_token}/messages/@original'],
  ['DELETE', '/webhooks/{webhook_id}/{webhook_token}/messages/@original'],
  ['GET', '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}'],
  ['PATCH', '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}'],
  ['DELETE', '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}'],
  ['GET', '/guilds/{guild_id}/members/{user_id}'],
  ['GET', '/channels/{channel_id}'],
  ['POST', '/channels/{channel_id}/messages'],
  ['GET', '/channels/{channel_id}/messages/{message_id}'],
  ['PATCH', '/channels/{channel_id}/messages/{message_id}'],
  ['DELETE', '/channels/{channel_id}/messages/{message_id}'],
];

const compiled = DISCORD_ROUTES.map(([method, template]) => ({
  method,
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  literal: !template.includes('{'),
}))
  // A literal segment (`@original`) wins over a parameter.
  .sort((a, b) => b.template.split('@').length - a.template.split('@').length);

/** The template of the route `method` `path` takes (decoded, without /api/v10), if the fake has it. */
export function discordTemplate(method: string, path: string): string | undefined {
  return compiled.find((route) => route.method === method && route.pattern.test(path))?.template;
}
