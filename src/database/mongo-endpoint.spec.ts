import { EngineHost, EngineHostError } from '../../libs/embedded-mongo';
import { loadAppConfig } from '../config/app-config';
import { EmbeddedEngineUnavailableError, MongoEndpoint } from './mongo-endpoint';

describe('MongoEndpoint', () => {
  afterEach(() => jest.restoreAllMocks());

  it('tells the user to set MONGODB_URI when the embedded engine cannot run here', async () => {
    jest.spyOn(EngineHost, 'start').mockRejectedValue(new EngineHostError('GLIBC_2.38 not found'));
    const config = loadAppConfig({
      DISCORD_TOKEN: 'x',
      CLIENT_ID: '123456789012345678',
      GUILD_ID: '123456789012345679',
      GITHUB_TOKEN: 'y',
    });
    const attempt = MongoEndpoint.open(config);
    await expect(attempt).rejects.toBeInstanceOf(EmbeddedEngineUnavailableError);
    await expect(attempt).rejects.toThrow(
      'The embedded MongoDB engine cannot run on this machine (GLIBC_2.38 not found). Set MONGODB_URI to a MongoDB server instead.',
    );
  });
});
