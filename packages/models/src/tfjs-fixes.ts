/**
 * Fixes for tfjs 4.22 bugs that our models hit; importing this module applies them once.
 *
 * `Unpack` gradient: the engine hands a kernel with one output its gradient as a bare
 * tensor, not a list, and tfjs' Unpack gradient passes it straight to `stack`, which then
 * throws "Argument tensors passed to stack must be a Tensor[]". Any recurrent layer over a
 * sequence of ONE step (the seed-004 tabular LSTM: features as one time step) unstacks into
 * one output and so cannot be trained. The fixed gradient wraps a lone tensor in a list.
 */
import { tf } from './tf.js';

tf.registerGradient({
  kernelName: 'Unpack',
  gradFunc: (dy, _saved, attrs) => {
    const { axis } = attrs as unknown as { axis: number };
    const parts = Array.isArray(dy) ? dy : [dy];
    return { value: () => tf.stack(parts, axis) };
  },
});
