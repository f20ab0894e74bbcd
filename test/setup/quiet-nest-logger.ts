import { Logger } from '@nestjs/common';

// Unit specs build classes outside an app: keep Nest's default console logger quiet.
Logger.overrideLogger(false);
