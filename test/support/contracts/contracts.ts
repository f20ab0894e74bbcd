import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * The fakes held to the published API descriptions: every request the bot sends to the fake
 * GitHub and the fake Discord is checked against the operation GitHub's OpenAPI description
 * (@octokit/openapi) or Discord's (discord-api-spec) gives for its route, and the fakes' own
 * answers and webhook payloads (@octokit/openapi-webhooks) in their self-tests. What each
 * description says of the routes used is extracted once (build-contracts.mjs) into
 * node_modules/.cache; validation is Ajv's.
 */

/** What a check found: one line per problem, naming the route and the schema path. */
export type Violations = string[];

export interface RouteList {
  github: Array<[string, string]>;
  discord: Array<[string, string]>;
  webhooks: string[];
}

interface Contracts {
  github: {
    operations: Record<
      string,
      {
        parameters: Array<{
          name: string;
          in: string;
          required?: boolean;
          schema?: object;
          searchDates?: boolean;
        }>;
        body?: object;
        responses: Record<string, object>;
      }
    >;
    components: object;
  };
  webhooks: { payloads: Record<string, object>; components: object };
  discord: {
    operations: Record<
      string,
      { query: string[]; body?: object; responses: Record<string, object> }
    >;
  };
}

/** The project's root: the nearest folder up with a package.json (from test/ or dist-bench/test/). */
function projectRoot(from = __dirname): string {
  return existsSync(join(from, 'package.json')) ? from : projectRoot(dirname(from));
}
const ROOT = projectRoot();
/** The extractor is run from the sources (a build of the tests does not copy it). */
const EXTRACTOR = join(ROOT, 'test', 'support', 'contracts', 'build-contracts.mjs');
const PACKAGES = ['@octokit/openapi', '@octokit/openapi-webhooks', 'discord-api-spec'];

/** The descriptions' parts for `routes`, read from the cache (built on the first use). */
function load(routes: RouteList): Contracts {
  const versions = PACKAGES.map((name) => {
    const manifest = join(ROOT, 'node_modules', ...name.split('/'), 'package.json');
    return `${name}@${JSON.parse(readFileSync(manifest, 'utf8')).version}`;
  });
  const key = createHash('sha1')
    .update(JSON.stringify({ versions, routes }))
    .update(readFileSync(EXTRACTOR))
    .digest('hex')
    .slice(0, 16);
  const dir = join(ROOT, 'node_modules', '.cache', 'chatops-contracts');
  const file = join(dir, `${key}.json`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    execFileSync(process.execPath, [EXTRACTOR, file], {
      input: JSON.stringify(routes),
      cwd: ROOT,
      stdio: ['pipe', 'inherit', 'inherit'],
    });
  }
  const contracts = JSON.parse(readFileSync(file, 'utf8')) as Contracts;
  return {
    ...contracts,
    github: fromOpenApi(contracts.github),
    webhooks: fromOpenApi(contracts.webhooks),
  };
}

/**
 * An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes a type that admits null (or,
 * without a type, an alternative of null), and an enum that lists it.
 */
function fromOpenApi<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(fromOpenApi) as T;
  if (!schema || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, fromOpenApi(value)]),
  );
  if (nullable !== true) return converted as T;
  // As OpenAPI tools read it: a nullable enum admits null too.
  if (Array.isArray(converted.enum) && !converted.enum.includes(null))
    converted.enum = [...converted.enum, null];
  if (typeof converted.type === 'string')
    return { ...converted, type: [converted.type, 'null'] } as T;
  return { anyOf: [converted, { type: 'null' }] } as T;
}

/**
 * `required` removed everywhere: a fake may leave out what the bot does not read, but what it
 * sends must be what the description says.
 */
function partial<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(partial) as T;
  if (!schema || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => key !== 'required')
      .map(([key, value]) => [key, partial(value)]),
  ) as T;
}

/** Ajv for GitHub's OpenAPI 3.0 schemas (`nullable`, its formats), refs under `gh#`. */
function githubAjv(components: object, options: { coerce?: boolean } = {}): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateSchema: false,
    coerceTypes: options.coerce ?? false,
    formats: { 'uri-template': true, 'repo.nwo': true },
  });
  addFormats(ajv);
  ajv.addSchema({ components }, 'gh');
  return ajv;
}

/** A schema's `#/components/…` refs pointed at the registered root. */
function rooted(schema: object, root: string): object {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, `"${root}#/components/`));
}

function describe(errors: ErrorObject[] | null | undefined, where: string): Violations {
  return (errors ?? []).slice(0, 5).map((error) => {
    const detail = Object.values(error.params ?? {})
      .filter((value) => typeof value === 'string')
      .join(', ');
    return `${where}${error.instancePath || '/'} ${error.message}${detail ? ` (${detail})` : ''} (schema ${error.schemaPath})`;
  });
}

const DATE = String.raw`\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?`;
/**
 * GitHub's search syntax for dates, which parameters such as a workflow's runs' `created` take
 * (their description links it; their schema says only "date-time"): a date or date-time, after
 * `>`, `>=`, `<` or `<=`, or a range `a..b` with `*` for an open end.
 * https://docs.github.com/search-github/getting-started-with-searching-on-github/understanding-the-search-syntax#query-for-dates
 */
