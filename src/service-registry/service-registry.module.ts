import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AccessModule } from '../access/access.module';
import { DeploymentsModule } from '../deployments/deployments.module';
import { GithubModule } from '../github/github.module';
import { ServiceAutocomplete } from './service.autocomplete';
import { ServiceBootstrap } from './service-bootstrap';
import { ServiceCommands } from './service.commands';
import { ServiceRegistryService } from './service-registry.service';
import { ServiceSettingsService } from './service-settings.service';
import { ServiceRepository } from './service.repository';
import { ServiceDocument, ServiceSchema } from './service.schema';

@Module({
  imports: [
    MongooseModule.forFeature([{ name: ServiceDocument.name, schema: ServiceSchema }]),
    AccessModule,
    DeploymentsModule,
    GithubModule,
  ],
  providers: [
    ServiceRepository,
    ServiceRegistryService,
    ServiceSettingsService,
    ServiceAutocomplete,
    ServiceCommands,
    ServiceBootstrap,
  ],
  exports: [ServiceRegistryService, ServiceAutocomplete, ServiceSettingsService],
})
export class ServiceRegistryModule {}
