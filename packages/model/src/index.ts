export * from './otlp-types.js';
export * from './event.js';
export * from './record.js';
export * from './type-version.js';
export * from './lineage.js';
export * from './from-spans.js';
export * from './canonical.js';
export * from './reduce.js';
