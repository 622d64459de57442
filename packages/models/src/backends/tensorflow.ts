/** Native TensorFlow on the CPU through `@tensorflow/tfjs-node` (optional package). */
import { nativeBackend } from './native.js';

export const tensorflowBackend = nativeBackend('tensorflow', '@tensorflow/tfjs-node', 1);
