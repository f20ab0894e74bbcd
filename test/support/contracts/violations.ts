import type { Violations } from './contracts';

/**
 * What the fakes found wrong in the requests the bot sent them, since the last test ended: the
 * e2e setup (test/setup/contract-violations.ts) fails the test during which they were sent.
 */
const found: string[] = [];
let checking = false;

/**
 * Turns the checks on: the test setup does (test/setup/contract-violations.ts). Off elsewhere,
 * so the bench and the production install check measure the bot, not the validator.
 */
export function checkContracts(): void {
  checking = true;
}

/** Whether the fakes check what they are sent. */
export function contractsChecked(): boolean {
  return checking;
}

export function recordViolations(violations: Violations): void {
  found.push(...violations);
}

/** The violations found since the last call, and forgets them. */
export function takeViolations(): string[] {
  return found.splice(0);
}
