import type { Instance } from '../../libs/instance';
import { codeSpan, fitLines } from '../../libs/text';
import type { InstanceSeen } from '../instances/instances.repository';
import { LIMITS } from '../discord/limits';

/** `3h 12m`, `4m 5s`, `12s`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h ${Math.floor((s % 3_600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3_600)}h`;
}

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
    `Pong from instance ${codeSpan(instance.id)} (up ${duration(now.getTime() - instance.startedAt.getTime())}).`,
    `Database answered in ${input.databaseMs} ms; gateway latency ${input.gatewayMs} ms.`,
    `Instances alive: ${others.length + 1}.`,
    `- ${codeSpan(instance.id)}: this one`,
    ...others.map(
      (seen) =>
        `- ${codeSpan(seen.id)}: up ${duration(now.getTime() - seen.startedAt.getTime())}, last heartbeat ${duration(now.getTime() - seen.seenAt.getTime())} ago`,
    ),
  ];
  return fitLines(lines, LIMITS.content, (hidden) => `… and ${hidden} more`);
}
