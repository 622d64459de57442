export * from './registry.js';
export * from './backends/init.js';
export * from './builders/index.js';
export * from './train.js';
export * from './errors.js';
export * from './persist.js';
export * from './evaluation/index.js';
export * from './population/train.js';
