import { Injectable } from '@nestjs/common';
import { ValidationError } from '../../libs/errors';
import { AccessService } from '../access/access.service';
import type { Actor } from '../../libs/people';
import type { Person } from '../../libs/people';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { GithubClient } from '../github/github.client';
import { parseEnvironmentList, validateInput } from '../../libs/validation';
import { AddServiceInput } from './dto/add-service.input';
import type { Deployment, DeploymentSource, GateMode } from '../deployments/deployment';
import { Service } from './service';
import {
  EnvironmentNotAllowedError,
  ServiceBusyError,
  ServiceExistsError,
  UnknownServiceError,
} from './service.errors';
import { ServiceRepository } from './service.repository';
import { parseRefPatterns } from './ref-policy';
import { parseCheckNames, parseEnvironmentUrl, parsePromoteFrom } from './service.rules';
import { parseMinSoak } from './verification-settings';

const DEFAULT_ENVIRONMENTS = 'staging, prod';
const PROTECTED_BY_DEFAULT = ['prod', 'production'];
@Injectable()
export class ServiceRegistryService {
  constructor(
    private readonly services: ServiceRepository,
    private readonly history: DeploymentHistory,
    private readonly github: GithubClient,
    private readonly access: AccessService,
  ) {}

  /** Admins only. Checks every field, then that GitHub has the repository, workflow and ref. */
  async add(actor: Actor, input: AddServiceInput): Promise<Service> {
    await this.access.requireAdmin(actor, 'add services');
    const service = await this.prepare(input, { id: actor.id, name: actor.name });
    await this.services.insert(service);
    return service;
  }

  /**
   * Admins for that environment set which refs may be deployed there (`branch:`/`tag:` globs),
   * or "default" to go back to the defaults. Returns the service as it is now.
   */
  async setAllowedRefs(
    actor: Actor,
    name: string,
    environment: string,
    patterns: string,
  ): Promise<Service> {
    const env = environment.trim().toLowerCase();
    const service = await this.getForEnvironment(name, env);
    await this.access.requireAdmin(actor, 'change allowed refs', env);
    const updated = await this.services.setAllowedRefs(
      service.name,
      env,
      parseRefPatterns(patterns),
    );
    if (!updated) throw new UnknownServiceError(name);
    return updated;
  }

  /**
   * Admins for that environment set its CI gate: `all`, `required` with the check names that must
   * pass, `off`, or `default` (`all` on a protected environment, `off` elsewhere).
   */
  async setGate(
    actor: Actor,
    name: string,
    environment: string,
    mode: string,
    checks: string | undefined,
  ): Promise<Service> {
    const env = environment.trim().toLowerCase();
    const service = await this.getForEnvironment(name, env);
    await this.access.requireAdmin(actor, 'change the CI gate', env);
    const chosen = mode.trim().toLowerCase();
    if (!['all', 'required', 'off', 'default'].includes(chosen))
      throw new ValidationError('Invalid mode: all, required, off or default.');
    const required = parseCheckNames(checks ?? '');
    if (chosen === 'required' && required.length === 0)
      throw new ValidationError('Invalid checks: name the checks that must pass, comma-separated.');
    if (chosen !== 'required' && required.length)
      throw new ValidationError('Invalid checks: only the required mode takes check names.');
    const updated = await this.services.setGate(
      service.name,
      env,
      chosen === 'default' ? undefined : { mode: chosen as GateMode, required },
    );
    if (!updated) throw new UnknownServiceError(name);
    return updated;
  }

  /** Admins set whether the service's deployments are recorded on GitHub's Deployments API. */
  async setGithubDeployments(actor: Actor, name: string, mode: string): Promise<Service> {
    const service = await this.get(name);
    await this.access.requireAdmin(actor, 'change how deployments are recorded on GitHub');
    const chosen = mode.trim().toLowerCase();
    if (chosen !== 'bot' && chosen !== 'off')
      throw new ValidationError('Invalid mode: bot or off.');
    const updated = await this.services.setGithubDeployments(service.name, chosen);
    if (!updated) throw new UnknownServiceError(name);
    return updated;
  }

  /**
   * Admins for that environment set where it can be reached (`url`, given to GitHub with each
   * successful deployment) and the environment a commit must have succeeded on first
   * (`promoteFrom`). "none" removes a setting; an option left out stays as it is.
   */
  async setTarget(
    actor: Actor,
    name: string,
    environment: string,
    changes: { url?: string; promoteFrom?: string; minSoak?: string; production?: boolean },
  ): Promise<Service> {
    const env = environment.trim().toLowerCase();
    const service = await this.getForEnvironment(name, env);
    await this.access.requireAdmin(actor, 'change the target settings', env);
    if (Object.values(changes).every((value) => value === undefined))
      throw new ValidationError(
        'Nothing to change: give url, promote-from, min-soak or production.',
      );
    const minSoak = changes.minSoak === undefined ? undefined : parseMinSoak(changes.minSoak);
    const url = changes.url === undefined ? undefined : parseEnvironmentUrl(changes.url);
    const order =
      changes.promoteFrom === undefined
        ? undefined
        : parsePromoteFrom(service, env, changes.promoteFrom);
    const updated = await this.services.setTargetFields(
      service.name,
      env,
      {
        environmentUrl: url,
        promoteFrom: order?.from,
        promoteMinSoakMs: minSoak,
        production: changes.production,
      },
      order?.chain ?? {},
    );
    if (updated) return updated;
    if (order && (await this.services.findByName(service.name)))
      throw new ValidationError(
        'The promotion order of this service changed meanwhile: look at /service show and try again.',
      );
    throw new UnknownServiceError(name);
  }

