import type { Instance } from '../../libs/instance';
import { codeSpan, fitLines } from '../../libs/text';
import type { InstanceSeen } from '../instances/instances.repository';
import { LIMITS } from '../discord/limits';
import { formatDuration } from '../discord/deployment-views/deployment-message.views';

/**
 * What `/ping` answers: which instance answered (an interaction is handled by the one instance
 * that claimed it), how fast the database and the gateway are, and every instance heard from in
 * the last 30 s.
 */
export function pingAnswer(input: {
  instance: Instance;
  databaseMs: number;
  gatewayMs: number;
  alive: InstanceSeen[];
  now: Date;
}): string {
  const { instance, now } = input;
  const others = input.alive.filter((seen) => seen.id !== instance.id);
  const lines = [
    `Pong from instance ${codeSpan(instance.id)} (up ${formatDuration(now.getTime() - instance.startedAt.getTime())}).`,
    `Database answered in ${input.databaseMs} ms; gateway latency ${input.gatewayMs} ms.`,
    `Instances alive: ${others.length + 1}.`,
    `- ${codeSpan(instance.id)}: this one`,
    ...others.map(
      (seen) =>
        `- ${codeSpan(seen.id)}: up ${formatDuration(now.getTime() - seen.startedAt.getTime())}, last heartbeat ${formatDuration(now.getTime() - seen.seenAt.getTime())} ago`,
    ),
  ];
  return fitLines(lines, LIMITS.content, (hidden) => `… and ${hidden} more`);
}
