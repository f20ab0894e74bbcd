import type { DeploymentStatus } from '../deployments/deployment';
import type { RunInfo } from '../github/github.client';

/** The run's state as a deployment status. */
export function statusFromRun(run: Pick<RunInfo, 'status' | 'conclusion'>): DeploymentStatus {
  if (run.status === 'completed') {
    switch (run.conclusion) {
      case 'success':
      case 'neutral':
        return 'success';
      case 'cancelled':
      case 'skipped':
        return 'cancelled';
      default:
        return 'failure';
    }
  }
  return run.status === 'in_progress' ? 'in_progress' : 'queued';
}
