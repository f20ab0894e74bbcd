import { ManualClock } from '../../libs/clock';
import { testConfig } from '../../test/support/config';
import { testMetrics } from '../../test/support/metrics';
import { strictFake } from '../../test/support/strict-fake';
import { QueueStore } from '../admission/queue.store';
import { DeployService } from './deploy.service';
import { DeployQueueing, MAX_IN_LINE_PER_MEMBER } from './deploy-queueing';

const NOW = new Date('2026-12-06T12:00:00Z');
const member = { id: '42', name: 'dana', guildId: '1', roleIds: [], guildAdministrator: false };
const request = { service: 'api', environment: 'prod', ref: 'main' };

/** Putting a request in a queue: the member's limits, against strict fakes. */
function queueing(options: { inLine: number; enqueued: unknown }) {
  const calls: string[] = [];
  const service = new DeployQueueing(
    strictFake<DeployService>(
      'deploys',
      {
        prepareToQueue: async () => ({
          service: { name: 'api' },
          environment: 'prod',
          ref: 'main',
          sha: 'a'.repeat(40),
          release: async () => void calls.push('cooldown given back'),
        }),
      },
      calls,
    ),
    strictFake<QueueStore>(
      'queue',
      {
        countInLineFor: async () => options.inLine,
        enqueue: async () => options.enqueued,
      },
      calls,
    ),
    testConfig(),
    testMetrics().metrics,
    new ManualClock(NOW),
  );
  return { service, calls };
}

describe('DeployQueueing.enqueue', () => {
  it(`refuses a member with ${MAX_IN_LINE_PER_MEMBER} requests in line before checking anything else`, async () => {
    const { service, calls } = queueing({ inLine: MAX_IN_LINE_PER_MEMBER, enqueued: undefined });
    await expect(service.enqueue(member, request, 'c1')).rejects.toMatchObject({
      code: 'QUEUE.MEMBER_LIMIT',
    });
    expect(calls).toEqual(['queue.countInLineFor']);
  });

  it('takes the cooldown like a deploy, and gives it back when the queue is full', async () => {
    const { service, calls } = queueing({ inLine: 0, enqueued: { full: 20 } });
    await expect(service.enqueue(member, request, 'c1')).rejects.toMatchObject({
      code: 'QUEUE.FULL',
    });
    expect(calls).toEqual([
      'queue.countInLineFor',
      'deploys.prepareToQueue',
      'queue.enqueue',
      'cooldown given back',
    ]);
  });

  it('gives the cooldown back when the offer it takes up is gone', async () => {
    const { service, calls } = queueing({ inLine: 0, enqueued: { gone: true } });
    await expect(
      service.enqueue(member, request, 'c1', { offerId: 'q-abcdef' }),
    ).rejects.toMatchObject({ code: 'QUEUE.OFFER_GONE' });
    expect(calls).toContain('cooldown given back');
  });

  it('keeps the cooldown taken for a request that got into the queue', async () => {
    const entry = { id: 'q-123456' };
    const { service, calls } = queueing({ inLine: 1, enqueued: { entry, position: 2 } });
    expect(await service.enqueue(member, request, 'c1')).toEqual({ entry, position: 2 });
    expect(calls).not.toContain('cooldown given back');
  });
});
