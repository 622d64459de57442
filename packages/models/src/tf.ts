/**
 * tfjs as this package uses it: `tf.add(...)` as a value, `tf.Tensor` as a type.
 *
 * Loaded with `require`, not `import`: tfjs ships CommonJS bundles (~7 MB across tfjs-core,
 * -layers, -converter, -data and the cpu and webgl backends), and an ESM `import` of CommonJS
 * makes Node lex every one of them for its export names (cjs-module-lexer), ~250 ms of
 * each thread's start, then optimises the lexer in V8's background threads (~100-150 ms of
 * TurboFan per compilation, several per thread): measured, import 400-450 ms wall and
 * ~650 ms of CPU, require 180 ms and 190 ms. Each training thread loads tfjs, so on a
 * 2-core machine that CPU came out of the first trainings. The module object is the same
 * either way (Node's ESM wrapper of CommonJS is its `module.exports`).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the one place tfjs is loaded (see above)
import tf = require('@tensorflow/tfjs');

export { tf };
