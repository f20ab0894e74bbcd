import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CommandAudit, CommandAuditInterceptor } from '../discord/command-audit.interceptor';
import { AuditRepository } from './audit.repository';
import { AuditDocument, AuditSchema } from './audit.schema';

@Global()
@Module({
  imports: [MongooseModule.forFeature([{ name: AuditDocument.name, schema: AuditSchema }])],
  providers: [AuditRepository, CommandAudit, CommandAuditInterceptor],
  exports: [AuditRepository, CommandAudit, CommandAuditInterceptor],
})
export class AuditModule {}
