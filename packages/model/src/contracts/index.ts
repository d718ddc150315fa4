export * from './registry.js';
export * from './registry-problem.js';
export * from './check.js';
export * from './upstream-registry.js';
