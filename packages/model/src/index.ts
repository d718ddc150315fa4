export * from './otlp-types.js';
export * from './event.js';
export * from './record.js';
