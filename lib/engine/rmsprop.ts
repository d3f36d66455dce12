/**
 * RMSprop as Keras defines it, in one pass per variable:
 *   ms ← rho · ms + (1 − rho) · g²        w ← w − lr · g / sqrt(ms + epsilon)
 * (epsilon inside the square root, as Keras/TensorFlow/tfjs; momentum 0, not centered.)
 *
 * Why not `tf.train.rmsprop`: it runs ~10 element-wise kernels per variable, each allocating a
 * tensor of the variable's size. The first IMDB kernel is 10,000 × units and is fully updated every
 * step (as in Keras: its mean squares decay even where the gradient is 0), so that costs 7 ms per
 * step for 16 units and 85 ms for 512 on wasm, more than the whole forward and backward pass. One
 * JavaScript loop over the backend's own memory does it in a fraction of that, and keeps the mean
 * squares out of the tensor count (they are plain Float32Arrays).
 *
 * The new weights go into a FRESH buffer that the variable is then assigned, never into the old one:
 * the wasm backend (XNNPACK) caches a packed copy of a matMul's weight operand keyed by its buffer,
 * so writing weights in place would leave later matMuls using stale weights.
 *
 * Runs on the wasm and cpu backends (whose tensor data JavaScript can reach); on any other backend
 * (native TensorFlow) the same update runs as tensor ops (TensorRmsprop), its state as readable.
 */
import * as tf from "@tensorflow/tfjs";
import { heapView, tensorFilled } from "./wasmHeap";

export interface RmspropSettings {
  learningRate: number;
  rho: number;
  epsilon: number;
}

/** Something that applies gradients to variables and is disposed at the end of a run. */
export interface WeightUpdater {
  apply(variables: tf.Variable[], grads: tf.Tensor[]): void;
  /**
   * What the next update depends on besides the weights and gradients (RMSprop's mean squares), one
   * copy per variable in `variables` order, so that a run can be trained longer later exactly as if
   * it had never stopped; undefined where it cannot be read (tfjs's own optimizer).
   */
  state?(variables: tf.Variable[]): Float32Array[];
  /** Starts from a `state` taken from the same variables. */
  restore?(variables: tf.Variable[], state: Float32Array[]): void;
  dispose(): void;
}

/**
 * Calls `update(out, old)` with a fresh float32 buffer `out` of v's size and v's current values
 * `old` (read-only), then makes `out` the variable's value. On wasm `out` is allocated on the heap
 * (no copy); elsewhere it is a JavaScript array uploaded as a tensor.
 */
function replaceValues(
  v: tf.Variable,
  update: (out: Float32Array, old: Float32Array) => void,
  views: (t: tf.Tensor) => Float32Array,
): void {
  // `views` after the allocation: growing the wasm heap detaches views taken before.
  const next = tensorFilled(v.shape.slice(), "float32", (out) => update(out, views(v)));
  v.assign(next);
  next.dispose();
}

/** The update loop, top level and monomorphic so V8 compiles one tight loop for every variable. */
function rmspropLoop(
  out: Float32Array,
  w: Float32Array,
  g: Float32Array,
  ms: Float32Array,
  lr: number,
  rho: number,
  epsilon: number,
): void {
  const decay = 1 - rho;
  const n = out.length;
  for (let k = 0; k < n; k++) {
    const gk = g[k];
    const m = rho * ms[k] + decay * gk * gk;
    ms[k] = m;
    out[k] = w[k] - (lr * gk) / Math.sqrt(m + epsilon);
  }
}

/** rmspropLoop with g = fround(a[from + k] + b[from + k]): two parts of a gradient summed as float32 while updating. */
function rmspropSumLoop(
  out: Float32Array,
  w: Float32Array,
  a: Float32Array,
  b: Float32Array,
  from: number,
  ms: Float32Array,
  lr: number,
  rho: number,
  epsilon: number,
): void {
  const decay = 1 - rho;
  const n = out.length;
  for (let k = 0; k < n; k++) {
    const gk = Math.fround(a[from + k] + b[from + k]);
    const m = rho * ms[k] + decay * gk * gk;
    ms[k] = m;
    out[k] = w[k] - (lr * gk) / Math.sqrt(m + epsilon);
  }
}

/**
 * An updater that takes the gradient as the sum of two flat parts (all variables' values
 * concatenated in order), e.g. from two workers, without making tensors of it.
 */
export interface SumUpdater extends WeightUpdater {
  applySum(variables: tf.Variable[], a: Float32Array, b: Float32Array): void;
  /**
   * applySum shared between two threads that hold the same variables: this one computes the new
   * values of the flat range [from, to) only (the same arithmetic, element by element) into
   * `shared` (all variables' values, flat), calls `meet` (returns once the other thread has
   * written its range), then makes `shared` every variable's value. Each thread keeps the mean
   * squares of its own range only.
   */
  applySumShared(
    variables: tf.Variable[],
    a: Float32Array,
    b: Float32Array,
    from: number,
    to: number,
    shared: Float32Array,
    meet: () => void,
  ): void;
}

export function canApplySum(u: WeightUpdater): u is SumUpdater {
  return typeof (u as Partial<SumUpdater>).applySum === "function";
}

class JsRmsprop implements SumUpdater {
  private readonly meanSquares = new Map<number, Float32Array>();
  constructor(private readonly s: RmspropSettings) {}

