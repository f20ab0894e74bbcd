import { AsyncLocalStorage } from 'node:async_hooks';

const members = new AsyncLocalStorage<{ memberId: string }>();

/**
 * Runs `work` on behalf of a member: every GitHub request made while it runs, however deep, is
 * charged to that member's budget. The bot's own work (polling, webhooks) runs on behalf of
 * no one and is not charged.
 */
export function onBehalfOf<T>(memberId: string, work: () => T): T {
  return members.run({ memberId }, work);
}

export function currentMember(): string | undefined {
  return members.getStore()?.memberId;
}

/**
 * Runs `work` as the bot's own, even inside a member's command: what it asks GitHub is not
 * charged to the member (a check the bot makes for safety, bounded by its own cache).
 */
export function onBehalfOfTheBot<T>(work: () => T): T {
  return members.exit(work);
}