const DATE_QUALIFIER = new RegExp(`^(?:(?:[<>]=?)?${DATE}|(?:${DATE}|\\*)\\.\\.(?:${DATE}|\\*))$`);

function isDateQualifier(value: string): boolean {
  return DATE_QUALIFIER.test(value) && value !== '*..*';
}

export class ContractChecker {
  private readonly contracts: Contracts;
  private readonly strict: Ajv;
  private readonly lenient: Ajv;
  private readonly params: Ajv;
  private readonly hooks: Ajv;
  private readonly discordAjv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(routes: RouteList) {
    this.contracts = load(routes);
    const { components } = this.contracts.github;
    this.strict = githubAjv(components);
    this.lenient = githubAjv(partial(components));
    this.params = githubAjv(components, { coerce: true });
    this.hooks = githubAjv(partial(this.contracts.webhooks.components));
    addFormats(this.discordAjv);
  }

  private validator(ajv: Ajv, key: string, schema: object, root = 'gh'): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = ajv.compile(rooted(schema, root));
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /** A request the bot sent to GitHub, against its operation: query parameters and body. */
  githubRequest(
    method: string,
    template: string,
    request: { query: URLSearchParams; body: unknown },
  ): Violations {
    const key = `${method} ${template}`;
    const operation = this.contracts.github.operations[key];
    if (!operation) return [`${key}: not an operation of GitHub's REST API description`];
    const violations: Violations = [];
    const declared = new Map(
      operation.parameters.filter((p) => p.in === 'query').map((p) => [p.name, p]),
    );
    for (const [name, value] of request.query) {
      const param = declared.get(name);
      if (!param) {
        violations.push(`${key}: query parameter ${name} is not in the description`);
        continue;
      }
      if (param.searchDates) {
        if (!isDateQualifier(value))
          violations.push(`${key}: query ${name} is not GitHub's search syntax for dates`);
        continue;
      }
      if (!param.schema) continue;
      // Query values are text: checked with coercion, as GitHub reads them.
      const validate = this.validator(this.params, `q ${key} ${name}`, {
        type: 'object',
        properties: { value: param.schema },
      });
      if (!validate({ value }))
        violations.push(...describe(validate.errors, `${key}: query ${name}`));
    }
    if (operation.body && request.body !== undefined) {
      const validate = this.validator(this.strict, `b ${key}`, operation.body);
      if (!validate(request.body)) violations.push(...describe(validate.errors, `${key}: body`));
    }
    return violations;
  }

  /** An answer of the fake GitHub, against the description of that status (fields it sends). */
  githubResponse(method: string, template: string, status: number, body: unknown): Violations {
    const key = `${method} ${template}`;
    const schema = this.contracts.github.operations[key]?.responses[String(status)];
    if (!schema || body === undefined) return [];
    const validate = this.validator(this.lenient, `r ${key} ${status}`, partial(schema));
    return validate(body) ? [] : describe(validate.errors, `${key} → ${status}`);
  }

  /** A webhook payload the fake GitHub sends (`workflow-run-completed`, …). */
  webhook(name: string, payload: unknown): Violations {
    const schema = this.contracts.webhooks.payloads[name];
    if (!schema) return [`webhook ${name}: not in GitHub's webhook description`];
    const validate = this.validator(this.hooks, `w ${name}`, schema, 'gh');
    return validate(payload) ? [] : describe(validate.errors, `webhook ${name}`);
  }

  /** An answer of the fake Discord, against Discord's description (fields it sends). */
  discordResponse(method: string, template: string, status: number, body: unknown): Violations {
    const key = `${method} ${template}`;
    const schema = this.contracts.discord.operations[key]?.responses?.[String(status)];
    if (!schema || body === undefined) return [];
    let validate = this.compiled.get(`dr ${key} ${status}`);
    if (!validate) {
      validate = this.discordAjv.compile(partial(schema));
      this.compiled.set(`dr ${key} ${status}`, validate);
    }
    return validate(body) ? [] : describe(validate.errors, `${key} → ${status}`);
  }

  /** A request the bot sent to Discord, against Discord's description of its route. */
  discordRequest(
    method: string,
    template: string,
    request: { query: URLSearchParams; body: unknown },
  ): Violations {
    const key = `${method} ${template}`;
    const operation = this.contracts.discord.operations[key];
    if (!operation) return [`${key}: not an operation of Discord's API description`];
    const violations: Violations = [];
    for (const name of request.query.keys())
      if (!operation.query.includes(name))
        violations.push(`${key}: query parameter ${name} is not in the description`);
    if (operation.body && request.body !== undefined) {
      let validate = this.compiled.get(`d ${key}`);
      if (!validate) {
        validate = this.discordAjv.compile(operation.body);
        this.compiled.set(`d ${key}`, validate);
      }
      if (!validate(request.body)) violations.push(...describe(validate.errors, `${key}: body`));
    }
    return violations;
  }
}

let checker: ContractChecker | undefined;
let checkerRoutes = '';

/** The checker for `routes`, made once per test file. */
export function contractChecker(routes: RouteList): ContractChecker {
  const key = JSON.stringify(routes);
  if (!checker || checkerRoutes !== key) {
    checker = new ContractChecker(routes);
    checkerRoutes = key;
  }
  return checker;
}
