import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { AppConfig } from '../config/app-config';
import { AuditEntry } from './audit-entry';
import { AuditDocument } from './audit.schema';

const DAY_S = 86_400;
/** MongoDB's answer when an index exists with the same keys and other options. */
const INDEX_OPTIONS_CONFLICT = 85;
const NO_SUCH_COMMAND = 59;

@Injectable()
export class AuditRepository implements OnModuleInit {
  private readonly logger = new Logger('Audit');

  constructor(
    @InjectModel(AuditDocument.name) private readonly entries: Model<AuditDocument>,
    private readonly config: AppConfig,
  ) {}

  /**
   * Entries are kept AUDIT_RETENTION_DAYS, by a TTL index on `at`. An index on `at` made earlier
   * (without expiry, or with another retention) is changed in place with collMod; where the
   * server has no collMod (the embedded engine), it is rebuilt.
   */
  async onModuleInit(): Promise<void> {
    const expireAfterSeconds = this.config.audit.retentionDays * DAY_S;
    const collection = this.entries.collection;
    try {
      await collection.createIndex({ at: 1 }, { expireAfterSeconds });
    } catch (error) {
      if ((error as { code?: number }).code !== INDEX_OPTIONS_CONFLICT) return this.warn(error);
      try {
        await this.entries.db.db!.command({
          collMod: collection.collectionName,
          index: { keyPattern: { at: 1 }, expireAfterSeconds },
        });
      } catch (collModError) {
        if ((collModError as { code?: number }).code !== NO_SUCH_COMMAND)
          return this.warn(collModError);
        await collection
          .dropIndex('at_1')
          .then(() => collection.createIndex({ at: 1 }, { expireAfterSeconds }))
          .catch((rebuildError: Error) => this.warn(rebuildError));
      }
    }
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.entries.create(entry);
  }

  private warn(error: unknown): void {
    this.logger.warn(`Could not set the audit retention: ${(error as Error).message}`);
  }
}
