import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock } from '../../libs/clock';
import { AppConfig } from './app-config';

/** Provides the validated, typed AppConfig, and the clock every time-based rule reads. */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig, clock: Clock = new Clock()): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: Clock, useValue: clock },
      ],
      exports: [AppConfig, Clock],
    };
  }
}
