import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { AuditEntry } from './audit-entry';
import { AuditDocument } from './audit.schema';

@Injectable()
export class AuditRepository {
  constructor(@InjectModel(AuditDocument.name) private readonly entries: Model<AuditDocument>) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.entries.create(entry);
  }

  /** Newest first. */
  async recent(
    filter: { command?: string; actorId?: string } = {},
    limit = 50,
  ): Promise<AuditEntry[]> {
    const query: Record<string, string> = {};
    if (filter.command) query.command = filter.command;
    if (filter.actorId) query['actor.id'] = filter.actorId;
    return this.entries.find(query, { _id: 0 }).sort({ at: -1 }).limit(limit).lean<AuditEntry[]>();
  }
}
