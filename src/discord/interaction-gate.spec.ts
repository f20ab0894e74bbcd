import { Client, DiscordAPIError, RESTJSONErrorCodes } from 'discord.js';
import { ManualClock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { testConfig } from '../../test/support/config';
import { metricValue, testMetrics } from '../../test/support/metrics';
import { strictFake } from '../../test/support/strict-fake';
import { waitFor } from '../../test/support/wait-for';
import { Heartbeat } from '../instances/heartbeat';
import { METRIC } from '../metrics/app-metrics';
import { CommandAudit } from './command-audit.interceptor';
import { ClaimUnavailableError, InteractionClaims } from './interaction-claims.repository';
import { InteractionGate, RESTARTING } from './interaction-gate';
import { InteractionsInFlight } from './interactions-in-flight';

const HOME = '100000000000000000';

/** The gate in front of a client whose handlers record what reached them. */
function gateWith(claim: () => Promise<'won' | 'lost'>, othersAlive = true) {
  const config = testConfig({ GUILD_ID: HOME });
  const emitted: unknown[] = [];
  const client = {
    emit: (_event: string, interaction: unknown) => emitted.push(interaction) > 0,
    on: () => client,
  };
  const { metrics, registry } = testMetrics();
  const inFlight = new InteractionsInFlight();
  const claims: string[] = [];
  const gate = new InteractionGate(
    client as unknown as Client,
    config,
    // The audit is never reached for an interaction the gate drops.
    strictFake<CommandAudit>('audit'),
    strictFake<InteractionClaims>('claims', {
      claim: async (id: string) => {
        claims.push(id);
        return claim();
      },
    }),
    inFlight,
    metrics,
    new ManualClock(new Date('2026-11-24T10:00:00Z')),
    strictFake<Heartbeat>('heartbeat', {
      othersAlive: () => othersAlive,
      othersAliveNow: async () => othersAlive,
    }),
    new Instance('spec-instance'),
  );
  gate.onModuleInit();
  let next = 0;
  const receive = (guildId = HOME) => {
    const replies: unknown[] = [];
    const interaction = {
      id: `9${++next}`,
      guildId,
      user: { id: '7' },
      replies,
      isAutocomplete: () => false,
      isRepliable: () => true,
      reply: async (answer: unknown) => void replies.push(answer),
    };
    client.emit('interactionCreate', interaction);
    return interaction;
  };
  const counted = (outcome: string) => metricValue(registry, METRIC.interactionClaims, { outcome });
  return { gate, receive, emitted, claims, counted, inFlight };
}

const acknowledged = (code: number) =>
  new DiscordAPIError({ code, message: 'x' }, code, 400, 'POST', '/interactions', {});

describe('InteractionGate: one instance handles each interaction', () => {
  it('hands an interaction it claimed to the handlers', async () => {
    const { receive, emitted, counted } = gateWith(async () => 'won');
    const interaction = receive();
    await waitFor('the handler', () => emitted.length === 1);
    expect(emitted).toEqual([interaction]);
    expect(await counted('won')).toBe(1);
  });

  it('drops, without a word, one another instance claimed first', async () => {
    const { receive, emitted, counted } = gateWith(async () => 'lost');
    receive();
    await waitFor('the claim to be counted', async () => (await counted('lost')) === 1);
    expect(emitted).toEqual([]);
  });

  it('handles an interaction without a claim when the database cannot say, and then takes 40060/10062 for "another instance answered"', async () => {
    const { receive, emitted, counted, inFlight } = gateWith(async () => {
      throw new ClaimUnavailableError('the database is not connected');
    });
    const interaction = receive();
    await waitFor('the handler', () => emitted.length === 1);
    expect(await counted('unavailable')).toBe(1);
    const alreadyAcknowledged = acknowledged(
      RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged,
    );
    expect(inFlight.answeredElsewhere(interaction, alreadyAcknowledged)).toBe(true);
    expect(
      inFlight.answeredElsewhere(interaction, acknowledged(RESTJSONErrorCodes.UnknownInteraction)),
    ).toBe(true);
    expect(
      inFlight.answeredElsewhere(interaction, acknowledged(RESTJSONErrorCodes.MissingAccess)),
    ).toBe(false);
  });

  it('takes 40060 for "answered elsewhere" on a claimed interaction too, but not 10062', async () => {
    const { receive, emitted, inFlight } = gateWith(async () => 'won');
    const interaction = receive();
    await waitFor('the handler', () => emitted.length === 1);
    expect(
      inFlight.answeredElsewhere(
        interaction,
        acknowledged(RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged),
      ),
    ).toBe(true);
    expect(
      inFlight.answeredElsewhere(interaction, acknowledged(RESTJSONErrorCodes.UnknownInteraction)),
    ).toBe(false);
  });

  it('when it is the last instance shutting down, tells the member once to try again', async () => {
    const { gate, receive, emitted, counted } = gateWith(async () => 'won', false);
    await gate.onModuleDestroy();
    const interaction = receive();
    await waitFor('the answer', () => interaction.replies.length === 1);
    expect(interaction.replies).toEqual([expect.objectContaining({ content: RESTARTING })]);
    expect(emitted).toEqual([]);
    expect(await counted('stopping')).toBe(1);
  });

  it('while the last instance stops, says nothing to another server and claims nothing for it', async () => {
    const { gate, receive, claims, counted } = gateWith(async () => 'won', false);
    await gate.onModuleDestroy();
    const foreign = receive('200000000000000000');
    await waitFor('the interaction to be counted', async () => (await counted('stopping')) === 1);
    expect(foreign.replies).toEqual([]);
    expect(claims).toEqual([]);
  });

  it('claims nothing once shutting down, and waits for the handlers still running', async () => {
    const { gate, receive, emitted, claims, counted, inFlight } = gateWith(async () => 'won');
    const running = receive();
    await waitFor('the handler', () => emitted.length === 1);
    const finish = inFlight.handling(running);
    let stopped = false;
    const stopping = gate.onModuleDestroy().then(() => (stopped = true));
    const left = receive();
    await waitFor('the refusal to be counted', async () => (await counted('stopping')) === 1);
    expect(left.replies).toEqual([]);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(claims).toHaveLength(1);
    expect(emitted).toHaveLength(1);
  });
});
