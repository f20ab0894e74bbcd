import type { Deployment } from '../../deployments/deployment';
import { code, plain } from '../format';

/** GitHub's events, as people say them. */
const EVENTS: Record<string, string> = {
  push: 'a push',
  workflow_dispatch: 'the Run workflow button (or the API)',
  repository_dispatch: 'another tool (repository_dispatch)',
  schedule: 'a schedule',
  pull_request: 'a pull request',
  release: 'a release',
  workflow_run: 'another workflow',
};

/** Who started a run on GitHub: the login (data, never a mention) and the linked member's name. */
export function startedBy(origin: NonNullable<Deployment['origin']>): string {
  const login = `GitHub ${code(origin.login)}`;
  if (origin.app) return `${login} (an App, not a person)`;
  return origin.member ? `${login} (${plain(origin.member.name, 60)})` : `${login} (not linked)`;
}

/** GitHub's event that started a run, in words (an unknown one as it is, escaped). */
export function eventText(event: string): string {
  return plain(EVENTS[event] ?? event, 40);
}
