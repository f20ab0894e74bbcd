import { randomBytes } from 'node:crypto';
import type { Grant } from '../../src/access/access-level';
import type { CommitSummary, Deployment } from '../../src/deployments/deployment';
import type { Service } from '../../src/service-registry/service';

const sha = () => randomBytes(20).toString('hex');
const long = (prefix: string, length: number) =>
  `${prefix}${'x'.repeat(Math.max(0, length - prefix.length))}`;

/** A deployment record with every field a view may show; `overrides` set what a test needs. */
export function aDeployment(overrides: Partial<Deployment> = {}): Deployment {
  const now = new Date();
  return {
    id: `d-${randomBytes(3).toString('hex')}`,
    service: 'api',
    environment: 'staging',
    ref: 'main',
    sha: sha(),
    requester: { id: '100000000000000001', name: 'dana' },
    status: 'dispatched',
    transitions: [{ status: 'dispatching', at: now }],
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function aService(overrides: Partial<Service> = {}): Service {
  return {
    name: 'api',
    owner: 'acme',
    repo: 'api',
    workflow: 'deploy.yml',
    environments: ['staging', 'prod'],
    protectedEnvironments: ['prod'],
    defaultRef: 'main',
    environmentInput: 'environment',
    shaInput: 'sha',
    addedBy: { id: '1', name: 'alice' },
    addedAt: new Date(),
    ...overrides,
  };
}

export function aGrant(overrides: Partial<Grant> = {}): Grant {
  return {
    guildId: '100000000000000000',
    roleId: `1${randomBytes(8).readBigUInt64BE() % 10n ** 17n}`.padEnd(18, '0'),
    roleName: 'deployers',
    level: 'deployer',
    environments: [],
    grantedBy: { id: '1', name: 'alice' },
    grantedAt: new Date(),
    ...overrides,
  };
}

export function aCommit(overrides: Partial<CommitSummary> = {}): CommitSummary {
  return { sha: sha(), subject: 'Change things', author: 'octocat', verified: true, ...overrides };
}

/** The largest inputs a view can meet: names and texts at the length the bot accepts. */
export const largest = {
  name: (prefix: string) => long(prefix, 100),
  environments: Array.from({ length: 20 }, (_, i) => long(`env${i}-`, 32)),
  reason: long('reason ', 300),
  subject: long('subject with **markdown** ', 120),
  person: long('person_', 60),
  ref: long('release/', 200),
};
