import { EmbedBuilder } from 'discord.js';
import { Service } from './service';

function environmentsLine(service: Service): string {
  return service.environments
    .map((env) => (service.protectedEnvironments.includes(env) ? `${env} (protected)` : env))
    .join(', ');
}

export function serviceListMessage(services: Service[]): string {
  if (services.length === 0) return 'No services yet. An admin adds one with `/service add`.';
  const lines = services.map(
    (s) => `• **${s.name}**: ${s.owner}/${s.repo} · \`${s.workflow}\` · ${environmentsLine(s)}`,
  );
  return [`**${services.length} service${services.length === 1 ? '' : 's'}**`, ...lines]
    .join('\n')
    .slice(0, 2000);
}

export function serviceEmbed(service: Service, title = service.name): EmbedBuilder {
  return new EmbedBuilder().setTitle(title).addFields(
    { name: 'Repository', value: `${service.owner}/${service.repo}`, inline: true },
    { name: 'Workflow', value: `\`${service.workflow}\``, inline: true },
    { name: 'Default ref', value: `\`${service.defaultRef}\``, inline: true },
    { name: 'Environments', value: service.environments.join(', '), inline: true },
    {
      name: 'Protected',
      value: service.protectedEnvironments.join(', ') || 'none',
      inline: true,
    },
    {
      name: 'Workflow inputs',
      value: `\`${service.environmentInput}\` ← environment, \`${service.shaInput}\` ← commit SHA`,
    },
    {
      name: 'Added',
      value: `by ${service.addedBy.name} <t:${Math.floor(new Date(service.addedAt).getTime() / 1000)}:R>`,
    },
  );
}
