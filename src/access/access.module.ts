import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AccessCommands } from './access.commands';
import { AccessBootstrapDocument, AccessBootstrapSchema } from './access-bootstrap.schema';
import { AccessService } from './access.service';
import { GithubLinkRepository } from './github-link.repository';
import { GithubLinkDocument, GithubLinkSchema } from './github-link.schema';
import { GrantRepository } from './grant.repository';
import { GrantDocument, GrantSchema } from './grant.schema';
import { LegacyGrantsUpdate } from './legacy-grants.update';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: GrantDocument.name, schema: GrantSchema },
      { name: AccessBootstrapDocument.name, schema: AccessBootstrapSchema },
      { name: GithubLinkDocument.name, schema: GithubLinkSchema },
    ]),
  ],
  providers: [
    GrantRepository,
    GithubLinkRepository,
    AccessService,
    AccessCommands,
    LegacyGrantsUpdate,
  ],
  exports: [AccessService],
})
export class AccessModule {}
