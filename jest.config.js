// @ts-check
/** Octokit and its helpers ship only ESM: ts-jest transforms them to CommonJS for Jest. */
const ESM_PACKAGES = [
  '@octokit',
  'before-after-hook',
  'universal-user-agent',
  'content-type',
  'json-with-bigint',
  'bottleneck',
  'fast-content-type-parse',
  'universal-github-app-jwt',
  'toad-cache',
  'github-slugger',
  'request-filtering-agent',
];

const transform = {
  '^.+\\.[tj]s$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }],
};
const transformIgnorePatterns = [`node_modules/(?!(${ESM_PACKAGES.join('|')})/)`];

/** @type {import('jest').Config} */
module.exports = {
  transform,
  // Per test; waits inside tests have their own, shorter limits.
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: __dirname,
      testMatch: [
        '<rootDir>/src/**/*.spec.ts',
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/test/*.spec.ts',
      ],
      setupFiles: ['<rootDir>/test/setup/quiet-nest-logger.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup/contract-violations.ts'],
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup/contract-violations.ts'],
      transform,
      transformIgnorePatterns,
    },
  ],
};