  apply(variables: tf.Variable[], grads: tf.Tensor[]): void {
    const { learningRate, rho, epsilon } = this.s;
    variables.forEach((v, i) => {
      let ms = this.meanSquares.get(v.id);
      if (!ms) this.meanSquares.set(v.id, (ms = new Float32Array(v.size)));
      const meanSquare = ms;
      replaceValues(
        v,
        (out, w) => rmspropLoop(out, w, heapView(grads[i]), meanSquare, learningRate, rho, epsilon),
        heapView,
      );
    });
  }

  applySum(variables: tf.Variable[], a: Float32Array, b: Float32Array): void {
    const { learningRate, rho, epsilon } = this.s;
    let from = 0;
    for (const v of variables) {
      let ms = this.meanSquares.get(v.id);
      if (!ms) this.meanSquares.set(v.id, (ms = new Float32Array(v.size)));
      const meanSquare = ms;
      const start = from;
      replaceValues(
        v,
        (out, w) => rmspropSumLoop(out, w, a, b, start, meanSquare, learningRate, rho, epsilon),
        heapView,
      );
      from += v.size;
    }
  }

  applySumShared(
    variables: tf.Variable[],
    a: Float32Array,
    b: Float32Array,
    from: number,
    to: number,
    shared: Float32Array,
    meet: () => void,
  ): void {
    const { learningRate, rho, epsilon } = this.s;
    let offset = 0;
    for (const v of variables) {
      const lo = Math.max(from, offset);
      const hi = Math.min(to, offset + v.size);
      if (lo < hi) {
        const ms = this.meanSquares.get(v.id) ?? new Float32Array(v.size);
        this.meanSquares.set(v.id, ms);
        const [i, j] = [lo - offset, hi - offset];
        // No allocation between the view and the loop: the wasm heap cannot move under it.
        rmspropSumLoop(
          shared.subarray(lo, hi),
          heapView(v).subarray(i, j),
          a,
          b,
          lo,
          ms.subarray(i, j),
          learningRate,
          rho,
          epsilon,
        );
      }
      offset += v.size;
    }
    meet();
    offset = 0;
    for (const v of variables) {
      const start = offset;
      replaceValues(v, (out) => out.set(shared.subarray(start, start + v.size)), heapView);
      offset += v.size;
    }
  }

  state(variables: tf.Variable[]): Float32Array[] {
    return variables.map((v) => Float32Array.from(this.meanSquares.get(v.id) ?? new Float32Array(v.size)));
  }

  restore(variables: tf.Variable[], state: Float32Array[]): void {
    checkState(variables, state);
    variables.forEach((v, i) => this.meanSquares.set(v.id, Float32Array.from(state[i])));
  }

  dispose(): void {
    this.meanSquares.clear();
  }
}

/**
 * The same update in tensor ops, for backends whose memory JavaScript cannot reach (native
 * TensorFlow): six element-wise ops per variable, the mean squares kept as tensors. Unlike
 * `tf.train.rmsprop` (which also keeps a momentum tensor per variable, unused at momentum 0) its
 * state can be read and restored, so a run trained on it can be stored and continued.
 */
class TensorRmsprop implements WeightUpdater {
  private readonly meanSquares = new Map<number, tf.Tensor>();
  constructor(private readonly s: RmspropSettings) {}

  apply(variables: tf.Variable[], grads: tf.Tensor[]): void {
    const { learningRate, rho, epsilon } = this.s;
    variables.forEach((v, i) => {
      const g = grads[i];
      const old = this.meanSquares.get(v.id);
      const ms = tf.tidy(() => {
        const next = old ? tf.add(tf.mul(old, rho), tf.mul(tf.square(g), 1 - rho)) : tf.mul(tf.square(g), 1 - rho);
        v.assign(tf.sub(v, tf.div(tf.mul(g, learningRate), tf.sqrt(tf.add(next, epsilon)))));
        return next;
      });
      old?.dispose();
      this.meanSquares.set(v.id, ms);
    });
  }

  state(variables: tf.Variable[]): Float32Array[] {
    return variables.map((v) => {
      const ms = this.meanSquares.get(v.id);
      return ms ? Float32Array.from(ms.dataSync() as Float32Array) : new Float32Array(v.size);
    });
  }

  restore(variables: tf.Variable[], state: Float32Array[]): void {
    checkState(variables, state);
    variables.forEach((v, i) => {
      this.meanSquares.get(v.id)?.dispose();
      this.meanSquares.set(v.id, tf.tensor(state[i], v.shape, "float32"));
    });
  }

  dispose(): void {
    for (const ms of this.meanSquares.values()) ms.dispose();
    this.meanSquares.clear();
  }
}

function checkState(variables: tf.Variable[], state: Float32Array[]): void {
  if (state.length !== variables.length || state.some((ms, i) => ms.length !== variables[i].size)) {
    throw new Error(
      `rmsprop: a state of ${state.length} arrays (${state.map((ms) => ms.length).join(", ")} values) does not fit ${variables.length} variables of ${variables.map((v) => v.size).join(", ")}.`,
    );
  }
}

/**
 * RMSprop for the active backend: the one-pass JavaScript update on wasm and cpu, the tensor-op
 * update elsewhere (native TensorFlow) or when `fused: false` (e.g. to compare the two). Both keep
 * a state that can be stored and restored.
 */
export function createRmsprop(settings: RmspropSettings, options: { fused?: boolean } = {}): WeightUpdater {
  const reachable = tf.getBackend() === "wasm" || tf.getBackend() === "cpu";
  return (options.fused ?? true) && reachable ? new JsRmsprop(settings) : new TensorRmsprop(settings);
}
