export * from './validate-input';
export * from './environment-names';
