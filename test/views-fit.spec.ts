import { CapacityError } from '../src/admission/admission.errors';
import { accessListMessage } from '../src/access/access.views';
import { deploymentMessage } from '../src/discord/deployment-views/deployment-message.views';
import { limitProblems, withinLimits } from '../src/discord/limits';
import { serviceEmbed, serviceListMessage } from '../src/service-registry/service.views';
import { historyEmbed, statusEmbed } from '../src/status/status.views';
import { aCommit, aDeployment, aGrant, aService, largest } from './support/factories';

/** Every view, fed its largest possible input, fits Discord's limits (and says what it left out). */
describe('views at their largest', () => {
  const manyEnvironments = aService({
    environments: largest.environments,
    protectedEnvironments: largest.environments.slice(0, 10),
    defaultRef: largest.ref,
    targets: Object.fromEntries(
      largest.environments.map((env) => [
        env,
        { allowedRefs: Array.from({ length: 20 }, (_, i) => `branch:${'r'.repeat(90)}/${i}*`) },
      ]),
    ),
  });

  it('/access list with 100 grants of 100-character role names', () => {
    const content = accessListMessage({
      grants: Array.from({ length: 100 }, (_, i) =>
        aGrant({
          roleName: largest.name(`role ${i} `),
          environments: largest.environments,
          grantedBy: { id: '1', name: largest.person },
        }),
      ),
      adminRoleIds: ['111111111111111111'],
      deployerRoleIds: ['222222222222222222'],
    });
    expect(limitProblems({ content })).toEqual([]);
    expect(content).toMatch(/… and \d+ more grants \(revoke unused ones with \/access revoke\)$/);
  });

  it('/service list with 100 services of 20 environments each', () => {
    const content = serviceListMessage(
      Array.from({ length: 100 }, (_, i) =>
        aService({
          name: largest.name(`svc${i}-`).slice(0, 63),
          ...{ environments: largest.environments },
        }),
      ),
    );
    expect(limitProblems({ content })).toEqual([]);
    expect(content).toMatch(/… and \d+ more; `\/service show name` shows any one in full\.$/);
  });

  it('/service show of a service with 20 environments of 20 long patterns', () => {
    const payload = { embeds: [serviceEmbed(manyEnvironments)] };
    expect(limitProblems(payload)).toEqual([]);
    expect(JSON.stringify(payload.embeds[0].toJSON())).toContain('more environments');
  });

  it('/status of a service with 20 environments, each busy, locked and with 100 waiting requests', () => {
    const environments = largest.environments.map((environment) => ({
      environment,
      protected: true,
      current: aDeployment({ environment, requester: { id: '1', name: largest.person } }),
      inFlight: aDeployment({ environment, status: 'in_progress' }),
      pending: Array.from({ length: 100 }, () =>
        aDeployment({
          environment,
          status: 'pending_approval',
          requester: { id: '2', name: largest.person },
        }),
      ),
      lock: {
        service: 'api',
        environment,
        reason: largest.reason,
        by: { id: '3', name: largest.person },
        at: new Date(),
      },
      schedule: {
        freezes: [
          {
            environment: '*',
            reason: largest.reason,
            by: { id: '4', name: largest.person },
            at: new Date(),
            until: new Date(Date.now() + 3_600_000),
          },
        ],
        windows: [
          {
            id: 'w-abcdef',
            kind: 'deny' as const,
            cron: '0 16 * * 5',
            durationMs: 64 * 3_600_000,
            timeZone: 'America/Argentina/ComodRivadavia',
            service: 'api',
            environment,
            by: { id: '5', name: largest.person },
            at: new Date(),
          },
        ],
        state: { open: true, changesAt: new Date() },
      },
      queued: 50,
    }));
    const tracking = {
      repository: `${'o'.repeat(39)}/${'r'.repeat(100)}`,
      mode: 'polling' as const,
      lastDeliveryAt: new Date(),
      pollEveryMs: 10_000,
    };
    const payload = { embeds: [statusEmbed(manyEnvironments, environments, tracking)] };
    expect(limitProblems(payload)).toEqual([]);
    expect(JSON.stringify(payload.embeds[0].toJSON())).toContain('more: /history shows them');
  });

  it('/history of 25 deployments with the longest refs and names', () => {
    const deployments = Array.from({ length: 25 }, () =>
      aDeployment({
        status: 'success',
        ref: largest.ref,
        requester: { id: '1', name: largest.person },
        approval: {
          required: 5,
          approvals: Array.from({ length: 5 }, () => ({
            id: '2',
            name: largest.person,
            at: new Date(),
          })),
          expiresAt: new Date(),
        },
        runUrl: `https://github.com/acme/api/actions/runs/${'9'.repeat(12)}`,
        rollback: { of: 'd-000000', ofSha: 'a'.repeat(40), to: 'd-111111' },
        supersededBy: 'd-222222',
      }),
    );
    const payload = {
      embeds: [historyEmbed(manyEnvironments, largest.environments[0], deployments)],
    };
    expect(limitProblems(payload)).toEqual([]);
  });

  it('an approval request that adds and removes many commits with the longest texts', () => {
    const commits = Array.from({ length: 10 }, () =>
      aCommit({ subject: largest.subject, author: largest.person, verified: false }),
    );
    const message = deploymentMessage(
      aDeployment({
        status: 'pending_approval',
        ref: largest.ref,
        requester: { id: '1', name: largest.person },
        approval: {
          required: 5,
          approvals: Array.from({ length: 4 }, () => ({
            id: '2',
            name: largest.person,
            at: new Date(),
          })),
          expiresAt: new Date(),
        },
        changes: {
          baseSha: 'a'.repeat(40),
          status: 'diverged',
          added: { total: 250, commits },
          removed: { total: 250, commits },
          url: `https://github.com/acme/api/compare/${'a'.repeat(40)}...${'b'.repeat(40)}`,
        },
        rollback: { of: 'd-000000', ofSha: 'a'.repeat(40), to: 'd-111111' },
        failureReason: largest.reason,
      }),
    );
    expect(limitProblems(message)).toEqual([]);
    const removes = (
      message.embeds[0] as { toJSON(): { fields: Array<{ name: string; value: string }> } }
    )
      .toJSON()
      .fields.find((f) => f.name === 'Removes')!.value;
    const listed = removes.split('\n').filter((line) => line.startsWith('•')).length;
    expect(removes).toContain(`… and ${250 - listed} more`);
  });

  it('a capacity refusal naming 100 deployments in flight', () => {
    const error = new CapacityError(
      100,
      Array.from({ length: 100 }, () =>
        aDeployment({
          service: largest.name('svc').slice(0, 63),
          environment: largest.environments[0],
        }),
      ),
    );
    expect(limitProblems({ content: error.message })).toEqual([]);
    expect(error.message).toMatch(
      /… and \d+ more \(\/status shows each service\)\. Try again when one finishes\.$/,
    );
  });
});

describe('withinLimits', () => {
  it('cuts whatever a view got wrong to what Discord accepts', () => {
    const payload = withinLimits({
      content: 'x'.repeat(5_000),
      embeds: Array.from({ length: 12 }, () => ({
        title: 't'.repeat(300),
        description: 'd'.repeat(5_000),
        fields: Array.from({ length: 30 }, () => ({
          name: 'n'.repeat(300),
          value: 'v'.repeat(2_000),
        })),
      })),
    });
    expect(limitProblems(payload)).toEqual([]);
  });
});
