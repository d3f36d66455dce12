/**
 * One run over two workers (data-parallel): each worker holds the same model (same seed, same
 * initial weights) and walks the same epochs (same shuffles); for every batch, worker 0 computes
 * the gradients of the first half of the rows and worker 1 those of the second half, each part's
 * mean cross-entropy weighted by its share of the rows (and the L1/L2 penalty counted once, by
 * worker 0), so the two summed are the whole batch's gradients. The parts meet in a
 * SharedArrayBuffer behind an Atomics barrier; both add them in the same order (part 0 + part 1)
 * and apply the same RMSprop update, so their weights stay identical to the bit, and equal one
 * worker's training up to float rounding (the sums are split differently).
 *
 * Not for dropout: the two halves would draw other masks than one worker does over the whole
 * batch, so the curve would differ beyond rounding; `shouldSplit` leaves such runs whole.
 *
 * Buffer layout: a 64-byte header (Int32 [0] barrier count, [1] cancel flag), then per step parity
 * (double buffering: a worker may write step s + 1 while the other still reads step s) and per
 * part, 4 float64 scalars (cross-entropy sum, correct, penalty) and the gradients as float32.
 */
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { disposeInputBatch } from "../engine/batches";
import { partGradients, uploadLabels, variablesOf } from "../engine/network";
import type { ModelSpec } from "../models";
import { canApplySum } from "../engine/rmsprop";
import type { StepFn } from "./loop";

export interface SplitConfig {
  /** Which half of every batch this worker computes. */
  part: 0 | 1;
  /** Shared by both workers; made by `splitBuffer`. */
  buffer: SharedArrayBuffer;
  /** Weights in the model (the gradient floats per part). */
  weights: number;
}

const HEADER = 64;
const SCALARS = 4;

/** The shared buffer of a split run of a model with `weights` trainable values. */
export function splitBuffer(weights: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + 2 * 2 * SCALARS * 8 + 2 * 2 * weights * 4);
}

/** Asks both workers of a split run to stop at their next barrier (they throw). */
export function cancelSplit(buffer: SharedArrayBuffer): void {
  const ctrl = new Int32Array(buffer, 0, 2);
  Atomics.store(ctrl, 1, 1);
  Atomics.notify(ctrl, 0);
}

/**
 * Whether "auto" splits a run over two workers. All of:
 * - no dropout (see above);
 * - big: at least 4e9 weights × training rows per epoch (mnist.large: 118 k × 48,000), not the
 *   small runs whose steps last a few milliseconds;
 * - dense input: a multi-hot run's first layer costs only its non-zeros (≈ 130 per IMDB review)
 *   while the gradient to exchange is the full kernel, so imdb.larger exchanges 5.4 M floats per
 *   step for little halved work; measured split 35 s/epoch against 8.5 s whole (load 17 on 2
 *   cores), 12.3 against 6.1 (load 5.5–9); mnist.large 8.2 against 6.4 (load 17), 7.9 against
 *   5.2 (load 5.5–9);
 * - an idle core: both halves must run at the same time (every step waits for the slower one), so
 *   on a machine whose 1-minute load average leaves less than one core free the split only waits.
 *   The measurements above were taken on such a machine (7 agents sharing 2 cores).
 * Only with `split: "auto"` (TrainOptions.split; the default is false until a measurement on an
 * idle machine shows a gain); `split: true` forces it (tests, benchmarks).
 */
export function shouldSplit(spec: ModelSpec, weights: number, trainRows: number, input: "dense" | "multihot"): boolean {
  if (spec.hidden.some((l) => (l.dropout ?? 0) > 0)) return false;
  if (input !== "dense" || weights * trainRows < 4e9) return false;
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return os.loadavg()[0] <= cores - 1;
}

/** A tensor's float32 values: a view of the wasm heap (no copy), else dataSync. Read before the next allocation. */
function heapView(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { typedArrayFromHeap?: (t: tf.Tensor) => Float32Array };
  return tf.getBackend() === "wasm" && backend.typedArrayFromHeap ? backend.typedArrayFromHeap(t) : (t.dataSync() as Float32Array);
}

/** The step function of one worker of a split run. */
export function splitStep(config: SplitConfig, labels: Float32Array, spec: ModelSpec): StepFn {
  const { part, buffer, weights } = config;
  const ctrl = new Int32Array(buffer, 0, 2);
  const scalars = (parity: number, p: number): Float64Array => new Float64Array(buffer, HEADER + (parity * 2 + p) * SCALARS * 8, SCALARS);
  const gradOffset = HEADER + 2 * 2 * SCALARS * 8;
  const grads = (parity: number, p: number): Float32Array => new Float32Array(buffer, gradOffset + (parity * 2 + p) * weights * 4, weights);
  let step = 0;

  const barrier = (target: number): void => {
    for (;;) {
      if (Atomics.load(ctrl, 1) !== 0) throw new Error("split run cancelled");
      const seen = Atomics.load(ctrl, 0);
      if (seen >= target) return;
      // Timed, so a cancel flag set without a notify is still seen.
      Atomics.wait(ctrl, 0, seen, 1000);
    }
  };

  return (layers, { maker, start, end, order }, optimizer, nextSeed) => {
    step += 1;
    const parity = step % 2;
    const rows = end - start;
    const mid = start + Math.ceil(rows / 2);
    const [from, to] = part === 0 ? [start, mid] : [mid, end];
    const mine = grads(parity, part);
    const myScalars = scalars(parity, part);
    const variables = variablesOf(layers);
    if (to > from) {
      const input = maker.make(from, to, order);
      const target = uploadLabels(labels, spec.loss, spec.output.units, from, to, order);
      try {
        const r = partGradients(layers, input, target, spec.loss, nextSeed, (to - from) / rows, part === 0 ? 1 : 0);
        let offset = 0;
        for (const g of r.grads) {
          mine.set(heapView(g), offset);
          offset += g.size;
        }
        tf.dispose(r.grads);
        myScalars.set([r.crossentropySum, r.correct, r.penalty]);
      } finally {
        disposeInputBatch(input);
        target.target.dispose();
      }
    } else {
      mine.fill(0);
      myScalars.set([0, 0, 0]);
    }
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
    barrier(2 * step);

    // Both workers add the parts in the same order: identical sums, identical updates.
    const a = grads(parity, 0);
    const b = grads(parity, 1);
    if (canApplySum(optimizer)) {
      optimizer.applySum(variables, a, b); // summed inside the update loop: no extra pass, no upload
    } else {
      const summed: tf.Tensor[] = [];
      let offset = 0;
      for (const v of variables) {
        const g = new Float32Array(v.size);
        for (let k = 0; k < g.length; k++) g[k] = a[offset + k] + b[offset + k];
        offset += v.size;
        summed.push(tf.tensor(g, v.shape));
      }
      optimizer.apply(variables, summed);
      tf.dispose(summed);
    }
    const s0 = scalars(parity, 0);
    const s1 = scalars(parity, 1);
    const crossentropy = (s0[0] + s1[0]) / rows;
    return { loss: crossentropy + s0[2], crossentropy, correct: s0[1] + s1[1] };
  };
}
