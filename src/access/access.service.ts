import { Injectable } from '@nestjs/common';
import { ValidationError } from '../../libs/errors';
import { AppConfig } from '../config/app-config';
import type { Actor, Person } from '../../libs/people';
import { parseEnvironmentList, validateInput } from '../../libs/validation';
import { AccessLevel, Grant } from './access-level';
import {
  AccessDeniedError,
  GithubLinkNotFoundError,
  GithubLoginTakenError,
  GrantNotFoundError,
} from './access.errors';
import { GithubLinkInput } from './dto/github-link.input';
import { GithubLink, loginKeyOf } from './github-link';
import { GithubLinkRepository } from './github-link.repository';
import { GrantRepository } from './grant.repository';

/** What a member may do, from their roles right now. `true` means every environment. */
export interface Permissions {
  admin: true | Set<string>;
  deploy: true | Set<string>;
}

function covers(scope: true | Set<string>, environment?: string): boolean {
  if (scope === true) return true;
  return environment !== undefined && scope.has(environment);
}

function widen(scope: true | Set<string>, environments: string[]): true | Set<string> {
  if (scope === true || environments.length === 0) return true;
  return new Set([...scope, ...environments]);
}

/**
 * Admin > deployer > viewer, decided from the member's current roles on every command and click:
 * ADMIN_ROLE_IDS / DEPLOYER_ROLE_IDS, plus grants kept in MongoDB (optionally per environment).
 */
@Injectable()
export class AccessService {
  constructor(
    private readonly config: AppConfig,
    private readonly grants: GrantRepository,
    private readonly links: GithubLinkRepository,
  ) {}

  async permissionsOf(actor: Actor): Promise<Permissions> {
    // Roles of another server mean nothing here (the interaction gate refuses such actors
    // before any handler runs; the rule holds on its own as well).
    if (actor.guildId !== this.homeGuildId) return { admin: new Set(), deploy: new Set() };
    const roles = new Set(actor.roleIds);
    let admin: true | Set<string> = this.config.access.adminRoleIds.some((id) => roles.has(id))
      ? true
      : new Set();
    let deploy: true | Set<string> = this.config.access.deployerRoleIds.some((id) => roles.has(id))
      ? true
      : new Set();
    for (const grant of await this.grants.findForRoles(this.homeGuildId, actor.roleIds)) {
      if (grant.level === 'admin') admin = widen(admin, grant.environments);
      deploy = widen(deploy, grant.environments);
    }
    // An admin may also deploy wherever they administer.
    if (admin === true) deploy = true;
    else if (deploy !== true) deploy = new Set([...deploy, ...admin]);
    return { admin, deploy };
  }

  /** Admin for `environment`; without one, admin for every environment. */
  async isAdmin(actor: Actor, environment?: string): Promise<boolean> {
    return covers((await this.permissionsOf(actor)).admin, environment);
  }

  async requireAdmin(actor: Actor, action: string, environment?: string): Promise<void> {
    if (await this.isAdmin(actor, environment)) return;
    const where = environment ? ` in ${environment}` : '';
    throw new AccessDeniedError(`Only admins can ${action}${where}.`);
  }

  async requireDeployer(actor: Actor, action: string, environment: string): Promise<void> {
    if (covers((await this.permissionsOf(actor)).deploy, environment)) return;
    throw new AccessDeniedError(`Only deployers and admins for ${environment} can ${action}.`);
  }

  /**
   * Managing access takes an admin for every environment. Discord's Administrator permission
   * counts only for the first-run bootstrap: until the first admin exists (ADMIN_ROLE_IDS, or an
   * admin grant of any kind in the home server), and never again after it, even once every admin
   * grant is revoked. True when the actor acts by that rule.
   */
  async requireAccessManager(actor: Actor): Promise<boolean> {
    if (await this.isAdmin(actor)) return false;
    const bootstrap = actor.guildAdministrator && actor.guildId === this.homeGuildId;
    if (bootstrap && !(await this.bootstrapOver())) return true;
    throw new AccessDeniedError(
      bootstrap
        ? "Only admins (for every environment) can manage access. Discord's Administrator permission counts only until the first admin exists."
        : 'Only admins (for every environment) can manage access.',
    );
  }

