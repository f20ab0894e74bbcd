// @ts-check
/**
 * Which code may import which: `npm run lint` fails on an import that points the wrong way.
 * The README's "How the code is laid out" explains each rule.
 */

/**
 * The folders of src/, lowest first. A folder imports only folders on lower rows (or its own);
 * folders on one row do not import each other. main.ts, app.module.ts, bootstrap.ts, the
 * exception filter and src/cli sit above all of them.
 */
const LAYERS = [
  ['config'],
  ['logging'],
  ['database'],
  ['instances'],
  ['deployments'],
  ['metrics'],
  ['audit'],
  ['github'],
  ['discord'],
  ['access'],
  ['service-registry'],
  ['admission', 'target-locks', 'github-deployments', 'ci-checks'],
  ['dispatch'],
  ['deployment-message'],
  ['approval'],
  ['ci-gate'],
  ['deploy'],
  ['rollback'],
  ['tracking'],
  ['status'],
  ['health'],
  ['http'],
];

const folders = (row) => `^src/(${row.join('|')})/`;
const layerRules = LAYERS.flatMap((row, index) => {
  const higher = LAYERS.slice(index + 1).flat();
  const neighbours = (folder) => row.filter((other) => other !== folder);
  return [
    ...(higher.length
      ? [
          {
            name: `layers:${row.join('+')}`,
            comment: `${row.join(', ')} may not import a feature above it (${higher.join(', ')}); move the shared piece down or send an event.`,
            severity: 'error',
            from: { path: folders(row) },
            to: { path: folders(higher), pathNot: '\\.spec\\.ts$' },
          },
        ]
      : []),
    ...row
      .filter((folder) => neighbours(folder).length)
      .map((folder) => ({
        name: `layers:${folder}-beside-${neighbours(folder).join('+')}`,
        comment: `${folder} and ${neighbours(folder).join(', ')} sit side by side: neither imports the other.`,
        severity: 'error',
        from: { path: `^src/${folder}/` },
        to: { path: folders(neighbours(folder)) },
      })),
  ];
});

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
        path: '^src/deployments/(deployment\\.repository|deployment-claims\\.repository)\\.ts$',
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
