/**
 * `@aelab/models/registry`: the model-family and backend registries without tfjs. The
 * sweep's main thread, the CLI's option parsing and the experiment schema import this
 * entry; importing it loads neither tfjs nor a backend (a test pins that).
 */
export * from './families/index.js';
export * from './families/presets.js';
export * from './backends/index.js';
export * from './population/key.js';
export { parseSavedModelInfo, savedModelInfoSchema } from './saved-model-info.js';
