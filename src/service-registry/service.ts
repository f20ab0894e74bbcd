import type { Person } from '../../libs/people';
import type { GateMode } from '../deployments/deployment';

/** A deployable service: which workflow deploys it, where, and which targets need approval. */
export interface Service {
  name: string;
  owner: string;
  repo: string;
  /** Workflow file name in .github/workflows, or its numeric id. */
  workflow: string;
  environments: string[];
  protectedEnvironments: string[];
  defaultRef: string;
  /** Workflow input that receives the target environment. */
  environmentInput: string;
  /** Workflow input that receives the commit SHA to deploy. */
  shaInput: string;
  /**
   * Workflow input that receives the deployment id (opt-in: GitHub refuses undeclared inputs).
   * The workflow puts it into its run-name, so a run is matched to its deployment by title.
   */
  idInput?: string;
  /** `bot`: each deployment is recorded on GitHub's Deployments API; `off`: not. Absent: `bot`. */
  githubDeployments?: GithubDeploymentsMode;
  /** Per environment: what differs from the defaults. */
  targets?: Record<string, TargetPolicy>;
  addedBy: Person;
  addedAt: Date;
}

/** What a service allows for one of its environments. */
export interface TargetPolicy {
  /** `branch:<glob>` / `tag:<glob>` patterns; absent: the defaults (see ref-policy.ts). */
  allowedRefs?: string[];
  /** The CI gate; absent: `all` on a protected environment, `off` elsewhere. */
  ciGate?: GateMode;
  /** With `ciGate: required`: the check names (check runs or status contexts) that must pass. */
  requiredChecks?: string[];
  /** Where the environment can be reached: given to GitHub with a successful deployment. */
  environmentUrl?: string;
  /** A commit must have been deployed successfully there before it may be requested here. */
  promoteFrom?: string;
}

export type GithubDeploymentsMode = 'bot' | 'off';

/** What a deployment to `environment` tells GitHub's Deployments API; undefined when `off`. */
export function githubDeploymentOf(
  service: Service,
  environment: string,
): { production: boolean; environmentUrl?: string } | undefined {
  if ((service.githubDeployments ?? 'bot') === 'off') return undefined;
  const environmentUrl = service.targets?.[environment]?.environmentUrl;
  return {
    production: service.protectedEnvironments.includes(environment),
    ...(environmentUrl ? { environmentUrl } : {}),
  };
}

/** The CI gate of a target: its mode and, for `required`, the checks it names. */
export function gateOf(
  service: Service,
  environment: string,
): { mode: GateMode; required: string[] } {
  const target = service.targets?.[environment];
  const mode =
    target?.ciGate ?? (service.protectedEnvironments.includes(environment) ? 'all' : 'off');
  return { mode, required: target?.requiredChecks ?? [] };
}

/** A GitHub App's slug (`github-actions`): lowercase letters, digits and dashes. */
const APP_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38})$/;

/**
 * A required check's name, and the GitHub App that must report it when pinned (`build@github-actions`:
 * the last `@` followed by an App's slug). A commit status counts as the App's when its creator is
 * the App's bot account (`github-actions[bot]`).
 */
export function parseRequiredCheck(required: string): { name: string; app?: string } {
  const at = required.lastIndexOf('@');
  const app = at > 0 ? required.slice(at + 1) : '';
  return APP_SLUG.test(app) ? { name: required.slice(0, at), app } : { name: required };
}
