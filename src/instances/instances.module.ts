import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Heartbeat } from './heartbeat';
import { InstanceDocument, InstanceSchema } from './instance.schema';
import { InstancesRepository } from './instances.repository';

/** The bot's instances: each one's heartbeat, for `/ping` and the log. */
@Global()
@Module({
  imports: [MongooseModule.forFeature([{ name: InstanceDocument.name, schema: InstanceSchema }])],
  providers: [InstancesRepository, Heartbeat],
  exports: [Heartbeat],
})
export class InstancesModule {}
