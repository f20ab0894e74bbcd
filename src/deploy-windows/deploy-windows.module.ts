import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AccessModule } from '../access/access.module';
import { ServiceRegistryModule } from '../service-registry/service-registry.module';
import { FreezeCommands, WindowCommands } from './schedule.commands';
import { FreezeRepository, WindowRepository } from './schedule.repository';
import { FreezeDocument, FreezeSchema, WindowDocument, WindowSchema } from './schedule.schema';
import { TargetSchedule } from './target-schedule.service';

/** When targets take deploys: /freeze, /unfreeze and /service window. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: FreezeDocument.name, schema: FreezeSchema },
      { name: WindowDocument.name, schema: WindowSchema },
    ]),
    AccessModule,
    ServiceRegistryModule,
  ],
  providers: [FreezeRepository, WindowRepository, TargetSchedule, FreezeCommands, WindowCommands],
  exports: [TargetSchedule],
})
export class DeployWindowsModule {}
