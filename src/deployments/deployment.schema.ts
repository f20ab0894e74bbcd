import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'deployments', versionKey: false, _id: false })
export class DeploymentDocument {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  service!: string;

  @Prop({ required: true })
  environment!: string;

  @Prop({ type: Object })
  source?: object;

  @Prop({ required: true })
  ref!: string;

  @Prop({ required: true })
  sha!: string;

  @Prop({ type: Object, required: true })
  requester!: { id: string; name: string };

  @Prop({ required: true })
  status!: string;

  @Prop({ type: [Object], default: [] })
  transitions!: Array<object>;

  @Prop({ required: true })
  createdAt!: Date;

  @Prop({ required: true })
  updatedAt!: Date;

  @Prop() runId?: number;
  @Prop() runUrl?: string;
  @Prop() runConclusion?: string;
  @Prop() runCompletedAt?: Date;
  @Prop() dispatchRef?: string;
  @Prop() dispatchRequestedAt?: Date;
  @Prop() dispatchedAt?: Date;
  @Prop() finishedAt?: Date;
  @Prop() failureReason?: string;
  @Prop() channelId?: string;
  @Prop() messageId?: string;

  @Prop({ type: Object }) approval?: object;
  @Prop({ type: Object }) changes?: object;
  @Prop({ type: Object }) gate?: object;
  @Prop({ type: Object }) rollback?: object;
  @Prop({ type: Object }) githubDeployment?: object;
  @Prop({ type: [Object], default: undefined }) jobs?: object[];
  @Prop({ type: Object }) origin?: object;
  @Prop({ type: Object }) queued?: object;
  @Prop({ type: Object }) scheduleOverride?: object;
  /** The verification after the run, with its probe lease (`leaseUntil`, `leaseOwner`). */
  @Prop({ type: Object }) verification?: object;
  @Prop() supersededBy?: string;
  @Prop() hotfix?: boolean;
  @Prop({ type: Object }) fault?: object;
  @Prop() watchdogNotifiedAt?: Date;

  /** `owner/repo`, lowercased: a webhook delivery counts only when its repository matches. */
  @Prop() repository?: string;
  /** `service:environment` while in flight: the target is busy (unique). */
  @Prop() busyTarget?: string;
  /** 0 … MAX_CONCURRENT_DEPLOYS-1 while in flight: the global cap (unique). */
  @Prop() slot?: number;
  /** `service:environment` while held at the CI gate: one request per target waits (unique). */
  @Prop() heldTarget?: string;
  /** `<member id>#<n>`, n < CI_HELD_PER_MEMBER, while held at the CI gate (unique). */
  @Prop() heldSlot?: string;
  /** When the tracker should look at this deployment next. */
  @Prop() nextCheckAt?: Date;
  /** Until then, one worker (of any instance) owns the deployment's tracking. */
  @Prop() leaseUntil?: Date;
  /** Who holds that lease (`<instance id>#<n>`), when a poll took it. */
  @Prop() leaseOwner?: string;
  /** ETag of the last run answer: the next GET is conditional. */
  @Prop() etag?: string;
  /**
   * X-GitHub-Delivery ids of workflow_run deliveries, as records written before `run_deliveries`
   * (tracking/run-delivery.schema.ts) hold them: no longer written or read, left out of reads.
   */
  @Prop({ type: [String], default: undefined }) deliveryIds?: string[];
  /** The latest X-GitHub-Delivery ids of workflow_job deliveries applied to it. */
  @Prop({ type: [String], default: undefined }) jobDeliveryIds?: string[];
  /** When the final outcome was posted to DEPLOY_CHANNEL_ID. */
  @Prop() announcedAt?: Date;
  @Prop({ type: Object }) messageLost?: object;
  /** Increases with every change people can see. */
  @Prop() version?: number;
  /** Set by every such change: the Discord side (message, announcement) has to catch up. */
  @Prop() syncDueAt?: Date;
  /** How far the Discord side has caught up: see DeploymentSyncRepository. */
  @Prop({ type: Object }) sync?: object;
  /** How far GitHub's record of it has caught up: see DeploymentGithubStore. */
  @Prop({ type: Object }) ghSync?: object;
  /** A rollback whose superseding of what it went over is still to do. */
  @Prop() supersedePending?: boolean;
}

export const DeploymentSchema = SchemaFactory.createForClass(DeploymentDocument);
DeploymentSchema.index({ service: 1, environment: 1, createdAt: -1 });
DeploymentSchema.index({ service: 1, status: 1 });
DeploymentSchema.index({ status: 1, nextCheckAt: 1 });
DeploymentSchema.index({ status: 1, 'approval.expiresAt': 1 });
DeploymentSchema.index({ status: 1, 'gate.nextCheckAt': 1 });
DeploymentSchema.index({ syncDueAt: 1 }, { sparse: true });
DeploymentSchema.index({ supersedePending: 1 }, { sparse: true });
DeploymentSchema.index({ 'ghSync.open': 1 }, { sparse: true });
// Runs started on GitHub: found by their run before the bot follows them.
DeploymentSchema.index({ 'origin.runId': 1 }, { sparse: true });
// A run belongs to one deployment.
DeploymentSchema.index({ runId: 1 }, { unique: true, sparse: true });
// Verification after the run: the next probe due, the automatic rollbacks and notices to do.
DeploymentSchema.index(
  { 'verification.state': 1, 'verification.nextProbeAt': 1 },
  { partialFilterExpression: { 'verification.state': { $exists: true } } },
);
DeploymentSchema.index({ 'verification.rollback.state': 1 }, { sparse: true });
DeploymentSchema.index({ 'verification.noticeDue': 1 }, { sparse: true });
// Promotion and rollback look for the target's verified deployments.
DeploymentSchema.index(
  { service: 1, environment: 1, 'verification.state': 1, finishedAt: -1 },
  { partialFilterExpression: { 'verification.state': 'verified' } },
);
// One automatic rollback per failed verification, however many instances try.
DeploymentSchema.index(
  { 'rollback.of': 1 },
  { unique: true, partialFilterExpression: { 'rollback.automatic': true } },
);
// The delivery metrics read a service's finished deployments by period.
DeploymentSchema.index(
  { service: 1, environment: 1, finishedAt: 1 },
  { partialFilterExpression: { finishedAt: { $exists: true } } },
);
// One deployment per queue entry, whichever instance admits it and however often it is tried.
DeploymentSchema.index({ 'queued.entryId': 1 }, { unique: true, sparse: true });
// One in-flight deployment per target, and at most MAX_CONCURRENT_DEPLOYS in flight: both
// held by the deployment document itself, so they are taken and released atomically with it.
DeploymentSchema.index({ busyTarget: 1 }, { unique: true, sparse: true });
DeploymentSchema.index({ slot: 1 }, { unique: true, sparse: true });
// At the CI gate: one request per target, at most CI_HELD_PER_MEMBER per member.
DeploymentSchema.index({ heldTarget: 1 }, { unique: true, sparse: true });
DeploymentSchema.index({ heldSlot: 1 }, { unique: true, sparse: true });