  /**
   * Whether the bootstrap is over: an admin is configured, or the home server had one (an admin
   * grant now, or ever: recorded once seen, so revoking it does not reopen the bootstrap).
   */
  private async bootstrapOver(): Promise<boolean> {
    if (this.config.access.adminRoleIds.length > 0) return true;
    if (await this.grants.bootstrapEnded(this.homeGuildId)) return true;
    if (!(await this.grants.hasAdmin(this.homeGuildId))) return false;
    await this.grants.endBootstrap(this.homeGuildId, new Date());
    return true;
  }

  private get homeGuildId(): string {
    return this.config.discord.guildId;
  }

  async grant(
    actor: Actor,
    role: { id: string; name: string; everyone: boolean },
    level: AccessLevel,
    environments?: string,
  ): Promise<Grant> {
    const bootstrapping = await this.requireAccessManager(actor);
    if (role.everyone)
      throw new ValidationError('Invalid role: grant to a specific role, not @everyone.');
    // The bootstrap ends with the first admin grant: it must let someone manage access after it.
    if (bootstrapping && (level !== 'admin' || environments))
      throw new ValidationError(
        'The first grant must make a role admin for every environment (level:admin, no envs): from then on only admins manage access.',
      );
    const grant: Grant = {
      guildId: this.homeGuildId,
      roleId: role.id,
      roleName: role.name,
      level,
      environments: environments ? parseEnvironmentList('envs', environments) : [],
      grantedBy: { id: actor.id, name: actor.name },
      grantedAt: new Date(),
    };
    await this.grants.put(grant);
    if (level === 'admin') await this.grants.endBootstrap(this.homeGuildId, grant.grantedAt);
    return grant;
  }

  async revoke(actor: Actor, role: { id: string; name: string }): Promise<void> {
    await this.requireAccessManager(actor);
    // An admin existed until now (an install older than the record of it): recorded before the
    // grant goes, so that revoking the last one does not reopen the bootstrap.
    await this.bootstrapOver();
    if (!(await this.grants.remove(this.homeGuildId, role.id)))
      throw new GrantNotFoundError(role.name);
  }

  /** Grants in MongoDB, the roles configured through the environment, and linked GitHub accounts. */
  async list(): Promise<{
    grants: Grant[];
    adminRoleIds: string[];
    deployerRoleIds: string[];
    links: GithubLink[];
  }> {
    return {
      grants: await this.grants.list(this.homeGuildId),
      adminRoleIds: this.config.access.adminRoleIds,
      deployerRoleIds: this.config.access.deployerRoleIds,
      links: await this.links.list(),
    };
  }

  /**
   * The GitHub login linked to a member, as the admin spelled it; undefined when none. GitHub
   * logins compare case-insensitively: compare it so, or ask `memberLinkedTo(login)`.
   */
  async githubLoginOf(memberId: string): Promise<string | undefined> {
    return (await this.links.findByMember(memberId))?.login;
  }

  /** The member linked to a GitHub login (any case), with their name when linked; or undefined. */
  async memberLinkedTo(login: string): Promise<Person | undefined> {
    const link = await this.links.findByLoginKey(loginKeyOf(login));
    return link && { id: link.memberId, name: link.memberName };
  }

  /**
   * Links a member to a GitHub login (one login per member, one member per login), replacing the
   * member's own link; refused while another member holds the login. Who may: as for grants.
   */
  async linkGithub(
    actor: Actor,
    member: Person,
    login: string,
  ): Promise<{ link: GithubLink; replaced?: GithubLink }> {
    await this.requireAccessManager(actor);
    const input = await validateInput(GithubLinkInput, { login: String(login ?? '').trim() });
    const link: GithubLink = {
      memberId: member.id,
      memberName: member.name,
      login: input.login,
      loginKey: loginKeyOf(input.login),
      linkedBy: { id: actor.id, name: actor.name },
      linkedAt: new Date(),
    };
    const result = await this.links.put(link);
    if (!result.linked) throw new GithubLoginTakenError(input.login);
    return { link, ...(result.replaced ? { replaced: result.replaced } : {}) };
  }

  /** Removes a member's link to GitHub. Who may: as for grants. */
  async unlinkGithub(actor: Actor, memberId: string): Promise<GithubLink> {
    await this.requireAccessManager(actor);
    const removed = await this.links.remove(memberId);
    if (!removed) throw new GithubLinkNotFoundError();
    return removed;
  }
}
