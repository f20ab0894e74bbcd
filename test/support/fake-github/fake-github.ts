import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { authorize, callerOf } from './auth';
import { GithubEnvironments } from './environments';
import type { Caller, GithubCall } from './model';
import { actionRoutes } from './routes/actions';
import { appRoutes } from './routes/apps';
import { checkRoutes } from './routes/checks';
import { deploymentRoutes } from './routes/deployments';
import { repoRoutes } from './routes/repos';
import { Answer, RouteTable } from './routes/table';
import { checker } from '../contracts/route-list';
import { contractsChecked, recordViolations } from '../contracts/violations';

/** Every route the fake serves, by GitHub's route template. */
export const ROUTES = new RouteTable([
  ...appRoutes,
  ...repoRoutes,
  ...checkRoutes,
  ...actionRoutes,
  ...deploymentRoutes,
]);

/**
 * A loopback GitHub REST API with the routes the bot uses, shaped as GitHub documents them
 * (https://docs.github.com/en/rest): the state and its driver (state.ts), environments with a
 * custom deployment protection rule, runs started outside the bot and the fake's own webhook
 * deliveries (environments.ts), who may call what (auth.ts), and the routes by API area
 * (routes/), keyed by GitHub's route templates. Tests make it fail, lose answers or hang on
 * purpose (failNext, loseNextAnswer, silenceNext).
 */
export class FakeGithub extends GithubEnvironments {
  readonly calls: GithubCall[] = [];
  private readonly failures: Array<{
    pattern: RegExp;
    status: number;
    message: string;
    times: number;
    headers: Record<string, string>;
    /** The request is carried out first, then answered with the failure (a lost answer). */
    afterDoing?: boolean;
    /** Instead of an answer: none at all (`hang`) or the connection dropped (`reset`). */
    silence?: 'hang' | 'reset';
  }> = [];
  private port = 0;

  private constructor(
    private readonly server: Server,
    readonly token: string,
  ) {
    super();
    this.webhooks.checkPayload = (name, payload) => {
      if (contractsChecked()) recordViolations(checker().webhook(name, payload));
    };
  }

  static async start(token = 'fake-github-token'): Promise<FakeGithub> {
    const server = createServer();
    const fake = new FakeGithub(server, token);
    server.on('request', (req, res) => void fake.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    fake.port = (server.address() as AddressInfo).port;
    return fake;
  }

  override get apiUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  /** The next `times` requests whose path matches fail with `status`. */
  failNext(
    pattern: RegExp,
    status: number,
    message = 'fake failure',
    times = 1,
    headers: Record<string, string> = {},
  ): void {
    this.failures.push({ pattern, status, message, times, headers });
  }

  /**
   * The next request matching `pattern` is carried out, but answered with `status`: the answer
   * is lost on the way (a proxy's 502 after GitHub did the work).
   */
  loseNextAnswer(pattern: RegExp, status = 502): void {
    this.failures.push({
      pattern,
      status,
      message: 'Bad Gateway',
      times: 1,
      headers: {},
      afterDoing: true,
    });
  }

  /**
   * The next request matching `pattern` is carried out, then never answered (`hang`: the client
   * gives up) or its connection is dropped (`reset`): GitHub did it, the client cannot know.
   * With `before`, nothing is done: the request dies on the way in.
   */
  silenceNext(pattern: RegExp, silence: 'hang' | 'reset', { before = false } = {}): void {
    this.failures.push({
      pattern,
      status: 0,
      message: '',
      times: 1,
      headers: {},
      afterDoing: !before,
      silence,
    });
  }

  /** The next request matching `pattern` hits an exhausted primary rate limit for `resetInS`. */
  rateLimitNext(pattern: RegExp, resetInS = 600): void {
    this.failNext(pattern, 403, 'API rate limit exceeded', 1, {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetInS),
    });
  }

  /** Requests that count against the rate limit (every answer but 304). */
  rateLimitedCalls(): GithubCall[] {
    return this.calls.filter((call) => call.status !== 304);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? JSON.parse(raw) : undefined;
    const call: GithubCall = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      body,
      status: 0,
      route: '',
      at: Date.now(),
    };
    this.calls.push(call);
    const reply = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      call.answer = payload;
      res.writeHead(status, {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        ...(payload === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        ...headers,
      });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const authorization = req.headers.authorization ?? '';
    const denied = authorize(this, this.token, authorization, call);
    if (denied) return reply(...denied);
    const caller = callerOf(this, this.token, authorization);
    const failure = this.failures.find((f) => f.times > 0 && f.pattern.test(call.path));
    if (failure) {
      failure.times--;
      if (failure.afterDoing) {
        try {
          this.answer(call, caller, req.headers['if-none-match']);
        } catch {
          // The failure is the answer either way.
        }
      }
      if (failure.silence === 'reset') {
        call.status = -1;
        return void req.socket.destroy();
      }
      // Held open until the client gives up (or the fake closes).
      if (failure.silence === 'hang') return void (call.status = -2);
      return reply(failure.status, { message: failure.message }, failure.headers);
    }
    try {
      const [status, payload, headers] = this.answer(call, caller, req.headers['if-none-match']);
      reply(status, payload, headers);
    } catch (error) {
      reply(404, { message: (error as Error).message });
    }
  }

  /**
   * What GitHub answers `call`: its route's answer (the route's template noted on the call).
   * The request is checked against GitHub's description of the operation first.
   */
  private answer(call: GithubCall, caller: Caller, ifNoneMatch?: string): Answer {
    const matched = ROUTES.match(call.method, call.path);
    if (!matched) {
      recordViolations([`${call.method} ${call.path}: no route of the fake GitHub`]);
      return [404, { message: `fake GitHub has no route ${call.method} ${call.path}` }];
    }
    call.route = matched.route.template;
    if (contractsChecked())
      recordViolations(
        checker().githubRequest(call.method, call.route, { query: call.query, body: call.body }),
      );
    return matched.route.answer({
      state: this,
      caller,
      apiUrl: this.apiUrl,
      params: matched.params,
      query: call.query,
      body: call.body,
      ifNoneMatch,
    });
  }
}
