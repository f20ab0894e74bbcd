import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { DeploymentsModule } from '../deployments/deployments.module';
import { AdmissionGuards } from './admission.guards';
import { CooldownRepository } from './cooldown.repository';
import { CooldownDocument, CooldownSchema } from './cooldown.schema';
import {
  QueueEntryDocument,
  QueueEntrySchema,
  QueueTargetDocument,
  QueueTargetSchema,
} from './queue.schema';
import { QueueStore } from './queue.store';

/** Busy target, cooldown and cap: whether a new deployment may go ahead; each target's queue. */
@Module({
  imports: [
    DeploymentsModule,
    MongooseModule.forFeature([
      { name: CooldownDocument.name, schema: CooldownSchema },
      { name: QueueEntryDocument.name, schema: QueueEntrySchema },
      { name: QueueTargetDocument.name, schema: QueueTargetSchema },
    ]),
  ],
  providers: [AdmissionGuards, CooldownRepository, QueueStore],
  exports: [AdmissionGuards, QueueStore],
})
export class AdmissionModule {}
