import type { Person } from '../../libs/people';
import type { GateMode, VerificationPlan } from '../deployments/deployment';

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
  /** How runs and protection-rule requests that did not start in Discord are treated. */
  outsideRuns?: OutsideRuns;
  /** The weekly delivery digest (`/service digest`): where and when; absent: none. */
  digest?: DigestSchedule;
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
  /**
   * A commit must have been deployed successfully there (verified, when that target verifies its
   * deployments) before it may be requested here.
   */
  promoteFrom?: string;
  /** With promoteFrom: how long ago, at least, the commit's run must have succeeded there. */
  promoteMinSoakMs?: number;
  /** What proves a deployment here healthy after its run (`/service verify`). */
  verification?: VerificationPlan;
  /** The Discord channel of the target's deployment requests and messages; absent: DEPLOY_CHANNEL_ID. */
  channelId?: string;
  /** Counted as production by the delivery metrics (`/stats`); absent: whether it is protected. */
  production?: boolean;
}

/**
 * Runs started outside Discord, and GitHub's protection-rule requests about them. Absent
 * fields: the defaults (`outsideRunsOf`).
 */
export interface OutsideRuns {
  /**
   * A request for an environment of the repository the service does not list: `reject` (GitHub
   * is told so, with a comment), or `ignore` (no answer: the job waits until a
   * repository admin bypasses the rules on GitHub, or GitHub's 30 days pass).
   */
  unknownEnvironments: 'reject' | 'ignore';
  /**
   * Where such a run deploys: `deployments`, from the deployments GitHub creates for its jobs
   * that reference an environment (and from the protection-rule request); or one environment
   * for every run of the deploy workflow (`{ fixed: 'staging' }`: a push to main deploys there).
   */
  environmentFrom?: 'deployments' | { fixed: string };
}

export type GithubDeploymentsMode = 'bot' | 'off';

/** Where and when a service's weekly delivery digest is posted. */
export interface DigestSchedule {
  channelId: string;
  /** ISO weekday: 1 is Monday, 7 Sunday. */
  weekday: number;
  /** Wall-clock time of day in `timeZone`, `HH:MM`. */
  time: string;
  /** An IANA time zone (`Europe/Berlin`, `UTC`). */
  timeZone: string;
  /** When it was set: the first digest is the first of its times after this. */
  since: Date;
}

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

/** The environments the delivery metrics count as production: marked so, else the protected ones. */
export function productionEnvironmentsOf(service: Service): string[] {
  return service.environments.filter(
    (env) => service.targets?.[env]?.production ?? service.protectedEnvironments.includes(env),
  );
}

/** The Discord channel of a target's deployment requests and messages: its own, else `fallback`. */
export function channelOf(
  service: Service,
  environment: string,
  fallback?: string,
): string | undefined {
  return service.targets?.[environment]?.channelId ?? fallback;
}

/** How the service treats runs started outside Discord, the defaults filled in. */
export function outsideRunsOf(service: Service): Required<OutsideRuns> {
  return {
    unknownEnvironments: service.outsideRuns?.unknownEnvironments ?? 'reject',
    environmentFrom: service.outsideRuns?.environmentFrom ?? 'deployments',
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
