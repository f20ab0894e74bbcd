import { createHash } from 'node:crypto';
import type { GithubEnvironments } from '../environments';
import type { Caller } from '../model';

/** An answer: status, JSON body (none for 204/304), extra headers. */
export type Answer = [number, unknown?, Record<string, string>?];

/** What a route is handed: the fake's state, the request, and its path parameters by name. */
export interface RouteContext {
  state: GithubEnvironments;
  /** Who is asking (the personal token's user, an installation of the App, the App). */
  caller: Caller;
  /** Where the fake serves, for URLs GitHub puts in its answers. */
  apiUrl: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  ifNoneMatch?: string;
}

/**
 * One GitHub REST operation the fake serves, keyed as GitHub's OpenAPI description keys it
 * (method and route template, https://github.com/github/rest-api-description). `rest` names a
 * last parameter that may hold slashes (a branch `feature/x`, a ref `heads/main`).
 */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  template: string;
  rest?: string;
  answer(context: RouteContext): Answer;
}

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
}

/** The routes, matched most specific first: more segments, and no slash-holding parameter. */
export class RouteTable {
  private readonly compiled: Compiled[];

  constructor(routes: Route[]) {
    this.compiled = routes
      .map((route) => {
        const names: string[] = [];
        const source = route.template.replace(/[.]/g, '\\.').replace(/\{([^}]+)\}/g, (_, name) => {
          names.push(name);
          return name === route.rest ? '(.+)' : '([^/]+)';
        });
        return { route, pattern: new RegExp(`^${source}$`), names };
      })
      .sort(
        (a, b) =>
          Number(Boolean(a.route.rest)) - Number(Boolean(b.route.rest)) ||
          b.route.template.split('/').length - a.route.template.split('/').length,
      );
  }

  /** The route for `method` and `path` (decoded), with its parameters; undefined when none. */
  match(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | undefined {
    for (const { route, pattern, names } of this.compiled) {
      if (route.method !== method) continue;
      const found = pattern.exec(path);
      if (found)
        return {
          route,
          params: Object.fromEntries(names.map((name, index) => [name, found[index + 1]])),
        };
    }
    return undefined;
  }

  get routes(): Route[] {
    return this.compiled.map((entry) => entry.route);
  }
}

/**
 * A GET answer with a weak ETag of its body, or 304 when the request's If-None-Match is that
 * ETag, as GitHub answers conditional requests.
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
 */
export function conditional(payload: unknown, ifNoneMatch: string | undefined): Answer {
  const etag = `W/"${createHash('sha1').update(JSON.stringify(payload)).digest('hex')}"`;
  return ifNoneMatch === etag ? [304, undefined, { etag }] : [200, payload, { etag }];
}

/** One page of `items` as GitHub pages lists (`per_page` at most 100, default 30; `page` from 1). */
export function page<T>(items: T[], query: URLSearchParams): T[] {
  const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
  const number = Math.max(1, Number(query.get('page') ?? 1));
  return items.slice((number - 1) * perPage, number * perPage);
}
