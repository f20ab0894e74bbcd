import { randomBytes } from 'node:crypto';
import type { Route } from './table';

/** The App's own routes: finding an installation, creating its token. */
export const appRoutes: Route[] = [
  {
    // https://docs.github.com/en/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app
    method: 'GET',
    template: '/repos/{owner}/{repo}/installation',
    answer: ({ state, params }) => {
      const installation = state.app?.installations.get(params.owner.toLowerCase());
      if (!installation || !state.repos.has(`${params.owner}/${params.repo}`.toLowerCase()))
        return [404, { message: 'Not Found' }];
      return [
        200,
        {
          id: installation.id,
          app_id: state.app!.appId,
          account: { login: params.owner },
          permissions: installation.permissions,
        },
      ];
    },
  },
  {
    // https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
    method: 'POST',
    template: '/app/installations/{installation_id}/access_tokens',
    answer: ({ state, params }) => {
      const found = [...(state.app?.installations.entries() ?? [])].find(
        ([, installation]) => installation.id === Number(params.installation_id),
      );
      if (!found) return [404, { message: 'Not Found' }];
      const [owner, installation] = found;
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      const expiresAt = Date.now() + state.app!.tokenTtlMs;
      state.installationTokens.set(token, {
        installationId: installation.id,
        owner,
        expiresAt,
        permissions: installation.permissions,
      });
      return [
        201,
        {
          token,
          expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          permissions: installation.permissions,
          repository_selection: 'all',
        },
      ];
    },
  },
];
