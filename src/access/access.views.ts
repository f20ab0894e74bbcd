import { plain } from '../discord/format';
import { fitLines, LIMITS } from '../discord/limits';
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
  const header = [
    '**Access levels**: admin > deployer > viewer (everyone).',
    `Admins from ADMIN_ROLE_IDS: ${mention(list.adminRoleIds)}`,
    `Deployers from DEPLOYER_ROLE_IDS: ${mention(list.deployerRoleIds)}`,
    '',
    list.grants.length
      ? `**Grants** (${list.grants.length})`
      : 'No grants yet: `/access grant` adds one.',
  ].join('\n');
  const grants = list.grants.map(
    (grant) =>
      `• <@&${grant.roleId}> (${plain(grant.roleName, 100)}): **${grant.level}** for ${plain(scope(grant.environments), 300)}, by ${plain(grant.grantedBy.name, 40)}`,
  );
  if (grants.length === 0) return header;
  return `${header}\n${fitLines(
    grants,
    LIMITS.content - header.length - 1,
    (n) => `… and ${n} more grants (revoke unused ones with /access revoke)`,
  )}`;
}
