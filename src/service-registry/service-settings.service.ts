import { Injectable } from '@nestjs/common';
import { ValidationError } from '../../libs/errors';
import type { Actor } from '../../libs/people';
import { AccessService } from '../access/access.service';
import { AppConfig } from '../config/app-config';
import { GithubClient } from '../github/github.client';
import { Service } from './service';
import { UnknownServiceError } from './service.errors';
import { ServiceRepository } from './service.repository';
import { ServiceRegistryService } from './service-registry.service';
import { parseOutsideRuns } from './service.rules';
import { parseVerification, verificationOf, type VerificationInput } from './verification-settings';
import { type DigestInput, parseDigest } from './digest-settings';
import { Clock } from '../../libs/clock';

/** A channel named in a command, as the Discord handler found it. */
export interface ChannelChoice {
  id: string;
  /** A text or announcement channel of the home server. */
  usable: boolean;
}

/** Whether GitHub waits for this App's answer before a job deploys to one environment. */
export type ProtectionRuleState = 'waits' | 'disabled' | 'not-a-rule' | 'no-environment';

export type ProtectionRuleCheck =
  | { service: Service; identity: 'token' }
  | {
      service: Service;
      identity: 'app';
      environments: Array<{ environment: string; state: ProtectionRuleState }>;
    };

/**
 * What a service does outside Discord: the channel of each target's deployment requests and
 * messages, how runs started elsewhere are treated, and whether GitHub asks the bot at all.
 */
@Injectable()
export class ServiceSettingsService {
  constructor(
    private readonly registry: ServiceRegistryService,
    private readonly services: ServiceRepository,
    private readonly access: AccessService,
    private readonly github: GithubClient,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * Admins set where and when the service's weekly delivery digest is posted (see parseDigest),
   * or turn it off.
   */
  async setDigest(
    actor: Actor,
    name: string,
    input: DigestInput & { off?: boolean },
  ): Promise<Service> {
    const service = await this.registry.get(name);
    await this.access.requireAdmin(actor, 'change the weekly digest');
    const { off, ...changes } = input;
    if (off && Object.values(changes).some((value) => value !== undefined))
      throw new ValidationError('Give off:true alone, or the settings to change.');
    if (off && !service.digest)
      throw new ValidationError(`${service.name} has no digest to turn off.`);
    if (!off && service.digest && Object.values(changes).every((value) => value === undefined))
      throw new ValidationError(
        'Nothing to change: give channel, day, time or timezone, or off:true.',
      );
    const digest = off ? null : parseDigest(changes, service.digest, this.clock.now());
    const updated = await this.services.setDigest(service.name, digest, service.digest?.since);
    if (updated) return updated;
    await this.registry.get(name);
    throw new ValidationError(
      `The digest of ${service.name} was changed meanwhile: look at /service show and try again.`,
    );
  }

  /**
   * Admins for that environment set the channel of its deployment requests and messages, or
   * clear it (back to DEPLOY_CHANNEL_ID).
   */
  async setChannel(
    actor: Actor,
    name: string,
    environment: string,
    change: { channel?: ChannelChoice; clear?: boolean },
  ): Promise<Service> {
    const env = environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(name, env);
    await this.access.requireAdmin(actor, 'change the target settings', env);
    if (change.channel && change.clear)
      throw new ValidationError('Give channel or clear:true, not both.');
    if (!change.channel && !change.clear)
      throw new ValidationError(
        'Nothing to change: give channel, or clear:true to go back to the deploy channel.',
      );
    if (change.channel && !change.channel.usable)
      throw new ValidationError(
        'Invalid channel: a text or announcement channel of this server the bot can see.',
      );
    const updated = await this.services.setTargetFields(service.name, env, {
      channelId: change.channel?.id ?? null,
    });
    if (!updated) throw new UnknownServiceError(name);
    return updated;
  }

  /**
   * Admins for that environment set what proves a deployment there healthy after its run (see
   * parseVerification), or turn it off. A deployment keeps the plan its target had when it was
   * requested: a change applies to the next one.
   */
  async setVerification(
    actor: Actor,
    name: string,
    environment: string,
    input: VerificationInput & { off?: boolean },
  ): Promise<Service> {
    const env = environment.trim().toLowerCase();
    const service = await this.registry.getForEnvironment(name, env);
    await this.access.requireAdmin(actor, 'change how deployments are verified', env);
    const { off, ...changes } = input;
    if (off && Object.values(changes).some((value) => value !== undefined))
      throw new ValidationError('Give off:true alone, or the settings to change.');
    const plan = off ? null : parseVerification(verificationOf(service, env), changes);
    const updated = await this.services.setTargetFields(service.name, env, { verification: plan });
    if (!updated) throw new UnknownServiceError(name);
    return updated;
  }

  /**
   * Admins set how runs started outside Discord are treated: requests for environments the
   * service does not list (`reject` or `ignore`), and where such a run deploys (`deployments`,
   * or `fixed` with one of the service's environments; left out: as it is).
   */
  async setOutsideRuns(
    actor: Actor,
    name: string,
    input: { unknownEnvironments: string; environmentFrom?: string; environment?: string },
  ): Promise<Service> {
    const service = await this.registry.get(name);
    await this.access.requireAdmin(actor, 'change how runs started outside Discord are treated');
    const updated = await this.services.setOutsideRuns(
      service.name,
      parseOutsideRuns(service, input),
    );
    if (!updated) throw new UnknownServiceError(name);
    return updated;
  }

  /**
   * Per environment of the service: whether GitHub's environment exists and this bot's App is
   * its enabled custom protection rule. Only an App can be one, so a token identity asks nothing.
   * The reads are charged to whoever runs the command.
   */
  async checkProtectionRules(name: string): Promise<ProtectionRuleCheck> {
    const service = await this.registry.get(name);
    const identity = this.config.github.identity;
    if (identity.kind !== 'app') return { service, identity: 'token' };
    const environments: Array<{ environment: string; state: ProtectionRuleState }> = [];
    // One at a time: a service has at most 20 environments, and the member's budget is small.
    for (const environment of service.environments) {
      const rules = await this.github.listProtectionRuleApps(
        service.owner,
        service.repo,
        environment,
      );
      const ours =
        rules === 'no-environment' ? undefined : rules.find((r) => r.appId === identity.appId);
      const state: ProtectionRuleState =
        rules === 'no-environment'
          ? 'no-environment'
          : !ours
            ? 'not-a-rule'
            : ours.enabled
              ? 'waits'
              : 'disabled';
      environments.push({ environment, state });
    }
    return { service, identity: 'app', environments };
  }
}
