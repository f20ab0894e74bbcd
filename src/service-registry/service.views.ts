import { EmbedBuilder } from 'discord.js';
import { code, discordTime, plain } from '../discord/format';
import { allowedRefPatterns } from './ref-policy';
import { Service } from './service';

function environmentsLine(service: Service): string {
  return service.environments
    .map((env) => (service.protectedEnvironments.includes(env) ? `${env} (protected)` : env))
    .join(', ');
}

export function serviceListMessage(services: Service[]): string {
  if (services.length === 0) return 'No services yet. An admin adds one with `/service add`.';
  const lines = services.map(
    (s) => `• **${s.name}**: ${s.owner}/${s.repo} · ${code(s.workflow)} · ${environmentsLine(s)}`,
  );
  return [`**${services.length} service${services.length === 1 ? '' : 's'}**`, ...lines]
    .join('\n')
    .slice(0, 2000);
}

/** How the bot tells this service's runs apart when GitHub does not name the run. */
export function correlationText(service: Service): string {
  return service.idInput
    ? `GitHub names the run; otherwise by the deployment id in the run title (input ${code(service.idInput)})`
    : 'GitHub names the run; otherwise the earliest unclaimed run within 2 minutes of the dispatch';
}

function allowedRefsText(service: Service): string {
  return service.environments
    .map((env) => {
      const { patterns, isDefault } = allowedRefPatterns(service, env);
      return `${env}: ${patterns.map((p) => code(p)).join(', ')}${isDefault ? ' (default)' : ''}`;
    })
    .join('\n')
    .slice(0, 1024);
}

export function serviceEmbed(service: Service, title = service.name): EmbedBuilder {
  return new EmbedBuilder().setTitle(title).addFields(
    { name: 'Repository', value: `${service.owner}/${service.repo}`, inline: true },
    { name: 'Workflow', value: code(service.workflow), inline: true },
    { name: 'Default ref', value: code(service.defaultRef), inline: true },
    { name: 'Environments', value: service.environments.join(', '), inline: true },
    {
      name: 'Protected',
      value: service.protectedEnvironments.join(', ') || 'none',
      inline: true,
    },
    {
      name: 'Workflow inputs',
      value: [
        `${code(service.environmentInput)} ← environment, ${code(service.shaInput)} ← commit SHA`,
        ...(service.idInput ? [`${code(service.idInput)} ← deployment id`] : []),
      ].join(', '),
    },
    { name: 'Allowed refs', value: allowedRefsText(service) },
    { name: 'Run matching', value: correlationText(service) },
    {
      name: 'Added',
      value: `by ${plain(service.addedBy.name, 60)} ${discordTime(service.addedAt, 'R')}`,
    },
  );
}
