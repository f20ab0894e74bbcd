import { aService, largest } from '../../test/support/factories';
import { limitProblems } from '../discord/limits';
import { protectionRuleCheckEmbed, serviceEmbed } from './service.views';

describe('the protection-rule check', () => {
  it('says plainly, per environment, whether GitHub waits for Discord', () => {
    const service = aService({ environments: ['prod', 'staging', 'qa_1'] });
    const embed = protectionRuleCheckEmbed(
      {
        service,
        identity: 'app',
        environments: [
          { environment: 'prod', state: 'waits' },
          { environment: 'staging', state: 'not-a-rule' },
          { environment: 'qa_1', state: 'no-environment' },
        ],
      },
      'github.com',
    ).toJSON();
    expect(embed.description?.split('\n')).toEqual([
      'Environments of acme/api: https://github.com/acme/api/settings/environments',
      'prod: GitHub waits for Discord (this App is a protection rule)',
      "staging: GitHub does not wait for Discord: add the App to the environment's deployment protection rules (Settings → Environments → staging)",
      'qa\\_1: GitHub does not wait for Discord: the repository has no environment qa\\_1; create it (Settings → Environments) and add the App to its deployment protection rules',
      expect.stringContaining('on a private repository without GitHub Enterprise'),
    ]);
  });

  it('fits Discord with 20 environments of 32 characters, none waiting', () => {
    const service = aService({ owner: 'o'.repeat(39), repo: 'r'.repeat(100) });
    const payload = {
      embeds: [
        protectionRuleCheckEmbed(
          {
            service,
            identity: 'app',
            environments: largest.environments.map((environment) => ({
              environment,
              state: 'no-environment' as const,
            })),
          },
          'github.example.com',
        ),
      ],
    };
    expect(limitProblems(payload)).toEqual([]);
  });
});

describe('/service show', () => {
  it('fits with a channel on each of 20 environments and a fixed environment', () => {
    const service = aService({
      environments: largest.environments,
      targets: Object.fromEntries(
        largest.environments.map((env) => [
          env,
          { channelId: '1'.repeat(20), environmentUrl: `https://${'u'.repeat(180)}.example` },
        ]),
      ),
      outsideRuns: {
        unknownEnvironments: 'ignore',
        environmentFrom: { fixed: largest.environments[0] },
      },
    });
    const embed = serviceEmbed(service);
    expect(limitProblems({ embeds: [embed] })).toEqual([]);
    const fields = Object.fromEntries(embed.toJSON().fields!.map((f) => [f.name, f.value]));
    expect(fields.Channels).toContain(`${largest.environments[0]}: <#${'1'.repeat(20)}>`);
    expect(fields['Outside Discord']).toContain(`deploys to: ${largest.environments[0]}, always`);
  });
});
