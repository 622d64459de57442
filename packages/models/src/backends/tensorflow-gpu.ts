/** Native TensorFlow with CUDA through `@tensorflow/tfjs-node-gpu` (optional package). */
import { nativeBackend } from './native.js';

export const tensorflowGpuBackend = nativeBackend('tensorflow-gpu', '@tensorflow/tfjs-node-gpu', 0);
