export * from './evaluation/index.js';
