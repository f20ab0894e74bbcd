export * from './engine-host';
export { needsPrivateGlibc, systemGlibcVersion } from './private-glibc';
