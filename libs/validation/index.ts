export * from './validate-input';
