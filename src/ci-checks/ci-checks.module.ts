import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { GithubModule } from '../github/github.module';
import { CiChecks } from './ci-checks.service';
import { CommitChecksDocument, CommitChecksSchema } from './commit-checks.schema';
import { CommitChecksStore } from './commit-checks.store';

/** What CI says about a commit: read once per commit for everyone, judged by a gate's rules. */
@Module({
  imports: [
    GithubModule,
    MongooseModule.forFeature([{ name: CommitChecksDocument.name, schema: CommitChecksSchema }]),
  ],
  providers: [CiChecks, CommitChecksStore],
  exports: [CiChecks],
})
export class CiChecksModule {}
