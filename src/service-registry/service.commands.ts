import { Audited } from '../discord/command-audit.interceptor';
import { Injectable, UseInterceptors } from '@nestjs/common';
import { MessageFlags } from 'discord.js';
import { AppConfig } from '../config/app-config';
import { withinLimits } from '../discord/limits';
import {
  Context,
  createCommandGroupDecorator,
  Options,
  Subcommand,
  type SlashCommandContext,
} from 'necord';
import { actorFrom } from '../discord/actor';
import {
  ServiceAddOptions,
  ServiceGateOptions,
  ServiceGithubDeploymentsOptions,
  ServiceNameOptions,
  ServiceRefsOptions,
  ServiceTargetOptions,
} from './dto/service.options';
import {
  channelChoice,
  ServiceChannelOptions,
  ServiceOutsideRunsOptions,
} from './dto/service-settings.options';
import { ServiceVerifyOptions } from './dto/service-verify.options';
import { ServiceAutocomplete } from './service.autocomplete';
import { ServiceRegistryService } from './service-registry.service';
import { ServiceSettingsService } from './service-settings.service';
import { protectionRuleCheckEmbed, serviceEmbed, serviceListMessage } from './service.views';

export const ServiceGroup = createCommandGroupDecorator({
  name: 'service',
  description: 'Deployable services',
});

@Injectable()
@Audited()
@ServiceGroup()
export class ServiceCommands {
  constructor(
    private readonly registry: ServiceRegistryService,
    private readonly settings: ServiceSettingsService,
    private readonly config: AppConfig,
  ) {}

  @Subcommand({ name: 'add', description: 'Register a service (admin)' })
  async add(@Context() [interaction]: SlashCommandContext, @Options() options: ServiceAddOptions) {
    // GitHub is asked whether the repository and workflow exist: that can take longer than 3 s.
    // Ephemeral, so a refusal stays between the bot and the person who asked.
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const service = await this.registry.add(actorFrom(interaction), options);
    return interaction.editReply(
      withinLimits({ embeds: [serviceEmbed(service, `Service ${service.name} added`)] }),
    );
  }

