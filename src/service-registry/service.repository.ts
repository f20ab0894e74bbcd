import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKey } from '../../libs/mongo-errors';
import type { GateMode } from '../deployments/deployment';
import {
  DigestSchedule,
  GithubDeploymentsMode,
  OutsideRuns,
  Service,
  TargetPolicy,
} from './service';
import { ServiceExistsError } from './service.errors';
import { ServiceDocument } from './service.schema';

const PLAIN = { _id: 0 } as const;

@Injectable()
export class ServiceRepository {
  constructor(
    @InjectModel(ServiceDocument.name) private readonly services: Model<ServiceDocument>,
  ) {}

  /** Adds a new service; an existing name is refused, never overwritten (unique index). */
  async insert(service: Service): Promise<void> {
    try {
      await this.services.create(service);
    } catch (error) {
      if (isDuplicateKey(error)) throw new ServiceExistsError(service.name);
      throw error;
    }
  }

  /** Adds the service unless one has that name; true when it was added. Safe to repeat. */
  async insertIfAbsent(service: Service): Promise<boolean> {
    const result = await this.services.updateOne(
      { name: service.name },
      { $setOnInsert: service },
      { upsert: true },
    );
    return result.upsertedCount === 1;
  }

  async findByName(name: string): Promise<Service | null> {
    return this.services.findOne({ name }, PLAIN).lean<Service>();
  }

  async list(): Promise<Service[]> {
    return this.services.find({}, PLAIN).sort({ name: 1 }).lean<Service[]>();
  }

  /** The services that have a weekly digest. */
  async withDigest(): Promise<Service[]> {
    return this.services
      .find({ digest: { $exists: true } }, PLAIN)
      .sort({ name: 1 })
      .lean<Service[]>();
  }

  /** Names starting with `prefix`, for autocomplete. */
  async namesStartingWith(prefix: string, limit = 25): Promise<string[]> {
    const escaped = prefix.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const found = await this.services
      .find({ name: { $regex: `^${escaped}` } }, { name: 1, _id: 0 })
      .sort({ name: 1 })
      .limit(limit)
      .lean<Array<{ name: string }>>();
    return found.map((service) => service.name);
  }

  /** Sets (or, with no patterns, removes) the allowed refs of one environment, atomically. */
  async setAllowedRefs(
    name: string,
    environment: string,
    patterns: string[],
  ): Promise<Service | null> {
    const field = `targets.${environment}.allowedRefs`;
    const update = patterns.length ? { $set: { [field]: patterns } } : { $unset: { [field]: '' } };
    return this.services
      .findOneAndUpdate({ name }, update, { returnDocument: 'after', projection: PLAIN })
      .lean<Service>();
  }

  /** Sets (or, with `mode` undefined, removes: back to the default) one target's CI gate. */
  async setGate(
    name: string,
    environment: string,
    gate: { mode: GateMode; required: string[] } | undefined,
  ): Promise<Service | null> {
    const prefix = `targets.${environment}`;
    const update = gate
      ? {
          $set: { [`${prefix}.ciGate`]: gate.mode, [`${prefix}.requiredChecks`]: gate.required },
        }
      : { $unset: { [`${prefix}.ciGate`]: '', [`${prefix}.requiredChecks`]: '' } };
    return this.services
      .findOneAndUpdate({ name }, update, { returnDocument: 'after', projection: PLAIN })
      .lean<Service>();
  }

  /** Sets whether the service's deployments are recorded on GitHub's Deployments API. */
  async setGithubDeployments(name: string, mode: GithubDeploymentsMode): Promise<Service | null> {
    return this.services
      .findOneAndUpdate(
        { name },
        { $set: { githubDeployments: mode } },
        { returnDocument: 'after', projection: PLAIN },
      )
      .lean<Service>();
  }

  /** Sets (a value) or removes (null) some of one target's settings, atomically; others stay. */
  /**
   * Sets or removes (null) a target's fields, while the promotion order of `expected` is still as
   * read (each environment's `promoteFrom`, null for none): one update, so two admins changing
   * the order at once never build a loop between them. Null when the service is gone or the
   * order changed meanwhile.
   */
  async setTargetFields(
    name: string,
    environment: string,
    fields: Partial<
      Record<'environmentUrl' | 'promoteFrom' | 'channelId', string | null> &
        Record<'promoteMinSoakMs', number | null> &
        Record<'production', boolean | null> &
        Record<'verification', object | null>
    >,
    expected: Record<string, string | null> = {},
  ): Promise<Service | null> {
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    for (const [field, value] of Object.entries(fields) as Array<[keyof TargetPolicy, unknown]>) {
      if (value === undefined) continue;
      if (value === null) unset[`targets.${environment}.${field}`] = '';
      else set[`targets.${environment}.${field}`] = value;
    }
    const unchanged = Object.fromEntries(
      Object.entries(expected).map(([env, from]) => [
        `targets.${env}.promoteFrom`,
        from === null ? { $exists: false } : from,
      ]),
    );
    return this.services
      .findOneAndUpdate(
        { name, ...unchanged },
        {
          ...(Object.keys(set).length ? { $set: set } : {}),
          ...(Object.keys(unset).length ? { $unset: unset } : {}),
        },
        { returnDocument: 'after', projection: PLAIN },
      )
      .lean<Service>();
  }

  /** Sets how runs started outside Discord are treated: the fields given; the others stay. */
  async setOutsideRuns(name: string, outsideRuns: OutsideRuns): Promise<Service | null> {
    const set = Object.fromEntries(
      Object.entries(outsideRuns)
        .filter(([, value]) => value !== undefined)
        .map(([field, value]) => [`outsideRuns.${field}`, value]),
    );
    return this.services
      .findOneAndUpdate({ name }, { $set: set }, { returnDocument: 'after', projection: PLAIN })
      .lean<Service>();
  }

  /**
   * Sets the weekly digest, or removes it (null), while it is still the one read (`expectedSince`,
   * or none): two admins changing it at once never merge into a digest neither asked for. Null
   * when the service is gone or the digest changed meanwhile.
   */
  async setDigest(
    name: string,
    digest: DigestSchedule | null,
    expectedSince: Date | undefined,
  ): Promise<Service | null> {
    const unchanged = expectedSince
      ? { 'digest.since': expectedSince }
      : { digest: { $exists: false } };
    return this.services
      .findOneAndUpdate(
        { name, ...unchanged },
        digest ? { $set: { digest } } : { $unset: { digest: '' } },
        { returnDocument: 'after', projection: PLAIN },
      )
      .lean<Service>();
  }

  async remove(name: string): Promise<boolean> {
    return (await this.services.deleteOne({ name })).deletedCount === 1;
  }
}
