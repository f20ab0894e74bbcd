import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, loadAppConfig } from './app-config';

const valid = {
  DISCORD_TOKEN: 'discord-secret-token',
  CLIENT_ID: '123456789012345678',
  GUILD_ID: '123456789012345679',
  GITHUB_TOKEN: 'ghp_secretsecretsecret',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadAppConfig: the GitHub identity', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const { GITHUB_TOKEN: _token, ...withoutToken } = valid;
  void _token;

  it('is a token, or a GitHub App with its key inline (\\n escapes) or in a file', () => {
    expect(loadAppConfig(valid).github.identity).toEqual({
      kind: 'token',
      token: 'ghp_secretsecretsecret',
    });
    const inline = loadAppConfig({
      ...withoutToken,
      GITHUB_APP_ID: '12345',
      GITHUB_APP_PRIVATE_KEY: pem.trim().replace(/\n/g, '\\n'),
    });
    expect(inline.github.identity).toEqual({
      kind: 'app',
      appId: 12345,
      privateKey: pem,
      installationId: undefined,
    });
    const dir = mkdtempSync(join(tmpdir(), 'key-'));
    writeFileSync(join(dir, 'app.pem'), pem);
    const fromFile = loadAppConfig({
      ...withoutToken,
      GITHUB_APP_ID: '12345',
      GITHUB_APP_PRIVATE_KEY_PATH: join(dir, 'app.pem'),
      GITHUB_APP_INSTALLATION_ID: '777',
    });
    expect(fromFile.github.identity).toMatchObject({ kind: 'app', installationId: 777 });
    expect(fromFile.secrets()).toContain(pem);
  });

  it('is exactly one, and a bad key is named without being shown', () => {
    expect(problemsOf({ ...valid, GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: pem })).toEqual([
      'set GITHUB_TOKEN or the GITHUB_APP_* variables, not both (one GitHub identity)',
    ]);
    expect(problemsOf({ ...withoutToken, GITHUB_APP_PRIVATE_KEY: pem })).toEqual([
      'GITHUB_APP_ID is required with the other GITHUB_APP_* variables',
    ]);
    expect(problemsOf({ ...withoutToken, GITHUB_APP_ID: '1' })).toEqual([
      'GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH is required with GITHUB_APP_ID',
    ]);
    const broken = problemsOf({
      ...withoutToken,
      GITHUB_APP_ID: '1',
      GITHUB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----',
    });
    expect(broken).toEqual([
      "GITHUB_APP_PRIVATE_KEY is not a PEM private key (download it from the App's settings; in one line, write newlines as \\n)",
    ]);
    expect(
      problemsOf({
        ...withoutToken,
        GITHUB_APP_ID: '1',
        GITHUB_APP_PRIVATE_KEY_PATH: '/nonexistent/app.pem',
      }),
    ).toEqual(['GITHUB_APP_PRIVATE_KEY_PATH cannot be read (no such file, or no permission)']);
    expect(
      problemsOf({
        ...withoutToken,
        GITHUB_APP_ID: '1',
        GITHUB_APP_PRIVATE_KEY: pem,
        GITHUB_APP_PRIVATE_KEY_PATH: '/nonexistent/app.pem',
      }),
    ).toContain('set GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH, not both');
  });
});
