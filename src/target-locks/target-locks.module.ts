import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AccessModule } from '../access/access.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { TargetLockRepository } from './target-lock.repository';
import { TargetLockDocument, TargetLockSchema } from './target-lock.schema';
import { TargetLocksCommands } from './target-locks.commands';
import { TargetLocksService } from './target-locks.service';

/** /lock and /unlock: an admin's freeze on a target. */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: TargetLockDocument.name, schema: TargetLockSchema }]),
    AccessModule,
    ServiceRegistryModule,
  ],
  providers: [TargetLockRepository, TargetLocksService, TargetLocksCommands],
  exports: [TargetLocksService],
})
export class TargetLocksModule {}
