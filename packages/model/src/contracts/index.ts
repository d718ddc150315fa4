export * from './registry.js';
export * from './check.js';
