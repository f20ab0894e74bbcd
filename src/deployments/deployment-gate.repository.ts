import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { duplicateKeyField } from '../../libs/mongo-errors';
import { Deployment, GateRecord } from './deployment';
import { changed } from './deployment-leases.repository';
import { Stored, toDomain } from './deployment.mapping';
import { busyTargetOf, storedForm } from './deployment.repository';
import { DeploymentDocument } from './deployment.schema';

/**
 * Requests held at the CI gate: their insert (one per target, a few per member, by unique
 * indexes), and the gate's record on them while they wait. Only the kernel's
 * DeploymentTransitions calls these.
 */
@Injectable()
export class DeploymentGateRepository {
  constructor(
    @InjectModel(DeploymentDocument.name) private readonly deployments: Model<DeploymentDocument>,
  ) {}

  /**
   * A request held at the CI gate, in one insert that takes its target's place at the gate and
   * one of the member's `perMember` places there (unique indexes on both): `target` when another
   * request for the target waits already, `member` when the member's places are all taken.
   */
  async insertHeld(
    deployment: Deployment,
    perMember: number,
  ): Promise<{ inserted: true } | { inserted: false; reason: 'target' | 'member' | 'id' }> {
    for (let place = 0; place < perMember; place++) {
      try {
        await this.deployments.create({
          ...storedForm(deployment),
          heldTarget: busyTargetOf(deployment.service, deployment.environment),
          heldSlot: `${deployment.requester.id}#${place}`,
        });
        return { inserted: true };
      } catch (error) {
        const key = duplicateKeyField(error);
        if (key === 'heldTarget') return { inserted: false, reason: 'target' };
        if (key === '_id') return { inserted: false, reason: 'id' };
        if (key === 'heldSlot') continue;
        throw error;
      }
    }
    return { inserted: false, reason: 'member' };
  }

  /**
   * Whether the deployment's requester could take a place at the gate once the target's waiting
   * request gave way: a place of theirs is free, or that request is their own (its place frees).
   * Asked before replacing anyone's request, so a member with no place left replaces nobody's.
   */
  async requesterHasPlace(deployment: Deployment, perMember: number): Promise<boolean> {
    const held = await this.deployments
      .find(
        { heldSlot: { $regex: `^${escapeRegex(deployment.requester.id)}#` } },
        { heldTarget: 1 },
      )
      .lean<Array<{ heldTarget?: string }>>();
    const target = busyTargetOf(deployment.service, deployment.environment);
    return held.length < perMember || held.some((request) => request.heldTarget === target);
  }

  /** The request waiting at the CI gate for a target, if any. */
  async findHeldFor(service: string, environment: string): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOne({ heldTarget: busyTargetOf(service, environment) })
        .lean<Stored>(),
    );
  }

  /**
   * One request waiting at the CI gate whose checks are due, claimed until `until` (its next
   * check moves there in the same update, so two callers never read it at once); null if none.
   */
  async claimGateCheck(now: Date, until: Date): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOneAndUpdate(
          { status: 'awaiting_checks', 'gate.nextCheckAt': { $lte: now } },
          { $set: { 'gate.nextCheckAt': until } },
          { sort: { 'gate.nextCheckAt': 1 }, returnDocument: 'after' },
        )
        .lean<Stored>(),
    );
  }

  /** What the CI gate saw, while the deployment still waits for it. */
  async updateGate(id: string, gate: GateRecord, at: Date): Promise<Deployment | null> {
    return toDomain(
      await this.deployments
        .findOneAndUpdate(
          { _id: id, status: 'awaiting_checks' },
          { $set: { gate, ...changed(at).$set }, $inc: { version: 1 } },
          { returnDocument: 'after' },
        )
        .lean<Stored>(),
    );
  }
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
