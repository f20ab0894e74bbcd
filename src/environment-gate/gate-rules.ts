import type { Deployment } from '../deployments/deployment';
import { allowedRefPatterns, matchingPattern } from '../service-registry/ref-policy';
import { outsideRunsOf, Service } from '../service-registry/service';
import type { GateDecision } from './gate-request.store';

/** What to do with a question now: decide it, look again at `at`, or it opened a request. */
export type GateStep =
  { decide: Omit<GateDecision, 'at'> } | { lookAgainAt: Date } | { opened: Deployment };

/** An App's account (`…[bot]`): never a person. */
export function isApp(sender: { login: string; type: string }): boolean {
  return sender.type === 'Bot' || sender.login.endsWith('[bot]');
}

/** Whether `run` is of the service's deploy workflow (by its id, or its file's name). */
export function deploysWith(
  service: Service,
  run: { workflowId?: number; path?: string },
): boolean {
  return (
    (run.workflowId !== undefined && String(run.workflowId) === service.workflow) ||
    (typeof run.path === 'string' && run.path.split('/').pop() === service.workflow)
  );
}

/**
 * Whether a run's ref (`refs/heads/…`, `refs/tags/…`, or a bare branch or tag name as a
 * `workflow_run` gives it) is one the target allows.
 */
export function refAllowed(service: Service, environment: string, ref: string): boolean {
  const { patterns } = allowedRefPatterns(service, environment);
  if (ref.startsWith('refs/tags/')) return Boolean(matchingPattern(patterns, 'tag', ref.slice(10)));
  const name = ref.replace(/^refs\/heads\//, '');
  if (matchingPattern(patterns, 'branch', name)) return true;
  return !ref.startsWith('refs/heads/') && Boolean(matchingPattern(patterns, 'tag', name));
}

/** Why the run's ref may not deploy there, or undefined when it may (as for /deploy). */
export function refusedRef(service: Service, environment: string, ref: string): string | undefined {
  if (refAllowed(service, environment, ref)) return undefined;
  const { patterns } = allowedRefPatterns(service, environment);
  return `${ref.slice(0, 100)} may not deploy to ${environment} (allowed: ${patterns.join(', ').slice(0, 300)}).`;
}

/**
 * A question about something no service deploys there (an environment the services of the
 * repository do not list, or another workflow than theirs): answered as those services say.
 */
export function notRegistered(services: Service[], what: string): GateStep {
  const names = services.map((service) => service.name).join(', ');
  if (services.every((service) => outsideRunsOf(service).unknownEnvironments === 'ignore'))
    return { decide: { state: 'ignored', comment: `not registered: ${what}` } };
  return {
    decide: {
      state: 'rejected',
      comment: `${what} is not registered with ${names} in the deploy bot: an admin adds it to a service before anything deploys there this way.`,
    },
  };
}

/** One run, one environment at a time: the run is a deployment to another one already. */
export function oneAtATime(following: Deployment): GateStep {
  return {
    decide: {
      state: 'rejected',
      comment: `This run is already a deployment to ${following.environment} (${following.id}); the bot lets a run through to one environment at a time.`,
    },
  };
}
