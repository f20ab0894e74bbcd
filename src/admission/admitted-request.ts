import type { Person } from '../../libs/people';
import type { Deployment, DeploymentDraft } from '../deployments/deployment';
import { githubDeploymentOf, type Service } from '../service-registry/service';
import { verificationOf } from '../service-registry/verification-settings';

/**
 * A deploy or rollback that passed the checks made before GitHub (rights, locks, busy target,
 * cooldown) and knows its commit: what the approval flow or the dispatch gets.
 */
export interface AdmittedRequest {
  draft: DeploymentDraft;
  /** The target needs approval: the request goes to the approval flow. */
  protected: boolean;
  /** Gives the member's cooldown back, for a request refused after it was taken. */
  release: () => Promise<void>;
  /** The target's CI gate, for a deploy (a rollback passes none: its commit passed before). */
  gate?: { mode: 'all' | 'required'; required: string[] };
}

/** The request for `sha` on a target of `service`, with the workflow copied from the service. */
export function admittedRequest(
  service: Service,
  target: {
    environment: string;
    ref: string;
    sha: string;
    requester: Person;
    rollback?: Deployment['rollback'];
  },
  release: () => Promise<void>,
): AdmittedRequest {
  return {
    draft: {
      service: service.name,
      environment: target.environment,
      ref: target.ref,
      sha: target.sha,
      requester: target.requester,
      workflow: {
        owner: service.owner,
        repo: service.repo,
        workflow: service.workflow,
        defaultBranch: service.defaultRef,
        environmentInput: service.environmentInput,
        shaInput: service.shaInput,
        ...(service.idInput ? { idInput: service.idInput } : {}),
      },
      ...(target.rollback ? { rollback: target.rollback } : {}),
      ...withGithubDeployment(githubDeploymentOf(service, target.environment)),
      ...withVerification(verificationOf(service, target.environment)),
    },
    protected: service.protectedEnvironments.includes(target.environment),
    release,
  };
}

function withGithubDeployment(record: ReturnType<typeof githubDeploymentOf>) {
  return record ? { githubDeployment: record } : {};
}

function withVerification(plan: ReturnType<typeof verificationOf>) {
  return plan ? { verification: plan } : {};
}
