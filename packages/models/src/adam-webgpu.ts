/**
 * The fused Adam update (`adam.ts`) on webgpu. A tfjs WebGPU program writes one output,
 * so the update is three small shaders per weight tensor (m', v', then x' from them)
 * instead of tf.train.adam's ~14 kernels; on a GPU each kernel is a dispatch whose host
 * cost (~80 us on lavapipe) outweighs its arithmetic on these small models. Loaded only
 * by the webgpu backend (it imports tfjs-backend-webgpu).
 */
import { tf } from './tf.js';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { ADAM_KERNEL, type AdamUpdateAttrs } from './adam.js';

type Part = 'moment1' | 'moment2' | 'weight';

/** WGSL of each part (`index` is the flat element; inputs are read by name, custom uniforms by `uniforms.*`). */
const PARTS: Record<Part, { inputs: string[]; uniforms: string; value: string }> = {
  // m' = m + (g - m)(1 - beta1), with g += 2·l2·x
  moment1: {
    inputs: ['m', 'g', 'x'],
    uniforms: 'k : f32, l2x2 : f32,',
    value: 'm[index] + (g[index] + uniforms.l2x2 * x[index] - m[index]) * uniforms.k',
  },
  // v' = v + (g² - v)(1 - beta2), same g
  moment2: {
    inputs: ['v', 'g', 'x'],
    uniforms: 'k : f32, l2x2 : f32,',
    value:
      'v[index] + ((g[index] + uniforms.l2x2 * x[index]) * (g[index] + uniforms.l2x2 * x[index]) - v[index])' +
      ' * uniforms.k',
  },
  // x' = x - c1·m' / (sqrt(c2·v') + epsilon)
  weight: {
    inputs: ['x', 'm', 'v'],
    uniforms: 'c1 : f32, c2 : f32, epsilon : f32,',
    value: 'x[index] - uniforms.c1 * m[index] / (sqrt(uniforms.c2 * v[index]) + uniforms.epsilon)',
  },
};

class AdamPartProgram implements WebGPUProgram {
  readonly variableNames: string[];
  readonly uniforms: string;
  readonly shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;

  constructor(
    private readonly part: Part,
    readonly outputShape: number[],
  ) {
    this.variableNames = PARTS[part].inputs;
    this.uniforms = PARTS[part].uniforms;
    this.shaderKey = `aelabAdam_${part}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, ${PARTS[this.part].value});
        }
      }`;
  }
}

const f32 = (value: number) => ({ type: 'float32', data: [value] });

const adamUpdateWebgpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WebGPUBackend;
  const { x, m, v, g } = inputs as Record<'x' | 'm' | 'v' | 'g', TensorInfo>;
  const { c1, c2, beta1, beta2, epsilon, l2 = 0 } = attrs as unknown as AdamUpdateAttrs;
  // Per-member rates are the wasm kernel's (PopulationAdam uses tfjs ops elsewhere).
  if (typeof c1 !== 'number')
    throw new Error(`${ADAM_KERNEL} on webgpu takes one learning rate (c1), got ${c1.length}`);
  const run = (part: Part, partInputs: TensorInfo[], uniforms: number[]) =>
    b.runWebGPUProgram(new AdamPartProgram(part, x.shape), partInputs, 'float32', uniforms.map(f32));
  const m2 = run('moment1', [m, g, x], [1 - beta1, 2 * l2]);
  const v2 = run('moment2', [v, g, x], [1 - beta2, 2 * l2]);
  const x2 = run('weight', [x, m2, v2], [c1, c2, epsilon]);
  return [x2, m2, v2];
};

let registered = false;

/** Register the fused Adam kernel for webgpu (idempotent). */
export function registerWebgpuAdamKernel(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel(ADAM_KERNEL, 'webgpu'))
    tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'webgpu', kernelFunc: adamUpdateWebgpu });
}
