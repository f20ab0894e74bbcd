import {
  ApprovalState,
  ChangeSummary,
  Deployment,
  DeploymentDraft,
  DeploymentStatus,
  GATED_STATUSES,
  GateRecord,
  newDeployment,
} from './deployment';
import type { DeploymentEvents } from './deployment.events';
import type { DeploymentGateRepository } from './deployment-gate.repository';
import type { DeploymentRepository } from './deployment.repository';

/**
 * A deployment just put in flight, and the name of the dispatch lease its caller now holds: the
 * dispatcher renews it right before it sends, and sends nothing once it is lost.
 */
export interface InFlight {
  deployment: Deployment;
  leaseOwner: string;
}

/** How DeploymentTransitions moves a deployment (the one writer of its status). */
type Move = (
  id: string,
  to: DeploymentStatus,
  options: Omit<Parameters<DeploymentRepository['transition']>[2], 'at'>,
) => Promise<Deployment | null>;

/** Attempts at a fresh id when one collides (6 hex digits: rare, never twice in a row). */
const ID_ATTEMPTS = 3;

/**
 * How DeploymentTransitions creates deployments: in flight at once, waiting for approval, or
 * held at the CI gate, each with a fresh id and its `created` event. Its own file by use case;
 * only DeploymentTransitions calls it.
 */
export class DeploymentOpenings {
  constructor(
    private readonly deployments: DeploymentRepository,
    private readonly gate: DeploymentGateRepository,
    private readonly events: DeploymentEvents,
    private readonly transitions: { move: Move },
    private readonly now: () => Date,
    private readonly leaseOwner: () => string,
  ) {}

  /** A new dispatch lease: held by a fresh owner for `leaseMs`, its first check when it ends. */
  flightLease(now: Date, leaseMs: number) {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    return { leaseUntil, nextCheckAt: leaseUntil, leaseOwner: this.leaseOwner() };
  }

  /**
   * Inserts a new deployment made by `make`, with a fresh id whenever the id is taken (6 hex
   * digits: rare, never twice in a row), and tells everyone once it is stored. `insert` answers
   * `inserted`, `id` (taken: try another), or a refusal, which ends it with nothing recorded.
   */
  private async insertNew<R extends string>(
    make: () => Deployment,
    insert: (deployment: Deployment) => Promise<'inserted' | 'id' | R>,
  ): Promise<{ deployment: Deployment } | { refused: R }> {
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const deployment = make();
      const outcome = await insert(deployment);
      if (outcome === 'inserted') {
        this.events.emit({ type: 'created', deployment });
        return { deployment };
      }
      if (outcome !== 'id') return { refused: outcome as R };
    }
    throw new Error('could not allocate a deployment id');
  }

  /**
   * A deployment in flight from the start (`dispatching`): the insert itself makes its target
   * busy and takes one of `maxConcurrent` slots, or it is refused and nothing is recorded.
   */
  async startInFlight(
    draft: DeploymentDraft,
    maxConcurrent: number,
    leaseMs: number,
    gate?: GateRecord,
  ): Promise<InFlight | { refused: 'busy' | 'cap' }> {
    const now = this.now();
    const lease = this.flightLease(now, leaseMs);
    const made = await this.insertNew(
      () =>
        newDeployment(draft, 'dispatching', now, {
          dispatchRequestedAt: now,
          ...(gate ? { gate } : {}),
        }),
      async (deployment) => {
        const outcome = await this.deployments.insertInFlight(deployment, maxConcurrent, lease);
        return outcome.inserted ? 'inserted' : outcome.reason;
      },
    );
    return 'deployment' in made ? { ...made, leaseOwner: lease.leaseOwner } : made;
  }

  /** A request that waits for approval: it holds nothing until it is approved. */
  async openRequest(
    draft: DeploymentDraft,
    approval: ApprovalState,
    changes: ChangeSummary,
    gate?: GateRecord,
  ): Promise<Deployment> {
    const now = this.now();
    const made = await this.insertNew(
      () =>
        newDeployment(draft, 'pending_approval', now, {
          approval,
          changes,
          ...(gate ? { gate } : {}),
        }),
      async (deployment) =>
        (await this.deployments.insertPending(deployment)) ? 'inserted' : 'id',
    );
    return (made as { deployment: Deployment }).deployment;
  }

  /**
   * A request held at the CI gate (`awaiting_checks` or `checks_failed`): like a request for
   * approval, it holds nothing in flight. One request per target waits there: an older one for the
   * same target is replaced (`superseded`, saying by which). A member has at most `perMember`
   * requests there: `refused` beyond that, and nothing is recorded.
   */
  async openGated(
    draft: DeploymentDraft,
    status: 'awaiting_checks' | 'checks_failed',
    gate: GateRecord,
    perMember: number,
  ): Promise<{ deployment: Deployment } | { refused: 'member' }> {
    const now = this.now();
    return this.insertNew(
      () => newDeployment(draft, status, now, { gate }),
      async (deployment) => {
        // The target's place at the gate is taken: the older request gives way, then again.
        for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
          const outcome = await this.gate.insertHeld(deployment, perMember);
          if (outcome.inserted) return 'inserted';
          if (outcome.reason !== 'target') return outcome.reason;
          // Nobody's request is replaced for a member who could not take its place.
          if (!(await this.gate.requesterHasPlace(deployment, perMember))) return 'member';
          await this.supersedeHeld(draft, deployment.id);
        }
        throw new Error('could not record the request at the CI gate');
      },
    );
  }

  /**
   * A run started on GitHub and only observed (no protection rule made it wait): recorded as it
   * is, in flight (followed from `nextCheckAt`) or already ended.
   */
  async recordObserved(
    draft: DeploymentDraft,
    status: DeploymentStatus,
    set: Partial<Deployment>,
    nextCheckAt?: Date,
  ): Promise<Deployment> {
    const now = this.now();
    // A re-run keeps its run's id: the ended deployment of an earlier attempt lets it go.
    if (set.runId !== undefined) await this.deployments.releaseEndedRun(set.runId, '', now);
    const made = await this.insertNew(
      () => newDeployment(draft, status, now, set),
      async (deployment) =>
        (await this.deployments.insertObserved(deployment, nextCheckAt)) ? 'inserted' : 'id',
    );
    return (made as { deployment: Deployment }).deployment;
  }

  /** The request waiting at the CI gate for the draft's target gives way to `newer`. */
  private async supersedeHeld(draft: DeploymentDraft, newer: string): Promise<void> {
    const older = await this.gate.findHeldFor(draft.service, draft.environment);
    if (!older) return;
    await this.transitions.move(older.id, 'superseded', {
      from: GATED_STATUSES,
      by: draft.requester,
      note: `replaced by ${newer}, a newer request for ${draft.environment}`,
    });
  }
}
