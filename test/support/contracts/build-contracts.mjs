/**
 * Extracts, from the published API descriptions, the parts the fakes serve: GitHub's REST
 * operations (@octokit/openapi), GitHub's webhook payloads (@octokit/openapi-webhooks), and
 * Discord's REST operations (discord-api-spec, its zod schemas turned into JSON Schema). The
 * descriptions are large (GitHub's is 13 MB); what the tests need is written once to `out`, and
 * each test file reads that. Run by test/support/contracts/contracts.ts with the routes on stdin:
 * { github: [[method, template]], discord: [[method, template]], webhooks: [name] }.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { URL } from 'node:url';

const require = createRequire(import.meta.url);
const [out] = process.argv.slice(2);
const wanted = JSON.parse(readFileSync(0, 'utf8'));

/** Every `$ref` under `node` (as '#/components/…' pointers). */
function refsOf(node, found = new Set()) {
  if (Array.isArray(node)) for (const item of node) refsOf(item, found);
  else if (node && typeof node === 'object')
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.add(value);
      else refsOf(value, found);
    }
  return found;
}

/** What `pointer` ('#/a/b') names in `root`. */
function at(root, pointer) {
  return pointer
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, part) => node?.[part], root);
}

/** The components `nodes` need, transitively: a spec's `components`, trimmed. */
function componentsFor(spec, nodes) {
  const components = {};
  const pending = [...refsOf(nodes)];
  const seen = new Set();
  while (pending.length) {
    const ref = pending.pop();
    if (seen.has(ref) || !ref.startsWith('#/components/')) continue;
    seen.add(ref);
    const [, , kind, name] = ref.split('/');
    const value = at(spec, ref);
    (components[kind] ??= {})[name] = value;
    pending.push(...refsOf(value));
  }
  return components;
}

/** A parameter given by reference, resolved. */
const parameter = (spec, param) => (param.$ref ? at(spec, param.$ref) : param);

function github() {
  const spec = require('@octokit/openapi/generated/api.github.com.json');
  const operations = {};
  for (const [method, template] of wanted.github) {
    const operation = spec.paths[template]?.[method.toLowerCase()];
    if (!operation) continue;
    const parameters = [...(spec.paths[template].parameters ?? []), ...(operation.parameters ?? [])]
      .map((param) => parameter(spec, param))
      .map(({ name, in: where, required, schema, description }) => ({
        name,
        in: where,
        required,
        schema,
        // The description's text overrides its schema here: such a parameter takes GitHub's
        // search syntax for dates (`>=2026-01-01T00:00:00Z`, `a..b`), not one date-time.
        searchDates: /understanding-the-search-syntax#query-for-dates/.test(description ?? ''),
      }));
    const responses = {};
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      const resolved = response.$ref ? at(spec, response.$ref) : response;
      const schema = resolved?.content?.['application/json']?.schema;
      if (schema) responses[status] = schema;
    }
    operations[`${method} ${template}`] = {
      parameters,
      body: operation.requestBody?.content?.['application/json']?.schema,
      responses,
    };
  }
  return { operations, components: componentsFor(spec, operations) };
}

function webhooks() {
  const spec = require('@octokit/openapi-webhooks/generated/api.github.com.json');
  const payloads = Object.fromEntries(
    wanted.webhooks.map((name) => [name, { $ref: `#/components/schemas/webhook-${name}` }]),
  );
  return { payloads, components: componentsFor(spec, payloads) };
}

/**
 * Discord's operations: the request body each takes (from the `Paths` interface of
 * discord-api-spec's types, by schema name) as JSON Schema, and its query parameters.
 */
async function discord() {
  const zod = await import('discord-api-spec/zod');
  const { toJSONSchema, union, array, nullable } = await import('zod/mini');
  const { pathsList } = await import('discord-api-spec');
  // The types (not exported by the package): the Paths interface says which body each route takes.
  const types = new URL(
    '../../../node_modules/discord-api-spec/build/discord-api-spec.ts',
    import.meta.url,
  );
  const source = readFileSync(types, 'utf8');
  const operations = {};
  for (const [method, template] of wanted.discord) {
    const key = `${method} ${template}`;
    const known = pathsList[method.toLowerCase()]?.includes(template);
    if (!known) continue;
    const start = source.indexOf(`  "${template}": {`, source.indexOf('export interface Paths'));
    const end = source.indexOf('\n  };\n', start);
    const block = source.slice(start, end);
    const methodAt = block.indexOf(`    ${method.toLowerCase()}: {`);
    const methodBlock = block.slice(methodAt, block.indexOf('\n    };', methodAt));
    const bodyType = /requestBody\?: ([^;]+);/.exec(methodBlock)?.[1].trim() ?? 'undefined';
    const queryBlock = /query\?: \{([^}]*)\}/.exec(methodBlock)?.[1] ?? '';
    // What it answers on success (for the fake's self-test): `"200": MessageResponse;`.
    const responses = {};
    for (const [, status, type] of methodBlock.matchAll(/"(2\d\d)": ([A-Za-z]+)(\[\])?;/g)) {
      const schema = zod[`${type}Schema`];
      if (schema) responses[status] = toJSONSchema(schema, { unrepresentable: 'any' });
    }
    const query = [...queryBlock.matchAll(/(\w+)\?:/g)].map((m) => m[1]);
    let body;
    if (bodyType !== 'undefined') {
      const members = bodyType.split('|').map((part) => part.trim());
      const isNullable = members.includes('null');
      const schemas = members
        .filter((part) => part !== 'null' && part !== 'undefined')
        .map((part) => {
          const name = part.replace(/\[\]$/, '');
          const schema = zod[`${name}Schema`];
          if (!schema) throw new Error(`discord-api-spec has no schema ${name}Schema (${key})`);
          return part.endsWith('[]') ? array(schema) : schema;
        });
      const one = schemas.length === 1 ? schemas[0] : union(schemas);
      // As input: the package's objects strip unknown keys (it does not reject them).
      body = toJSONSchema(isNullable ? nullable(one) : one, {
        unrepresentable: 'any',
        io: 'input',
      });
    }
    operations[key] = { query, body, responses };
  }
  return { operations };
}

const contracts = { github: github(), webhooks: webhooks(), discord: await discord() };
writeFileSync(`${out}.${process.pid}.tmp`, JSON.stringify(contracts));
renameSync(`${out}.${process.pid}.tmp`, out);
