/**
 * P models of one dense architecture as one batched graph: each weight is stacked into a
 * tensor [P, ...] (kernels [P, in, out], biases [P, 1, out]) and each layer is one batched
 * matMul, so a step runs the same kernels whatever P is. Member k computes exactly what its
 * own model computes in the single trainer (the same ops on its slice: the same fused
 * matMul and activation, its own rows, dropout masks, L2 penalty and learning rate);
 * summing the members' losses leaves each member's gradient its own.
 */
import { tf } from '../tf.js';
import { PopulationAdam } from '../adam.js';
import { addInOrder, reconstructionLoss, type ReconstructionLoss } from '../losses.js';
import type { ChainLayer } from '../builders/dense-chain.js';
import { dropoutMasks, type MemberDropout } from '../builders/dropout-masks.js';

/** The activations tfjs-layers' Dense fuses into its matMul (its mapActivationToFusedKernel). */
const FUSED = new Set(['relu', 'linear', 'elu']);

interface GraphLayer {
  units: number;
  /** The fused activation, or null when applied after the bias as tfjs-layers does. */
  fused: 'relu' | 'linear' | 'elu' | null;
  activation: tf.layers.Layer | null;
}

/** What each member brings: its model's dense chain and its learning rate. */
export interface GraphMember {
  chain: ChainLayer[];
  learningRate: number;
}

/** A fusable activation applied on its own, as tfjs' fused matMul does when it does not fuse. */
function applyFused(activation: NonNullable<GraphLayer['fused']>, x: tf.Tensor): tf.Tensor {
  return activation === 'relu' ? tf.relu(x) : activation === 'elu' ? tf.elu(x) : x;
}

function describeChain(chain: ChainLayer[]): string {
  return chain.map((l) => `${l.kernel.shape.join('x')} ${l.activation}`).join(', ');
}

export class PopulationGraph {
  private weights: tf.Tensor[];
  private best: tf.Tensor[] | null = null;
  private readonly optimizer: PopulationAdam;
  private readonly layers: GraphLayer[];
  /** Per layer: each member's L2 penalty as [P, 1, 1], or null when no member has one there. */
  private penalties: (tf.Tensor | null)[] = [];
  /** Training calls so far: the dropout layers' call count in the single trainer. */
  private calls = 0;

  constructor(
    private members: GraphMember[],
    private readonly loss: ReconstructionLoss,
  ) {
    const first = members[0].chain;
    const mismatch = members.find((m) => describeChain(m.chain) !== describeChain(first));
    if (mismatch)
      throw new Error(
        `population members must share an architecture: ${describeChain(first)} vs ${describeChain(mismatch.chain)}`,
      );
    this.layers = first.map((layer) => {
      const fused = FUSED.has(layer.activation) ? (layer.activation as GraphLayer['fused']) : null;
      return {
        units: layer.kernel.shape[1],
        fused,
        activation: fused ? null : tf.layers.activation({ activation: layer.activation as 'tanh' }),
      };
    });
    this.weights = first.flatMap((_, i) => [
      tf.stack(members.map((m) => m.chain[i].kernel)),
      tf.tidy(() => tf.stack(members.map((m) => m.chain[i].bias)).expandDims(1)),
    ]);
    this.optimizer = new PopulationAdam(
      this.weights,
      members.map((m) => m.learningRate),
    );
    this.rebuildPenalties();
  }

  get size(): number {
    return this.members.length;
  }

  private rebuildPenalties(): void {
    tf.dispose(this.penalties.filter((p): p is tf.Tensor => p !== null));
    this.penalties = this.layers.map((_, i) => {
      const l2 = this.members.map((m) => m.chain[i].l2);
      return l2.some((v) => v > 0) ? tf.tensor3d(l2, [l2.length, 1, 1]) : null;
    });
  }

  private forward(weights: readonly tf.Tensor[], x: tf.Tensor, masks: readonly (tf.Tensor | null)[] | null): tf.Tensor {
    // wasm's _FusedMatMul takes only a rank-1 bias: there the bias is added and the activation
    // applied after the product (what tfjs does itself for relu and elu while training).
    const fuseBias = tf.getBackend() !== 'wasm';
    let h = x;
    this.layers.forEach((layer, i) => {
      const [kernel, bias] = [weights[2 * i], weights[2 * i + 1]];
      const a = h as tf.Tensor3D;
      const b = kernel as tf.Tensor3D;
      if (layer.fused && fuseBias) h = tf.fused.matMul({ a, b, bias, activation: layer.fused });
      else if (layer.fused) h = applyFused(layer.fused, tf.add(tf.fused.matMul({ a, b }), bias));
      else h = layer.activation!.apply(tf.add(tf.fused.matMul({ a, b }), bias)) as tf.Tensor;
      const mask = masks?.[i];
      if (mask) h = tf.mul(h, mask);
    });
    return h;
  }

