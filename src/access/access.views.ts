import { plain } from '../discord/format';
import { Grant } from './access-level';

const scope = (environments: string[]) =>
  environments.length ? environments.join(', ') : 'every environment';

export function grantedMessage(grant: Grant): string {
  return `<@&${grant.roleId}> is now **${grant.level}** for ${scope(grant.environments)}.`;
}

export function revokedMessage(roleId: string): string {
  return `<@&${roleId}> no longer has a grant (configured roles are unaffected).`;
}

export function accessListMessage(list: {
  grants: Grant[];
  adminRoleIds: string[];
  deployerRoleIds: string[];
}): string {
  const mention = (ids: string[]) =>
    ids.length ? ids.map((id) => `<@&${id}>`).join(', ') : 'none';
  const lines = [
    '**Access levels**: admin > deployer > viewer (everyone).',
    `Admins from ADMIN_ROLE_IDS: ${mention(list.adminRoleIds)}`,
    `Deployers from DEPLOYER_ROLE_IDS: ${mention(list.deployerRoleIds)}`,
    '',
    list.grants.length ? '**Grants**' : 'No grants yet: `/access grant` adds one.',
    ...list.grants.map(
      (grant) =>
        `• <@&${grant.roleId}> (${plain(grant.roleName, 100)}): **${grant.level}** for ${scope(grant.environments)}, by ${plain(grant.grantedBy.name, 40)}`,
    ),
  ];
  return lines.join('\n');
}
