import type { Person } from '../deploy/deployment';

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
  addedBy: Person;
  addedAt: Date;
}
