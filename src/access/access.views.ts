import { plain } from '../discord/format';
import { fitLines, LIMITS } from '../discord/limits';
import { Grant } from './access-level';
import { GithubLink } from './github-link';

const scope = (environments: string[]) =>
  environments.length ? environments.join(', ') : 'every environment';

export function grantedMessage(grant: Grant): string {
  return `<@&${grant.roleId}> is now **${grant.level}** for ${scope(grant.environments)}.`;
}

export function revokedMessage(roleId: string): string {
  return `<@&${roleId}> no longer has a grant (configured roles are unaffected).`;
}

/** A member by name, escaped: never a mention, whatever the name says. */
const memberName = (name: string) => plain(`@${name}`, 41);

export function linkedMessage(link: GithubLink, replaced?: GithubLink): string {
  const was =
    replaced && replaced.loginKey !== link.loginKey
      ? ` (instead of ${plain(replaced.login, 39)})`
      : '';
  return `${memberName(link.memberName)} is now linked to GitHub account **${plain(link.login, 39)}**${was}.`;
}

export function unlinkedMessage(link: GithubLink): string {
  return `${memberName(link.memberName)} is no longer linked to GitHub account **${plain(link.login, 39)}**.`;
}

export function accessListMessage(list: {
  grants: Grant[];
  adminRoleIds: string[];
  deployerRoleIds: string[];
  links?: GithubLink[];
}): string {
  const mention = (ids: string[]) =>
    ids.length ? ids.map((id) => `<@&${id}>`).join(', ') : 'none';
  const header = [
    '**Access levels**: admin > deployer > viewer (everyone).',
    `Admins from ADMIN_ROLE_IDS: ${mention(list.adminRoleIds)}`,
    `Deployers from DEPLOYER_ROLE_IDS: ${mention(list.deployerRoleIds)}`,
  ].join('\n');
  const grants = {
    heading: list.grants.length
      ? `**Grants** (${list.grants.length})`
      : 'No grants yet: `/access grant` adds one.',
    lines: list.grants.map(
      (grant) =>
        `• <@&${grant.roleId}> (${plain(grant.roleName, 100)}): **${grant.level}** for ${plain(scope(grant.environments), 300)}, by ${plain(grant.grantedBy.name, 40)}`,
    ),
    more: (n: number) => `… and ${n} more grants (revoke unused ones with /access revoke)`,
  };
  const links = {
    heading: `**Linked GitHub accounts** (${list.links?.length ?? 0})`,
    lines: (list.links ?? []).map(
      (link) => `• ${memberName(link.memberName)} ↔ ${plain(link.login, 39)}`,
    ),
    more: (n: number) => `… and ${n} more links (unlink unused ones with /access unlink)`,
  };
  // The grants first; the links (if any) share what is left, each list keeping at least half.
  const sections = links.lines.length ? [grants, links] : [grants];
  const room = LIMITS.content - header.length - 2 * sections.length;
  const need = sections.map(({ heading, lines }) => [heading, ...lines].join('\n').length);
  const budgets = shareOut(room, need);
  return [
    header,
    ...sections.map(({ heading, lines, more }, i) =>
      lines.length
        ? `${heading}\n${fitLines(lines, budgets[i] - heading.length - 1, more)}`
        : heading,
    ),
  ].join('\n\n');
}

/** `room` split between two sections: one needing less than half leaves the rest to the other. */
function shareOut(room: number, need: number[]): number[] {
  if (need.length === 1) return [room];
  const half = Math.floor(room / 2);
  if (need[0] <= half) return [need[0], room - need[0]];
  if (need[1] <= half) return [room - need[1], need[1]];
  return [half, room - half];
}
