import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { DeploymentsModule } from '../deployments/deployments.module';
import { AdmissionGuards } from './admission.guards';
import { CooldownRepository } from './cooldown.repository';
import { CooldownDocument, CooldownSchema } from './cooldown.schema';

/** Busy target, cooldown and cap: whether a new deployment may go ahead. */
@Module({
  imports: [
    DeploymentsModule,
    MongooseModule.forFeature([{ name: CooldownDocument.name, schema: CooldownSchema }]),
  ],
  providers: [AdmissionGuards, CooldownRepository],
  exports: [AdmissionGuards],
})
export class AdmissionModule {}
