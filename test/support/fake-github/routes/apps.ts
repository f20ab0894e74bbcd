import { randomBytes } from 'node:crypto';
import type { Route } from './table';

/** The App's own routes: the App itself, finding an installation, creating its token. */
export const appRoutes: Route[] = [
  {
    // https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app (a JWT only). Its
    // `owner` is left out: the description allows a user or an enterprise there, and with every
    // field optional (see contracts.ts) any owner would match both.
    method: 'GET',
    template: '/app',
    answer: ({ state, apiUrl }) => {
      const app = state.app;
      if (!app) return [404, { message: 'Not Found' }];
      const at = '2026-01-01T00:00:00Z';
      return [
        200,
        {
          id: app.appId,
          slug: app.slug,
          node_id: `A_${app.appId}`,
          client_id: `Iv1.${app.appId}`,
          name: 'ChatOps Deploy Bot',
          description: null,
          external_url: 'https://github.example/acme',
          html_url: `https://github.example/apps/${app.slug}`,
          created_at: at,
          updated_at: at,
          permissions: { actions: 'write', deployments: 'write' },
          events: ['deployment_protection_rule', 'workflow_run'],
          installations_count: app.installations.size,
          url: `${apiUrl}/app`,
        },
      ];
    },
  },
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
