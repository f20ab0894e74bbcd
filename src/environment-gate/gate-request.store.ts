import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomBytes } from 'node:crypto';
import { Model } from 'mongoose';
import { duplicateKeyField } from '../../libs/mongo-errors';
import { GateRequestDocument } from './gate-request.schema';

/** What GitHub's decision was, and why: set once, never changed. */
export interface GateDecision {
  state: 'approved' | 'rejected' | 'ignored';
  comment: string;
  at: Date;
}

/** A question of GitHub's, as plain data (see GateRequestDocument). */
export interface GateRequest {
  id: string;
  owner: string;
  repo: string;
  runId: number;
  environment: string;
  event: string;
  sender: { login: string; type: string };
  sha: string;
  ref: string;
  deploymentId?: string;
  decision?: GateDecision;
  answer?: { outcome: 'accepted' | 'not-waiting' | 'ignored'; at: Date };
  attempts: number;
  firstFailureAt?: Date;
  createdAt: Date;
}

/** What a `deployment_protection_rule` delivery asks. */
export type GateQuestion = Omit<GateRequest, 'id' | 'attempts' | 'createdAt' | 'deploymentId'>;

const KEPT_DELIVERY_IDS = 20;

export const runKeyOf = (q: { owner: string; repo: string; runId: number; environment: string }) =>
  `${q.owner}/${q.repo}#${q.runId}:${q.environment}`.toLowerCase();

/** The environment gate's questions in MongoDB: each change one atomic update. */
@Injectable()
export class GateRequestStore {
  constructor(
    @InjectModel(GateRequestDocument.name) private readonly requests: Model<GateRequestDocument>,
  ) {}

  /**
   * Records a delivery: it joins the open request for its run and environment (a job of the
   * same run asking too), or opens one. `duplicate` for a delivery recorded already.
   */
  async record(
    question: GateQuestion,
    deliveryId: string,
    now: Date,
  ): Promise<'opened' | 'joined' | 'duplicate'> {
    const runKey = runKeyOf(question);
    for (let attempt = 0; attempt < 3; attempt++) {
      const joined = await this.requests
        .findOneAndUpdate(
          { runKey, open: true, deliveryIds: { $ne: deliveryId } },
          {
            $push: { deliveryIds: { $each: [deliveryId], $slice: -KEPT_DELIVERY_IDS } },
            // A delivery after the request was decided (a job that asked late) is answered alike.
            $set: { nextAttemptAt: now },
          },
          { projection: { _id: 1 } },
        )
        .lean();
      if (joined) return 'joined';
      // A redelivery (GitHub's, or a replay) of one already recorded changes nothing.
      if (await this.requests.exists({ runKey, deliveryIds: deliveryId })) return 'duplicate';
      try {
        await this.requests.create({
          _id: `g-${randomBytes(6).toString('hex')}`,
          runKey,
          open: true,
          ...question,
          deliveryIds: [deliveryId],
          attempts: 0,
          nextAttemptAt: now,
          createdAt: now,
        });
        return 'opened';
      } catch (error) {
        if (duplicateKeyField(error) !== 'runKey') throw error;
      }
    }
    throw new Error('recording a protection rule request kept racing');
  }

  /** Ids of open requests due now, oldest first. */
  async findDue(now: Date, limit: number): Promise<string[]> {
    const due = await this.requests
      .find(
        {
          open: true,
          nextAttemptAt: { $lte: now },
          $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: { $lte: now } }],
        },
        { _id: 1 },
      )
      .sort({ nextAttemptAt: 1 })
      .limit(limit)
      .lean();
    return due.map((doc) => doc._id);
  }

  /** Takes a due request for `leaseMs` (one instance at a time works on it). */
  async claim(id: string, now: Date, leaseMs: number, owner: string): Promise<GateRequest | null> {
    const doc = await this.requests
      .findOneAndUpdate(
        {
          _id: id,
          open: true,
          nextAttemptAt: { $lte: now },
          $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: { $lte: now } }],
        },
        { $set: { leaseUntil: new Date(now.getTime() + leaseMs), leaseOwner: owner } },
        { returnDocument: 'after' },
      )
      .lean();
    return doc ? toRequest(doc) : null;
  }

  /** Ties the request to the deployment that asks Discord (once). */
  async attachDeployment(id: string, owner: string, deploymentId: string): Promise<boolean> {
    const result = await this.requests.updateOne(
      { _id: id, leaseOwner: owner, deploymentId: { $exists: false } },
      { $set: { deploymentId } },
    );
    return result.modifiedCount === 1;
  }

  /** The decision, once: a later one never replaces it. */
  async decide(id: string, decision: GateDecision): Promise<GateRequest | null> {
    const doc = await this.requests
      .findOneAndUpdate(
        { _id: id, decision: { $exists: false } },
        { $set: { decision, nextAttemptAt: decision.at } },
        { returnDocument: 'after' },
      )
      .lean();
    return doc ? toRequest(doc) : null;
  }

  /** GitHub took the answer (or nothing waits any more): the request is closed. */
  async close(id: string, owner: string, answer: GateRequest['answer']): Promise<void> {
    await this.requests.updateOne(
      { _id: id, leaseOwner: owner },
      {
        $set: { answer, closedAt: answer?.at ?? new Date() },
        $unset: { open: '', leaseUntil: '', leaseOwner: '' },
      },
    );
  }

  /** Plans the next look at the request (`failedAt`: an attempt to answer failed then). */
  async lookAgain(id: string, owner: string, at: Date, failedAt?: Date): Promise<void> {
    await this.requests.updateOne(
      { _id: id, leaseOwner: owner },
      {
        $set: { nextAttemptAt: at },
        ...(failedAt ? { $inc: { attempts: 1 }, $min: { firstFailureAt: failedAt } } : {}),
      },
    );
  }

  async renew(id: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    const result = await this.requests.updateOne(
      { _id: id, leaseOwner: owner, leaseUntil: { $gt: now } },
      { $set: { leaseUntil: new Date(now.getTime() + leaseMs) } },
    );
    return result.modifiedCount === 1;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.requests.updateOne(
      { _id: id, leaseOwner: owner },
      { $unset: { leaseUntil: '', leaseOwner: '' } },
    );
  }

  /** Brings the request of a deployment forward (its deployment moved). */
  async nudgeFor(deploymentId: string, now: Date): Promise<void> {
    await this.requests.updateOne({ deploymentId, open: true }, { $min: { nextAttemptAt: now } });
  }

  /** Whether a request (open or answered) asks about this run. */
  async asksAbout(runId: number): Promise<boolean> {
    return Boolean(await this.requests.exists({ runId }));
  }

  async find(id: string): Promise<GateRequest | null> {
    const doc = await this.requests.findById(id).lean();
    return doc ? toRequest(doc) : null;
  }
}

function toRequest(doc: GateRequestDocument): GateRequest {
  return {
    id: doc._id,
    owner: doc.owner,
    repo: doc.repo,
    runId: doc.runId,
    environment: doc.environment,
    event: doc.event,
    sender: doc.sender,
    sha: doc.sha,
    ref: doc.ref,
    attempts: doc.attempts ?? 0,
    createdAt: doc.createdAt,
    ...(doc.deploymentId ? { deploymentId: doc.deploymentId } : {}),
    ...(doc.decision ? { decision: doc.decision as GateDecision } : {}),
    ...(doc.answer ? { answer: doc.answer as GateRequest['answer'] } : {}),
    ...(doc.firstFailureAt ? { firstFailureAt: doc.firstFailureAt } : {}),
  };
}
