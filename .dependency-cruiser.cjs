// @ts-check
/**
 * Which code may import which: `npm run lint` fails on an import that points the wrong way.
 * docs/architecture.md explains each rule.
 */

/**
 * Folders of src/ by role, lowest first (docs/architecture.md explains each). A folder imports
 * only folders of lower roles, and within its role only as said below:
 * - platform: what any program needs (configuration, logs, MongoDB, metrics, the instances
 *   alive, the audit log); each may import those before it in this list;
 * - kernel: the deployment's record and life;
 * - adapters: how the bot speaks to GitHub, Discord and HTTP; each may import those before it;
 * - policy: who may do what, on which service and target (read by every feature); each may
 *   import those before it;
 * - features: one folder each; they never import each other, except along the launch pipeline;
 * - overviews: read-only views over everything (/status, /history, /ping, /health);
 * - entry: main.ts, bootstrap.ts, app.module.ts, the exception filter, src/cli.
 */
const ROLES = {
  platform: ['config', 'logging', 'database', 'metrics', 'instances', 'audit'],
  kernel: ['deployments'],
  adapters: ['github', 'discord', 'http'],
  policy: ['access', 'service-registry', 'target-locks', 'deploy-windows'],
  features: [
    'environment-gate',
    'deploy-queue',
    'verification',
    'rollback',
    'deploy',
    'ci-gate',
    'approval',
    'dispatch',
    'github-deployments',
    'admission',
    'ci-checks',
    'tracking',
    'deployment-message',
    'deployment-metrics',
    'delivery-insight',
  ],
  overviews: ['status', 'health'],
};

/**
 * The launch pipeline: how a request becomes a dispatch, owned by DeploymentLauncher
 * (deploy/deployment-launcher.ts). /deploy and /rollback start it, and the environment gate
 * for runs started on GitHub, the queue, and the automatic rollback after a failed verification;
 * the CI gate holds a request
 * until CI passes; approval asks the admins; dispatch sends it (with GitHub's record of it), after
 * the admission guards and the launch checks (CI, read by ci-checks). A folder of the pipeline
 * imports only folders after it here; no other feature imports another.
 */
const LAUNCH_PIPELINE = [
  'environment-gate',
  'deploy-queue',
  'verification',
  'rollback',
  'deploy',
  'ci-gate',
  'approval',
  'dispatch',
  'github-deployments',
  'admission',
  'ci-checks',
];

const ORDER = Object.keys(ROLES);
const folders = (list) => `^src/(${list.join('|')})/`;
/** Within these roles a folder may import those before it in the role's list. */
const ORDERED_WITHIN = ['platform', 'adapters', 'policy'];

const roleRules = ORDER.flatMap((role, index) => {
  const higher = ORDER.slice(index + 1).flatMap((r) => ROLES[r]);
  return higher.length
    ? [
        {
          name: `roles:${role}`,
          comment: `${role} (${ROLES[role].join(', ')}) may not import a higher role (${ORDER.slice(index + 1).join(', ')}); move the shared piece down or send an event.`,
          severity: 'error',
          from: { path: folders(ROLES[role]) },
          to: { path: folders(higher), pathNot: '\\.spec\\.ts$' },
        },
      ]
    : [];
});

const withinRules = ORDERED_WITHIN.flatMap((role) =>
  ROLES[role].slice(0, -1).map((folder, index) => ({
    name: `roles:${role}-order:${folder}`,
    comment: `Within ${role}, ${folder} imports only what comes before it (${ROLES[role].slice(0, index).join(', ') || 'nothing'}).`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: folders(ROLES[role].slice(index + 1)) },
  })),
);

const featureRules = ROLES.features.map((folder) => {
  const at = LAUNCH_PIPELINE.indexOf(folder);
  const allowed = at === -1 ? [] : LAUNCH_PIPELINE.slice(at + 1);
  const forbidden = ROLES.features.filter((other) => other !== folder && !allowed.includes(other));
  return {
    name: `features:${folder}`,
    comment:
      at === -1
        ? `${folder} is a feature: it imports no other feature (${forbidden.join(', ')}); share through the kernel, a policy, an adapter, or an event.`
        : `${folder} is on the launch pipeline: it imports only the stages after it (${allowed.join(', ') || 'none'}), no other feature.`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: folders(forbidden), pathNot: '\\.spec\\.ts$' },
  };
});

/** Every folder of src/ has a role: a new one must be placed (or lint says so). */
const unplaced = {
  name: 'roles:every-folder-placed',
  comment:
    'Every folder of src/ has a role in .dependency-cruiser.cjs (ROLES): add a new one where it belongs.',
  severity: 'error',
  from: {
    path: '^src/[^/]+/',
    pathNot: [folders(Object.values(ROLES).flat()), '^src/cli/'],
  },
  to: {},
};

const layerRules = [...roleRules, ...withinRules, ...featureRules, unplaced];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'Import cycles make an order of initialisation and of reading impossible.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'kernel-imports-no-feature',
      comment:
        'src/deployments is the kernel: it knows no feature (only libs/ and packages). Features depend on it.',
      severity: 'error',
      from: { path: '^src/deployments/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^src/', pathNot: '^src/deployments/' },
    },
    {
      name: 'kernel-writes-stay-inside',
      comment:
        'Only DeploymentTransitions writes a deployment: its repositories are not imported outside the kernel.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/deployments/', '\\.spec\\.ts$'] },
      to: {
        path: '^src/deployments/(deployment|deployment-claims|deployment-gate|deployment-jobs|deployment-verification)\\.repository\\.ts$',
      },
    },
    {
      name: 'libs-know-no-feature',
      comment: 'libs/ is code that knows no feature: it never imports src/ or test/.',
      severity: 'error',
      from: { path: '^libs/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^(src|test)/' },
    },
    {
      name: 'app-code-not-test-code',
      comment: 'What ships never imports test helpers (specs may).',
      severity: 'error',
      from: { path: '^(src|libs)/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^test/' },
    },
    {
      name: 'discord-only-in-adapters',
      comment:
        'Rules never see Discord: only commands, components, gateway listeners (.update), event listeners, views, autocomplete, command options, src/discord and the command-printing CLI import discord.js or necord.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: [
          '^src/discord/',
          '^src/cli/',
          '\\.(commands|components|update|listener|views|autocomplete)\\.ts$',
          '/dto/[^/]+\\.options\\.ts$',
          '\\.spec\\.ts$',
        ],
      },
      to: { path: '^node_modules/(discord\\.js|necord|@discordjs)/' },
    },
    {
      name: 'mongoose-only-in-repositories',
      comment:
        'Only repositories, stores, schemas, modules and src/database speak to MongoDB; they hand out plain objects.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: ['^src/database/', '\\.(repository|store|schema|module)\\.ts$', '\\.spec\\.ts$'],
      },
      to: { path: '^node_modules/(mongoose|mongodb|@nestjs/mongoose)/' },
    },
    {
      name: 'octokit-only-in-github',
      comment: 'src/github is the one place that speaks to GitHub.',
      severity: 'error',
      from: { path: '^(src|libs)/', pathNot: ['^src/github/', '\\.spec\\.ts$'] },
      to: { path: '^node_modules/@octokit/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|dist-bench|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
