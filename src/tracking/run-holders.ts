import { DeploymentStatus, isTerminal, statusesBefore } from '../deployments/deployment';
import { DeliveryOrigin, RunHolder, workflowsOf } from './tracking.store';

/** Runs this instance remembers (about 150 bytes each); past it, the oldest go first. */
const REMEMBERED_RUNS = 10_000;

interface Held {
  /** The deployment's repository (`owner/repo`, lowercased) and `source.workflow`. */
  repository: string;
  workflow: string;
  /** The run's attempt the deployment was found for (a re-run may go to another deployment). */
  attempt: number;
  /** A status the deployment has reached (it may be further on by now, never behind). */
  reached: DeploymentStatus;
}

/**
 * Which deployment holds a run, and a status it has reached, as this instance last saw them: what
 * lets a delivery that cannot move anything skip reading the deployment. Only a deployment the
 * bot dispatched, still in flight, and only for the run's attempt it was found for: such a
 * deployment keeps its run (a run changes hands only once its deployment has ended, to a re-run's
 * deployment, or when an observed run gives way), and its status only moves forward once the
 * run exists, so what is remembered is a floor. An event of that attempt no further than it moves
 * nothing, whatever another instance did since; any other event reads the deployment as usual.
 */
export class RunHolders {
  private readonly runs = new Map<number, Held>();

  constructor(private readonly capacity = REMEMBERED_RUNS) {}

  /**
   * True when a `workflow_run` event taking the deployment to `target` would change nothing: the
   * run's deployment is known, the delivery's repository and workflow are its, and it has reached
   * `target` or further. A run's completion always reads the deployment (it may record the
   * conclusion of a run that outlived its deployment).
   */
  nothingToMove(
    runId: number,
    attempt: number,
    origin: DeliveryOrigin,
    target: DeploymentStatus,
  ): boolean {
    const held = this.runs.get(runId);
    if (!held || held.attempt !== attempt || isTerminal(target)) return false;
    // Ended, the deployment may have let its run go (a re-run, a held run let through).
    if (isTerminal(held.reached)) return false;
    if (held.repository !== origin.repository.toLowerCase()) return false;
    if (!workflowsOf(origin).includes(held.workflow)) return false;
    return !statusesBefore(target).includes(held.reached);
  }

  /** The deployment holding run `runId`, as just read for a delivery of `attempt` from `origin`. */
  remember(runId: number, attempt: number, origin: DeliveryOrigin, holder: RunHolder): void {
    if (holder.observed || isTerminal(holder.status)) {
      this.runs.delete(runId);
      return;
    }
    if (!this.runs.has(runId) && this.runs.size >= this.capacity)
      this.runs.delete(this.runs.keys().next().value!);
    this.runs.set(runId, {
      repository: origin.repository.toLowerCase(),
      workflow: holder.workflow,
      attempt,
      reached: holder.status,
    });
  }

  /** The run's deployment reached `status` (a move this instance made). */
  reached(runId: number, status: DeploymentStatus): void {
    const held = this.runs.get(runId);
    if (held && statusesBefore(status).includes(held.reached)) held.reached = status;
  }

  get size(): number {
    return this.runs.size;
  }
}
