import { DeploymentStatus, isTerminal, statusesBefore } from '../deployments/deployment';
import { DeliveryOrigin, RunHolder, workflowsOf } from './tracking.store';

/** Runs this instance remembers (about 150 bytes each); past it, the oldest go first. */
const REMEMBERED_RUNS = 10_000;

interface Held {
  /** The deployment's repository (`owner/repo`, lowercased) and `source.workflow`. */
  repository: string;
  workflow: string;
  /** A status the deployment has reached (it may be further on by now, never behind). */
  reached: DeploymentStatus;
}

/**
 * Which deployment holds a run, and a status it has reached, as this instance last saw them: what
 * lets a delivery that cannot move anything skip reading the deployment. Only deployments the
 * bot dispatched are remembered, whose run never changes hands (an observed run may give way to
 * the deployment GitHub held it for). A status only moves forward, so what is remembered is a
 * floor: an event no further than it moves nothing, whatever another instance did since, and an
 * event further on is applied by reading the deployment as usual.
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
  nothingToMove(runId: number, origin: DeliveryOrigin, target: DeploymentStatus): boolean {
    const held = this.runs.get(runId);
    if (!held || isTerminal(target)) return false;
    if (held.repository !== origin.repository.toLowerCase()) return false;
    if (!workflowsOf(origin).includes(held.workflow)) return false;
    return !statusesBefore(target).includes(held.reached);
  }

  /** The deployment holding run `runId`, as just read for a delivery from `origin`. */
  remember(runId: number, origin: DeliveryOrigin, holder: RunHolder): void {
    if (holder.observed) return;
    if (!this.runs.has(runId) && this.runs.size >= this.capacity)
      this.runs.delete(this.runs.keys().next().value!);
    this.runs.set(runId, {
      repository: origin.repository.toLowerCase(),
      workflow: holder.workflow,
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
