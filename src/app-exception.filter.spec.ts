import type { ArgumentsHost } from '@nestjs/common';
import { AppError } from '../libs/errors';
import { AppExceptionFilter } from './app-exception.filter';
import { loadAppConfig } from './config/app-config';
import type { InteractionsInFlight } from './discord/interactions-in-flight';
import { CommandTurns } from './discord/command-turns';

describe('AppExceptionFilter', () => {
  const config = loadAppConfig({
    DISCORD_TOKEN: 'discord-secret-token',
    CLIENT_ID: '123456789012345678',
    GUILD_ID: '123456789012345679',
    GITHUB_TOKEN: 'configured-github-token',
  });
  const filter = new AppExceptionFilter(
    {} as InteractionsInFlight,
    new CommandTurns(config),
    config,
  );

  function httpHost() {
    const answer: { status?: number; body?: unknown } = {};
    const response = {
      headersSent: false,
      status(code: number) {
        answer.status = code;
        return this;
      },
      json(body: unknown) {
        answer.body = body;
      },
    };
    const host = {
      getType: () => 'http',
      switchToHttp: () => ({ getResponse: () => response }),
    } as unknown as ArgumentsHost;
    return { host, answer };
  }

  it('never shows a configured secret or a credential in an error it answers with', async () => {
    const { host, answer } = httpHost();
    const message =
      'GitHub said: bad token configured-github-token (also ghp_16C7e42F292c6912E7710c838347Ae178B4a)';
    await filter.catch(new AppError('GITHUB.BAD', message), host);
    expect(answer).toEqual({
      status: 400,
      body: {
        error: {
          code: 'GITHUB.BAD',
          message: 'GitHub said: bad token [redacted] (also [redacted])',
        },
      },
    });
  });
});