  @Subcommand({ name: 'list', description: 'List the registered services' })
  async list(@Context() [interaction]: SlashCommandContext) {
    return interaction.reply({
      content: serviceListMessage(await this.registry.list()),
      flags: MessageFlags.Ephemeral,
    });
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({ name: 'show', description: 'Show one service in full' })
  async show(
    @Context() [interaction]: SlashCommandContext,
    @Options() { name }: ServiceNameOptions,
  ) {
    const service = await this.registry.get(name);
    return interaction.reply(
      withinLimits({
        embeds: [serviceEmbed(service, service.name, this.config.github.identity.kind)],
        flags: MessageFlags.Ephemeral,
      }),
    );
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({
    name: 'refs',
    description: 'Set which branches and tags may be deployed to an environment (admin)',
  })
  async refs(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: ServiceRefsOptions,
  ) {
    const service = await this.registry.setAllowedRefs(
      actorFrom(interaction),
      options.name,
      options.env,
      options.allow,
    );
    return interaction.reply(
      withinLimits({
        embeds: [serviceEmbed(service, `Allowed refs of ${service.name} changed`)],
        flags: MessageFlags.Ephemeral,
      }),
    );
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({
    name: 'gate',
    description: 'Set which CI checks must pass before a deploy to an environment (admin)',
  })
  async gate(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: ServiceGateOptions,
  ) {
    const service = await this.registry.setGate(
      actorFrom(interaction),
      options.name,
      options.env,
      options.mode,
      options.checks,
    );
    return interaction.reply(
      withinLimits({
        embeds: [serviceEmbed(service, `CI gate of ${service.name} changed`)],
        flags: MessageFlags.Ephemeral,
      }),
    );
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({
    name: 'github-deployments',
    description: "Record this service's deployments on GitHub's Deployments page, or not (admin)",
  })
  async githubDeployments(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: ServiceGithubDeploymentsOptions,
  ) {
    const service = await this.registry.setGithubDeployments(
      actorFrom(interaction),
      options.name,
      options.mode,
    );
    return interaction.reply(
      withinLimits({
        embeds: [serviceEmbed(service, `GitHub Deployments of ${service.name} changed`)],
        flags: MessageFlags.Ephemeral,
      }),
    );
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({
    name: 'target',
    description:
      "Set an environment's URL, promotion order and whether it counts as production (admin)",
  })
  async target(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: ServiceTargetOptions,
  ) {
    const service = await this.registry.setTarget(
      actorFrom(interaction),
      options.name,
      options.env,
      // An option left out arrives as null.
      {
        url: options.url ?? undefined,
        promoteFrom: options.promoteFrom ?? undefined,
        minSoak: options.minSoak ?? undefined,
        production: options.production ?? undefined,
      },
    );
    return interaction.reply(
      withinLimits({
        embeds: [
          serviceEmbed(
            service,
            `Target ${options.env.trim().toLowerCase()} of ${service.name} changed`,
          ),
        ],
        flags: MessageFlags.Ephemeral,
      }),
    );
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({
    name: 'channel',
    description: "Set the channel of an environment's deployment requests and messages (admin)",
  })
  async channel(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: ServiceChannelOptions,
  ) {
    const service = await this.settings.setChannel(
      actorFrom(interaction),
      options.name,
      options.env,
      { channel: await channelChoice(interaction), clear: options.clear ?? undefined },
    );
    const env = options.env.trim().toLowerCase();
    return interaction.reply(
      withinLimits({
        embeds: [serviceEmbed(service, `Channel of ${service.name} ${env} changed`)],
        flags: MessageFlags.Ephemeral,
      }),
    );
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({
    name: 'verify',
    description: 'Set what proves a deployment healthy after its run, and auto-rollback (admin)',
  })
  async verify(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: ServiceVerifyOptions,
  ) {
    // An option left out arrives as null.
    const given = <T>(value: T | null | undefined) => value ?? undefined;
    const service = await this.settings.setVerification(
      actorFrom(interaction),
      options.name,
      options.env,
      {
        url: given(options.url),
        status: given(options.status),
        body: given(options.body),
        check: given(options.check),
        soak: given(options.soak),
        interval: given(options.interval),
        failures: given(options.failures),
        autoRollback: given(options.autoRollback) as 'on' | 'off' | undefined,
        onRunFailure: given(options.onRunFailure),
        off: given(options.off),
      },
    );
    const env = options.env.trim().toLowerCase();
    return interaction.reply(
      withinLimits({
        embeds: [serviceEmbed(service, `Verification of ${service.name} ${env} changed`)],
        flags: MessageFlags.Ephemeral,
      }),
    );
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({
    name: 'outside-runs',
    description: 'Set how runs started outside Discord are treated (admin)',
  })
  async outsideRuns(
    @Context() [interaction]: SlashCommandContext,
    @Options() options: ServiceOutsideRunsOptions,
  ) {
    const service = await this.settings.setOutsideRuns(actorFrom(interaction), options.name, {
      // An option left out arrives as null.
      unknownEnvironments: options.unknownEnvironments,
      environmentFrom: options.environmentFrom ?? undefined,
      environment: options.environment ?? undefined,
    });
    return interaction.reply(
      withinLimits({
        embeds: [serviceEmbed(service, `Outside runs of ${service.name} changed`)],
        flags: MessageFlags.Ephemeral,
      }),
    );
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({
    name: 'check',
    description: "Check on GitHub that each environment waits for the bot's answer",
  })
  async check(
    @Context() [interaction]: SlashCommandContext,
    @Options() { name }: ServiceNameOptions,
  ) {
    // One GitHub read per environment: that can take longer than 3 s.
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const check = await this.settings.checkProtectionRules(name);
    return interaction.editReply(
      withinLimits({ embeds: [protectionRuleCheckEmbed(check, this.config.github.webHost)] }),
    );
  }

  @UseInterceptors(ServiceAutocomplete)
  @Subcommand({
    name: 'remove',
    description: 'Remove a service (admin; not while it has a deployment in flight)',
  })
  async remove(
    @Context() [interaction]: SlashCommandContext,
    @Options() { name }: ServiceNameOptions,
  ) {
    const service = await this.registry.remove(actorFrom(interaction), name);
    return interaction.reply({
      content: `Service **${service.name}** removed. Its deployment history is kept.`,
    });
  }
}
