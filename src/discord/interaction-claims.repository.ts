import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Instance } from '../../libs/instance';
import { isDuplicateKey } from '../../libs/mongo-errors';
import { InteractionClaimDocument } from './interaction-claim.schema';

/** The database took longer than this: the claim is treated as unavailable. */
const CLAIM_DEADLINE_MS = 1_000;
/** mongoose's readyState for a connection that is up. */
const CONNECTED = 1;

export class ClaimUnavailableError extends Error {}

/**
 * Which instance handles which interaction. Every instance gets every interaction from the
 * gateway; the first to insert its id handles it.
 */
@Injectable()
export class InteractionClaims {
  constructor(
    @InjectModel(InteractionClaimDocument.name)
    private readonly claims: Model<InteractionClaimDocument>,
    private readonly instance: Instance,
  ) {}

  /**
   * 'won' when this instance inserted the claim, 'lost' when another had. Throws
   * ClaimUnavailableError when the database cannot say within a second (an interaction must be
   * acknowledged within three). The insert is acknowledged by a majority of the replica set, so a
   * claim survives a primary step-down; a retried insert (the driver retries once after a
   * step-down) is recognised by the server and answers as the first one did.
   */
  async claim(interactionId: string, now: Date): Promise<'won' | 'lost'> {
    if (this.claims.db.readyState !== CONNECTED)
      throw new ClaimUnavailableError('the database is not connected');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ClaimUnavailableError('the database did not answer in time')),
        CLAIM_DEADLINE_MS,
      );
    });
    const insert = this.claims.collection
      .insertOne(
        { _id: interactionId as never, instance: this.instance.id, at: now },
        { writeConcern: { w: 'majority', wtimeoutMS: CLAIM_DEADLINE_MS } },
      )
      .then(
        () => 'won' as const,
        (error: unknown) => {
          if (isDuplicateKey(error)) return 'lost' as const;
          throw new ClaimUnavailableError((error as Error).message);
        },
      );
    try {
      return await Promise.race([insert, deadline]);
    } finally {
      clearTimeout(timer);
      // An insert that answers after the deadline is settled quietly.
      insert.catch(() => undefined);
    }
  }
}
