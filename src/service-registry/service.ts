import type { Person } from '../../libs/people';

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
  /** Per environment: what differs from the defaults. */
  targets?: Record<string, TargetPolicy>;
  addedBy: Person;
  addedAt: Date;
}

/** What a service allows for one of its environments. */
export interface TargetPolicy {
  /** `branch:<glob>` / `tag:<glob>` patterns; absent: the defaults (see ref-policy.ts). */
  allowedRefs?: string[];
}
