import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuditRepository } from './audit.repository';
import { AuditDocument, AuditSchema } from './audit.schema';

/** The record of who did what (written by the command audit in src/discord). */
@Module({
  imports: [MongooseModule.forFeature([{ name: AuditDocument.name, schema: AuditSchema }])],
  providers: [AuditRepository],
  exports: [AuditRepository],
})
export class AuditModule {}