  /** Registers the service unless one has that name already; true when it was added. */
  async addIfAbsent(input: AddServiceInput, addedBy: Person): Promise<boolean> {
    if (await this.services.findByName(input.name)) return false;
    return this.services.insertIfAbsent(await this.prepare(input, addedBy));
  }

  async remove(actor: Actor, name: string): Promise<Service> {
    await this.access.requireAdmin(actor, 'remove services');
    const service = await this.get(name);
    const active = await this.history.findActiveForService(service.name);
    if (active)
      throw new ServiceBusyError(service.name, active.id, active.environment, active.status);
    if (!(await this.services.remove(service.name))) throw new UnknownServiceError(name);
    return service;
  }

  async get(name: string): Promise<Service> {
    const service = await this.services.findByName(name.trim().toLowerCase());
    if (!service) throw new UnknownServiceError(name);
    return service;
  }

  /**
   * Where a deployment runs: the repository, workflow and inputs it carries, or (records made
   * before deployments carried them) its service's.
   */
  async sourceOf(
    deployment: Pick<Deployment, 'source' | 'service' | 'environment' | 'sha'>,
  ): Promise<DeploymentSource> {
    if (deployment.source) return deployment.source;
    const service = await this.get(deployment.service);
    const inputs = {
      [service.environmentInput]: deployment.environment,
      [service.shaInput]: deployment.sha,
    };
    return { owner: service.owner, repo: service.repo, workflow: service.workflow, inputs };
  }

  /** The branch a deployment's workflow runs from: its own, or (older records) its service's. */
  async dispatchRefOf(deployment: Pick<Deployment, 'dispatchRef' | 'service'>): Promise<string> {
    return deployment.dispatchRef ?? (await this.get(deployment.service)).defaultRef;
  }

  /** The service, and proof that it deploys to `environment`. */
  async getForEnvironment(name: string, environment: string): Promise<Service> {
    const service = await this.get(name);
    if (!service.environments.includes(environment)) {
      throw new EnvironmentNotAllowedError(service.name, environment, service.environments);
    }
    return service;
  }

  /** The services that deploy from `owner/repo` (GitHub's names ignore case). */
  async servicesOfRepository(owner: string, repo: string): Promise<Service[]> {
    const key = `${owner}/${repo}`.toLowerCase();
    return (await this.list()).filter(
      (service) => `${service.owner}/${service.repo}`.toLowerCase() === key,
    );
  }

  /** Whether any service deploys from `owner/repo`. */
  async servesRepository(owner: string, repo: string): Promise<boolean> {
    return (await this.servicesOfRepository(owner, repo)).length > 0;
  }

  list(): Promise<Service[]> {
    return this.services.list();
  }

  /** The services that have a weekly digest (`/service digest`). */
  withDigest(): Promise<Service[]> {
    return this.services.withDigest();
  }

  namesStartingWith(prefix: string): Promise<string[]> {
    return this.services.namesStartingWith(prefix);
  }

  private async prepare(raw: AddServiceInput, addedBy: Person): Promise<Service> {
    const trimmed = Object.fromEntries(
      Object.entries(raw)
        .filter(([, value]) => value !== undefined && value !== null)
        .map(([key, value]) => [key, String(value).trim()]),
    );
    const input = await validateInput(AddServiceInput, trimmed, {
      envInput: 'env-input',
      shaInput: 'sha-input',
      idInput: 'id-input',
    });
    const { name, owner, repo, ref } = input;
    const workflow = input.workflow ?? 'deploy.yml';
    const environments = parseEnvironmentList('envs', input.envs ?? DEFAULT_ENVIRONMENTS);
    const protectedEnvironments = this.protectedOf(input.protected, environments);
    const environmentInput = input.envInput ?? 'environment';
    const shaInput = input.shaInput ?? 'sha';
    if (environmentInput === shaInput)
      throw new ValidationError('Invalid sha-input: it must differ from env-input.');
    if (input.idInput && [environmentInput, shaInput].includes(input.idInput))
      throw new ValidationError('Invalid id-input: it must differ from env-input and sha-input.');
    if (await this.services.findByName(name)) throw new ServiceExistsError(name);

    const repository = await this.github.getRepository(owner, repo);
    await this.github.getWorkflow(owner, repo, workflow);
    const defaultRef = ref ?? repository.defaultBranch;
    // Every dispatch runs the workflow as defined on this branch: it has to be a branch.
    if (ref && !(await this.github.getBranch(owner, repo, ref)))
      throw new ValidationError(`Invalid ref: ${owner}/${repo} has no branch "${ref}".`);
    return {
      name,
      owner,
      repo,
      workflow,
      environments,
      protectedEnvironments,
      defaultRef,
      environmentInput,
      shaInput,
      ...(input.idInput ? { idInput: input.idInput } : {}),
      addedBy,
      addedAt: new Date(),
    };
  }

  private protectedOf(value: string | undefined, environments: string[]): string[] {
    if (value === undefined)
      return environments.filter((env) => PROTECTED_BY_DEFAULT.includes(env));
    if (value.trim().toLowerCase() === 'none') return [];
    const names = parseEnvironmentList('protected', value);
    const unknown = names.filter((env) => !environments.includes(env));
    if (unknown.length) {
      throw new ValidationError(
        `Invalid protected: ${unknown.join(', ')} is not among the environments (${environments.join(', ')}).`,
      );
    }
    return names;
  }
}
