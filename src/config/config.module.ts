import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { Instance } from '../../libs/instance';
import { AppConfig } from './app-config';

/**
 * Provides the validated, typed AppConfig, the clock every time-based rule reads, and this
 * process's identity among the bot's instances.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(
    config: AppConfig,
    clock: Clock = new Clock(),
    instance: Instance = new Instance(),
  ): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: Clock, useValue: clock },
        { provide: Instance, useValue: instance },
      ],
      exports: [AppConfig, Clock, Instance],
    };
  }
}
