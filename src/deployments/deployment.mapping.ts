import { Deployment } from './deployment';

/** Fields the repositories keep for themselves (locks, tracking): never part of the domain record. */
const INTERNAL = [
  'busyTarget',
  'slot',
  'heldTarget',
  'heldSlot',
  'nextCheckAt',
  'leaseUntil',
  'leaseOwner',
  'etag',
  'announcedAt',
  'deliveryIds',
  'jobDeliveryIds',
  'repository',
  'version',
  'syncDueAt',
  'sync',
  'supersedePending',
  'ghSync',
] as const;

export type Stored = Deployment & { _id: string } & Partial<
    Record<(typeof INTERNAL)[number], unknown>
  >;

export function toDomain(doc: Stored | null): Deployment | null {
  if (!doc) return null;
  const { _id, ...rest } = doc;
  for (const key of INTERNAL) delete (rest as Record<string, unknown>)[key];
  return { ...(rest as Omit<Deployment, 'id'>), id: _id };
}
