import { verify } from 'node:crypto';
import type { Caller, FakeApp, GithubCall } from './model';
import type { GithubState } from './state';

/**
 * Who may call what, as GitHub decides it: the personal token anywhere; a GitHub App's JWT
 * (RS256, `iss` = the App id, expiring within 10 minutes) only on the App's own routes; an
 * installation token on the repositories of its owner, within its permissions
 * (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app).
 * Returns the refusal, or undefined when the request may go on.
 */
export function authorize(
  state: GithubState,
  personalToken: string,
  header: string,
  call: GithubCall,
): [number, unknown] | undefined {
  const badCredentials: [number, unknown] = [
    401,
    { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' },
  ];
  const [scheme, credential = ''] = header.split(' ');
  if (credential === personalToken && /^(token|bearer)$/i.test(scheme)) return undefined;
  const appRoute =
    /^\/app\/installations\/\d+\/access_tokens$/.test(call.path) ||
    /^\/repos\/[^/]+\/[^/]+\/installation$/.test(call.path) ||
    call.path === '/app';
  if (/^bearer$/i.test(scheme) && state.app && appRoute) {
    return validJwt(state.app, credential) ? undefined : badCredentials;
  }
  const token = state.installationTokens.get(credential);
  if (!/^token$/i.test(scheme) || !token || token.expiresAt <= Date.now() || appRoute)
    return badCredentials;
  const repo = /^\/repos\/([^/]+)\/([^/]+)/.exec(call.path);
  // An installation sees its owner's repositories only.
  if (!repo || repo[1].toLowerCase() !== token.owner) return [404, { message: 'Not Found' }];
  const needed = permissionFor(call.method, call.path);
  const granted = token.permissions[needed.name];
  if (!granted || (needed.level === 'write' && granted !== 'write')) {
    return [
      403,
      {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest',
      },
    ];
  }
  return undefined;
}

/** Who an authorized request came from (see authorize): the token's user, installation or App. */
export function callerOf(state: GithubState, personalToken: string, header: string): Caller {
  const credential = header.split(' ')[1] ?? '';
  if (credential === personalToken) return { kind: 'user', login: state.personalLogin };
  const token = state.installationTokens.get(credential);
  if (token)
    return { kind: 'installation', installationId: token.installationId, owner: token.owner };
  return { kind: 'app' };
}

/** An RS256 JWT signed with the App's key, issued by the App, not expired, ≤ 10 minutes long. */
function validJwt(app: FakeApp, jwt: string): boolean {
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) return false;
  try {
    const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      app.publicKey,
      Buffer.from(signature, 'base64url'),
    );
    const now = Math.floor(Date.now() / 1000);
    return (
      alg === 'RS256' &&
      signed &&
      String(claims.iss) === String(app.appId) &&
      claims.exp > now &&
      claims.exp <= now + 600 &&
      claims.iat <= now + 60
    );
  } catch {
    return false;
  }
}

/**
 * The permission a route needs (https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps).
 */
function permissionFor(method: string, path: string): { name: string; level: 'read' | 'write' } {
  const level = method === 'GET' ? 'read' : 'write';
  // The App behind a custom deployment protection rule answers it with Deployments (write) and
  // lists rules with Actions (read):
  // https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/creating-custom-deployment-protection-rules
  // https://docs.github.com/en/rest/deployments/protection-rules#get-all-deployment-protection-rules-for-an-environment
  if (/\/actions\/runs\/\d+\/deployment_protection_rule$/.test(path))
    return { name: 'deployments', level };
  if (/\/environments\/[^/]+\/deployment_protection_rules$/.test(path))
    return { name: 'actions', level };
  if (/\/actions\//.test(path)) return { name: 'actions', level };
  if (/\/check-runs|\/check-suites/.test(path)) return { name: 'checks', level };
  if (/\/deployments/.test(path)) return { name: 'deployments', level };
  if (/\/statuses\/|\/status$/.test(path)) return { name: 'statuses', level };
  if (/^\/repos\/[^/]+\/[^/]+$/.test(path)) return { name: 'metadata', level };
  return { name: 'contents', level };
}
