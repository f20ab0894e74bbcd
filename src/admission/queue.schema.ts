import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { Person } from '../../libs/people';

export type QueueState =
  /** Offered on a refusal ("Queue it"), not in the queue yet. */
  | 'offered'
  | 'queued'
  /** Taken by an instance that is admitting it now (under its target's turn). */
  | 'admitting'
  /** Admitted as `deploymentId`: the target takes the next once that deployment ends. */
  | 'admitted'
  | 'done'
  | 'cancelled'
  | 'expired'
  /** Its re-check at admission refused it (`note` says why). */
  | 'failed';

/** One request waiting for its target (or offered to wait). */
@Schema({ collection: 'queue_entries', versionKey: false, _id: false })
export class QueueEntryDocument {
  /** `q-1a2b3c` */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  service!: string;

  @Prop({ required: true })
  environment!: string;

  /** The ref as asked (absent: the service's default ref at admission). */
  @Prop()
  ref?: string;

  /** The commit the ref named when it was queued. */
  @Prop()
  shaAtQueue?: string;

  /** Asked for as a hotfix. */
  @Prop()
  hotfix?: boolean;

  @Prop({ type: Object, required: true })
  requester!: Person;

  /** Where it was asked: its deployment's message and any notice go there. */
  @Prop({ required: true })
  channelId!: string;

  @Prop({ type: String, required: true })
  state!: QueueState;

  /** Its place in the target's queue: the lower, the sooner. */
  @Prop()
  seq?: number;

  /** What the target waited for when it was asked. */
  @Prop()
  waitedFor?: string;

  @Prop({ required: true })
  createdAt!: Date;

  @Prop()
  queuedAt?: Date;

  /** A queued entry expires then (QUEUE_TTL_MS); an offer, minutes after it was made. */
  @Prop({ required: true })
  expiresAt!: Date;

  /** Not admitted before then (after a failure that may pass); it keeps its place meanwhile. */
  @Prop()
  notBefore?: Date;

  /** Admissions that failed in a way that may pass: past a few, the entry fails. */
  @Prop()
  attempts?: number;

  /**
   * Its place under the target's cap while it is in line (queued or being admitted), 0 to the cap
   * − 1, unique per target: taken with its insert, given up in the update that takes it out of
   * the line. Racing requests cannot pass the cap, and no count can drift.
   */
  @Prop()
  slot?: number;

  /** Admitting: the instance doing it (its turn's owner); writes of any other are ignored. */
  @Prop()
  owner?: string;

  /** Admitting since then: one left admitting without the turn is put back only once it is old. */
  @Prop()
  admittingSince?: Date;

  @Prop()
  deploymentId?: string;

  @Prop()
  endedAt?: Date;

  /** Why it ended (cancelled by whom, failed how). */
  @Prop()
  note?: string;

  /** A notice for the requester is still to be posted (failed or expired). */
  @Prop()
  noticeDue?: boolean;

  @Prop()
  noticeAttempts?: number;

  /** MongoDB deletes the entry then (a TTL index): an ended entry is kept a while for /queue. */
  @Prop()
  purgeAt?: Date;
}

export const QueueEntrySchema = SchemaFactory.createForClass(QueueEntryDocument);
QueueEntrySchema.index({ service: 1, environment: 1, state: 1, seq: 1 });
QueueEntrySchema.index({ state: 1, expiresAt: 1 });
QueueEntrySchema.index({ noticeDue: 1 }, { sparse: true });
QueueEntrySchema.index({ purgeAt: 1 }, { expireAfterSeconds: 0 });
QueueEntrySchema.index(
  { slot: 1, service: 1, environment: 1 },
  { unique: true, partialFilterExpression: { slot: { $exists: true } } },
);

/**
 * One document per target with a queue: the counter that orders its entries, and its turn (the
 * entry being admitted or admitted and not ended). The turn is taken with one conditional update,
 * so one entry at a time goes, on whichever instance.
 */
@Schema({ collection: 'queue_targets', versionKey: false, _id: false })
export class QueueTargetDocument {
  /** `service:environment` */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true, default: 0 })
  seq!: number;

  @Prop({ type: Object })
  turn?: QueueTurn | null;
}

export interface QueueTurn {
  entryId: string;
  phase: 'admitting' | 'admitted';
  /** Admitting: the instance doing it, until when (a dead instance's turn is taken over). */
  owner?: string;
  leaseUntil?: Date;
  deploymentId?: string;
}

export const QueueTargetSchema = SchemaFactory.createForClass(QueueTargetDocument);