  /** Each member's loss plus its L2 penalties, as the single trainer's `totalLoss`: [P]. */
  private costs(weights: readonly tf.Tensor[], x: tf.Tensor, masks: readonly (tf.Tensor | null)[] | null): tf.Tensor1D {
    return this.lossTerms(weights, x, masks).total;
  }

  /** Each member's reconstruction loss, and its total with the L2 penalties: [P] each. */
  private lossTerms(
    weights: readonly tf.Tensor[],
    x: tf.Tensor,
    masks: readonly (tf.Tensor | null)[] | null,
  ): { reconstruction: tf.Tensor1D; total: tf.Tensor1D } {
    const output = this.forward(weights, x, masks);
    const reconstruction = reconstructionLoss<tf.Tensor1D>(this.loss, x, output, [1, 2]);
    const penalties = this.penalties.flatMap((l2, i) =>
      l2 ? [tf.sum(tf.mul(l2, tf.square(weights[2 * i])), [1, 2])] : [],
    );
    return {
      reconstruction,
      total:
        penalties.length === 0
          ? reconstruction
          : addInOrder<tf.Tensor1D>([reconstruction, ...(penalties as tf.Tensor1D[])]),
    };
  }

  private masksOf(rows: number): (tf.Tensor | null)[] {
    return this.layers.map((layer, i) => {
      const dropouts: MemberDropout[] = this.members.map((m) => m.chain[i].dropout);
      if (dropouts.every((d) => d === null)) return null;
      return tf.tensor3d(dropoutMasks(dropouts, rows, layer.units, this.calls), [dropouts.length, rows, layer.units]);
    });
  }

  /**
   * One training step on `rows` (member k's `batch` row indices at [k*batch, (k+1)*batch))
   * of `x`; returns each member's cost before the update, [P] (the caller disposes it).
   */
  step(x: tf.Tensor2D, rows: Int32Array, batch: number): tf.Tensor1D {
    this.calls += 1;
    const masks = this.masksOf(batch);
    const input = tf.tidy(() => tf.reshape(tf.gather(x, tf.tensor1d(rows, 'int32')), [this.size, batch, x.shape[1]]));
    let costs: tf.Tensor1D | undefined;
    const { grads, value } = tf.valueAndGrads((...weights: tf.Tensor[]) => {
      costs = tf.keep(this.costs(weights, input, masks));
      return tf.sum(costs);
    })(this.weights);
    const next = this.optimizer.apply(this.weights, grads);
    tf.dispose([...this.weights, ...grads, value, input, ...masks.filter((m): m is tf.Tensor => m !== null)]);
    this.weights = next;
    return costs!;
  }

  /**
   * Each member's loss with penalties, then without (the reconstruction error pruners read), on `x` ([1, rows,
   * features]) without dropout: [2, P].
   */
  evaluate(x: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const { total, reconstruction } = this.lossTerms(this.weights, x, null);
      return tf.stack([total, reconstruction]) as tf.Tensor2D;
    });
  }

  /** Copies the weights of the members flagged in `improved` as their best so far. */
  markBest(improved: readonly boolean[]): void {
    if (!improved.some(Boolean)) return;
    const previous = this.best;
    this.best = previous
      ? tf.tidy(() => {
          const cond = tf.tensor3d(improved.map(Number), [improved.length, 1, 1], 'bool');
          return this.weights.map((w, i) => tf.where(cond, w, previous[i]));
        })
      : this.weights.map((w) => w.clone());
    tf.dispose(previous ?? []);
  }

  /**
   * The values of the member at `position`'s weights, in its model's order (kernel, bias,
   * ...), from the best copy when asked. Read to the host: a slice of a stacked tensor would
   * share data still registered under the stacked shape, which wasm's fused matMul reads for
   * its bias, so the member's model gets tensors made from these values instead.
   */
  async memberValues(position: number, fromBest: boolean): Promise<Float32Array[]> {
    const source = fromBest && this.best ? this.best : this.weights;
    const slices = source.map((w) => tf.slice(w, [position, 0, 0], [1, -1, -1]));
    try {
      return (await Promise.all(slices.map((t) => t.data()))) as Float32Array[];
    } finally {
      tf.dispose(slices);
    }
  }

  /** Keeps only the members at `positions` (in that order); the others stop updating and leave. */
  keep(positions: readonly number[]): void {
    const index = tf.tensor1d(positions as number[], 'int32');
    const gather = (tensors: tf.Tensor[]) => {
      const kept = tensors.map((t) => tf.gather(t, index));
      tf.dispose(tensors);
      return kept;
    };
    this.weights = gather(this.weights);
    if (this.best) this.best = gather(this.best);
    index.dispose();
    this.optimizer.keep(positions);
    this.members = positions.map((p) => this.members[p]);
    this.rebuildPenalties();
  }

  dispose(): void {
    tf.dispose([...this.weights, ...(this.best ?? []), ...this.penalties.filter((p): p is tf.Tensor => p !== null)]);
    this.optimizer.dispose();
  }
}
