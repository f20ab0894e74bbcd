import type { Model } from 'mongoose';
import type { DeploymentDocument } from './deployment.schema';

/**
 * The concurrency slots to try, in order: those free a moment ago first, then the others (one of
 * them may have been freed since). One read, covered by the unique `slot` index, instead of one
 * refused insert per slot taken: with 50 deployments in flight, the 51st took 51 writes.
 * Taking a slot stays the one atomic write that the unique index decides.
 */
export async function slotsToTry(
  deployments: Model<DeploymentDocument>,
  maxConcurrent: number,
): Promise<number[]> {
  const taken = new Set(
    (
      await deployments.collection
        .find({ slot: { $gte: 0, $lt: maxConcurrent } }, { projection: { _id: 0, slot: 1 } })
        .toArray()
    ).map((doc) => doc.slot as number),
  );
  const all = Array.from({ length: maxConcurrent }, (_, slot) => slot);
  return [...all.filter((slot) => !taken.has(slot)), ...all.filter((slot) => taken.has(slot))];
}
