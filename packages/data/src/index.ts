export * from './dataset.js';
