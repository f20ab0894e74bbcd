import { BaseInteraction, PermissionFlagsBits } from 'discord.js';
import type { Actor } from '../../libs/people';

/** Reads the actor from the interaction itself: roles are never cached between commands. */
export function actorFrom(interaction: BaseInteraction): Actor {
  const member = interaction.member;
  let roleIds: string[] = [];
  if (member) {
    roleIds = Array.isArray(member.roles) ? [...member.roles] : [...member.roles.cache.keys()];
  }
  return {
    id: interaction.user.id,
    name: interaction.user.username,
    guildId: interaction.guildId,
    roleIds: roleIds.filter((id) => id !== interaction.guildId),
    guildAdministrator:
      interaction.memberPermissions?.has(PermissionFlagsBits.Administrator) ?? false,
  };
}
