/** Every status a deployment moves through. Terminal ones never change. */
export type DeploymentStatus =
  | 'pending_approval'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'dispatching'
  | 'dispatched'
  | 'queued'
  | 'in_progress'
  | 'success'
  | 'failure'
  | 'cancelled'
  | 'timed_out'
  | 'dispatch_failed';

/** Holding the target's lock and a concurrency slot: between approval and the run's end. */
export const IN_FLIGHT_STATUSES: DeploymentStatus[] = [
  'approved',
  'dispatching',
  'dispatched',
  'queued',
  'in_progress',
];

export const TERMINAL_STATUSES: DeploymentStatus[] = [
  'rejected',
  'expired',
  'success',
  'failure',
  'cancelled',
  'timed_out',
  'dispatch_failed',
];

export interface Person {
  id: string;
  name: string;
}

export interface Transition {
  status: DeploymentStatus;
  at: Date;
  by?: Person;
  note?: string;
}

export interface Deployment {
  /** Short and human: `d-7f3a2c`. */
  id: string;
  service: string;
  environment: string;
  ref: string;
  sha: string;
  requester: Person;
  status: DeploymentStatus;
  transitions: Transition[];
  createdAt: Date;
  updatedAt: Date;
  runId?: number;
  runUrl?: string;
  channelId?: string;
  messageId?: string;
}
