import { formatSpan, verificationLines, verificationOf } from './verification-settings';
import { EmbedBuilder } from 'discord.js';
import { code, discordTime, plain } from '../discord/format';
import { fitLines, LIMITS } from '../discord/limits';
import { allowedRefPatterns } from './ref-policy';
import { digestText } from './digest-settings';
import { gateOf, outsideRunsOf, parseRequiredCheck, Service } from './service';
import type { ProtectionRuleCheck, ProtectionRuleState } from './service-settings.service';

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
      ...(target?.promoteFrom
        ? [
            `after ${target.promoteFrom}${target.promoteMinSoakMs ? ` (run there ${formatSpan(target.promoteMinSoakMs)} at least)` : ''}`,
          ]
        : []),
      ...(target?.environmentUrl ? [plain(target.environmentUrl, 200)] : []),
      ...(target?.production !== undefined
        ? [target.production ? 'production' : 'not production']
        : []),
    ];
    return parts.length ? [`${env}: ${parts.join(' · ')}`] : [];
  });
  return lines.length
    ? fitLines(lines, LIMITS.fieldValue, (n) => `… and ${n} more environments`)
    : 'no URLs, no promotion order';
}

function verificationText(service: Service): string {
  const lines = service.environments.flatMap((env) => {
    const plan = verificationOf(service, env);
    return plan
      ? [`**${env}**`, ...verificationLines(plan).map((line) => `• ${plain(line, 300)}`)]
      : [];
  });
  return lines.length
    ? fitLines(lines, LIMITS.fieldValue, (n) => `… and ${n} more lines`)
    : 'none: a deployment is done when its run succeeds (`/service verify`)';
}

/** A channel as a mention (a channel mention notifies no one). */
function channelMention(id: string): string {
  return /^\d{1,20}$/.test(id) ? `<#${id}>` : plain(id, 30);
}

function channelsText(service: Service): string {
  const lines = service.environments.flatMap((env) => {
    const channelId = service.targets?.[env]?.channelId;
    return channelId ? [`${env}: ${channelMention(channelId)}`] : [];
  });
  const rest =
    lines.length === service.environments.length
      ? []
      : [`${lines.length ? 'the others' : 'all'}: the deploy channel (DEPLOY_CHANNEL_ID)`];
  return fitLines([...lines, ...rest], LIMITS.fieldValue, (n) => `… and ${n} more environments`);
}

function outsideRunsText(service: Service, identity: 'app' | 'token'): string {
  const { unknownEnvironments, environmentFrom } = outsideRunsOf(service);
  const unknownDefault = service.outsideRuns?.unknownEnvironments ? '' : ' (default)';
  const fromDefault = service.outsideRuns?.environmentFrom ? '' : ' (default)';
  return [
    unknownEnvironments === 'reject'
      ? `Unknown environments: reject, GitHub is told they are not registered${unknownDefault}`
      : 'Unknown environments: ignore, not answered (the job waits for a GitHub admin)',
    environmentFrom === 'deployments'
      ? `A run started outside Discord deploys to: the environment its jobs reference${fromDefault}`
      : `A run started outside Discord deploys to: ${environmentFrom.fixed}, always`,
    identity === 'token'
      ? 'GitHub does not wait for Discord here: only a GitHub App can be an environment’s protection rule (GITHUB_TOKEN is set)'
      : `Whether GitHub waits for Discord: \`/service check name:${service.name}\``,
  ].join('\n');
}

export function serviceEmbed(
  service: Service,
  title = service.name,
  identity: 'app' | 'token' = 'app',
): EmbedBuilder {
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
    { name: 'Verification', value: verificationText(service) },
    { name: 'Channels', value: channelsText(service) },
    {
      name: 'Weekly digest',
      value: service.digest
        ? `${digestText(service.digest)} in ${channelMention(service.digest.channelId)}`
        : 'none (`/service digest`)',
    },
    { name: 'Outside Discord', value: outsideRunsText(service, identity) },
    { name: 'Run matching', value: correlationText(service) },
    {
      name: 'Added',
      value: `by ${plain(service.addedBy.name, 60)} ${discordTime(service.addedAt, 'R')}`,
    },
  );
}

const RULE_LINES: Record<ProtectionRuleState, (env: string) => string> = {
  waits: (env) => `${env}: GitHub waits for Discord (this App is a protection rule)`,
  disabled: (env) =>
    `${env}: GitHub does not wait for Discord: this App is a protection rule there but disabled; enable it (Settings → Environments → ${env})`,
  'not-a-rule': (env) =>
    `${env}: GitHub does not wait for Discord: add the App to the environment's deployment protection rules (Settings → Environments → ${env})`,
  'no-environment': (env) =>
    `${env}: GitHub does not wait for Discord: the repository has no environment ${env}; create it (Settings → Environments) and add the App to its deployment protection rules`,
};

const ONLY_OBSERVED =
  'Where GitHub does not wait (and on a private repository without GitHub Enterprise, which has no custom protection rules), runs started outside Discord are only observed and recorded.';

/** `/service check`: per environment, whether GitHub waits for the bot's answer. */
export function protectionRuleCheckEmbed(
  check: ProtectionRuleCheck,
  webHost: string,
): EmbedBuilder {
  const { service } = check;
  const embed = new EmbedBuilder().setTitle(`Does GitHub wait for Discord? ${service.name}`);
  if (check.identity === 'token')
    return embed.setDescription(
      `The bot signs in to GitHub with a token (GITHUB_TOKEN), and only a GitHub App can be an environment's deployment protection rule: the gate needs a GitHub App identity (GITHUB_APP_ID and its private key). Until then GitHub does not wait for Discord on any environment of ${service.name}, and runs started outside Discord are only observed and recorded.`,
    );
  const header = `Environments of ${service.owner}/${service.repo}: https://${webHost}/${service.owner}/${service.repo}/settings/environments`;
  const lines = check.environments.map(({ environment, state }) =>
    RULE_LINES[state](plain(environment, 32)),
  );
  const footer = check.environments.every(({ state }) => state === 'waits') ? [] : [ONLY_OBSERVED];
  const room = LIMITS.embedDescription - header.length - footer.join('').length - 2;
  const body = fitLines(lines, room, (n) => `… and ${n} more environments`);
  return embed.setDescription([header, body, ...footer].join('\n'));
}
