import { EmbedBuilder } from 'discord.js';
import { code, discordTime, plain } from '../discord/format';
import { fitLines, LIMITS } from '../discord/limits';
import { allowedRefPatterns } from './ref-policy';
import { gateOf, parseRequiredCheck, Service } from './service';

function environmentsLine(service: Service): string {
  return service.environments
    .map((env) => (service.protectedEnvironments.includes(env) ? `${env} (protected)` : env))
    .join(', ');
}

export function serviceListMessage(services: Service[]): string {
  if (services.length === 0) return 'No services yet. An admin adds one with `/service add`.';
  const header = `**${services.length} service${services.length === 1 ? '' : 's'}**`;
  const lines = services.map((s) =>
    `• **${s.name}**: ${s.owner}/${s.repo} · ${code(s.workflow)} · ${environmentsLine(s)}`.slice(
      0,
      600,
    ),
  );
  return `${header}\n${fitLines(
    lines,
    LIMITS.content - header.length - 1,
    (n) => `… and ${n} more; \`/service show name\` shows any one in full.`,
  )}`;
}

/** How the bot tells this service's runs apart when GitHub does not name the run. */
export function correlationText(service: Service): string {
  return service.idInput
    ? `GitHub names the run; otherwise by the deployment id in the run title (input ${code(service.idInput)})`
    : 'GitHub names the run; otherwise the earliest unclaimed run within 2 minutes of the dispatch';
}

function allowedRefsText(service: Service): string {
  const lines = service.environments.map((env) => {
    const { patterns, isDefault } = allowedRefPatterns(service, env);
    const list = fitLines(
      patterns.map((p) => code(p)),
      300,
      (n) => `… ${n} more`,
    ).replace(/\n/g, ', ');
    return `${env}: ${list}${isDefault ? ' (default)' : ''}`;
  });
  return fitLines(lines, LIMITS.fieldValue, (n) => `… and ${n} more environments`);
}

/** A required check, and the App it must come from when pinned. */
function requiredCheckText(label: string): string {
  const { name, app } = parseRequiredCheck(label);
  return app ? `${code(name)} (only from ${code(app)})` : code(name);
}

function gatesText(service: Service): string {
  const lines = service.environments.map((env) => {
    const { mode, required } = gateOf(service, env);
    const isDefault = !service.targets?.[env]?.ciGate;
    const checks = mode === 'required' ? `: ${required.map(requiredCheckText).join(', ')}` : '';
    return `${env}: ${mode}${checks}${isDefault ? ' (default)' : ''}`;
  });
  return fitLines(lines, LIMITS.fieldValue, (n) => `… and ${n} more environments`);
}

function targetsText(service: Service): string {
  const lines = service.environments.flatMap((env) => {
    const target = service.targets?.[env];
    const parts = [
      ...(target?.promoteFrom ? [`after ${target.promoteFrom}`] : []),
      ...(target?.environmentUrl ? [plain(target.environmentUrl, 200)] : []),
    ];
    return parts.length ? [`${env}: ${parts.join(' · ')}`] : [];
  });
  return lines.length
    ? fitLines(lines, LIMITS.fieldValue, (n) => `… and ${n} more environments`)
    : 'no URLs, no promotion order';
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
    { name: 'CI gate', value: gatesText(service) },
    {
      name: 'GitHub Deployments',
      value:
        (service.githubDeployments ?? 'bot') === 'bot'
          ? 'bot: recorded on GitHub with their statuses'
          : 'off: not recorded by the bot',
      inline: true,
    },
    { name: 'Targets', value: targetsText(service) },
    { name: 'Run matching', value: correlationText(service) },
    {
      name: 'Added',
      value: `by ${plain(service.addedBy.name, 60)} ${discordTime(service.addedAt, 'R')}`,
    },
  );
}
