/**
 * One optimizer step on one batch, in the run's one canonical form:
 * - one part: the whole batch's gradients (network.ts's `partGradients`), applied as they are;
 * - two parts: the gradients of the batch's first rows (start..mid, weighted by their share of the
 *   rows, carrying the L1/L2 penalty) and of the rest (mid..end, weighted by their share), computed
 *   one after the other, summed elementwise as float32 and applied (RMSprop's `applySum`).
 *
 * How many parts a run has is fixed by the run itself (`gradientParts`: its size and input), never
 * by where it trains. So a two-part run gives the same numbers to the last bit whether both parts
 * are computed on one thread (`twoPartStep`, here) or on two workers at once (dataParallel.ts):
 * each part is the same code on the same inputs with the same dropout seeds, and a + b is
 * commutative in IEEE float32. Splitting a run over the pool's two workers is then a pure
 * placement choice, and a curve never depends on how busy the machine was.
 */
import * as tf from "@tensorflow/tfjs";
import { BatchMaker, disposeInputBatch } from "../engine/batches";
import { DenseParams, partGradients, uploadLabels, variablesOf } from "../engine/network";
import { canApplySum, WeightUpdater } from "../engine/rmsprop";
import { heapView } from "../engine/wasmHeap";
import type { ModelSpec } from "../lesson/models";
import type { Features } from "../types";

/** What a step reports: the batch's loss as Keras reports it (with the penalty), plain cross-entropy, correct count. */
export interface StepResult {
  loss: number;
  crossentropy: number;
  correct: number;
}

/** The rows of one batch: order[start], …, order[end - 1] of the training rows. */
export interface BatchRows {
  maker: BatchMaker;
  start: number;
  end: number;
  order: Int32Array;
}

/**
 * Computes the gradients of a batch and applies them (updating `layers`' variables in place):
 * `localStep` on one thread, or one worker's share of a step over two workers (dataParallel.ts).
 */
export type StepFn = (
  layers: DenseParams[],
  batch: BatchRows,
  optimizer: WeightUpdater,
  nextSeed: () => number,
) => StepResult;

/**
 * The work (trainable weights × training rows per epoch) from which a dense-input run takes its
 * steps in two parts: mnist.large (118,282 weights × 48,000 rows = 5.7e9) does, mnist.small
 * (7,850 × 48,000 = 3.8e8) does not. Below it a step lasts a few milliseconds and two workers
 * would mostly wait for each other at every step, so the run keeps one part (and the numbers it
 * had before parts existed). Multi-hot (IMDB) runs keep one part at any size: their first layer
 * costs only the non-zeros (≈ 130 per review) while the gradient the two workers exchange is the
 * full 10,000 × units kernel; measured imdb.larger split 12.3 s/epoch against 6.1 whole (load 5.5–9).
 */
export const TWO_PART_WORK = 4e9;

/** How many parts each step of a run has (see TWO_PART_WORK): 2 for a big dense-input run, else 1. */
export function gradientParts(weights: number, trainRows: number, input: Features["kind"]): 1 | 2 {
  return input === "dense" && weights * trainRows >= TWO_PART_WORK ? 2 : 1;
}

/** The rows [from, to) of `part` of a batch: part 0 the first ceil(rows / 2), part 1 the rest. */
export function partRows(start: number, end: number, part: 0 | 1): [number, number] {
  const mid = start + Math.ceil((end - start) / 2);
  return part === 0 ? [start, mid] : [mid, end];
}

/** Dropout masks drawn by a forward pass: one per hidden layer with a rate (network.ts's forwardLogits). */
function masksPerPass(layers: DenseParams[]): number {
  return layers.slice(0, -1).filter((l) => l.dropout > 0).length;
}

/**
 * The dropout seeds of both parts of a step, drawn from the run's stream in a fixed order (part
 * 0's masks, then part 1's), by every thread that computes either part: the stream stays the same
 * on one thread and on two workers, and each part gets its own masks.
 */
export function drawPartSeeds(layers: DenseParams[], nextSeed: () => number): [number[], number[]] {
  const n = masksPerPass(layers);
  const seeds: [number[], number[]] = [[], []];
  for (const part of seeds) for (let i = 0; i < n; i++) part.push(nextSeed());
  return seeds;
}

/** Where a part's results go: its gradients (all variables flat, `variablesOf` order) and [Σ cross-entropy, correct, penalty]. */
export interface PartOut {
  grads: Float32Array;
  scalars: Float64Array;
}

/** Computes one part of a two-part step into `out` (zeros for an empty part, a batch of one row). */
export function computePart(
  layers: DenseParams[],
  batch: BatchRows,
  part: 0 | 1,
  seeds: number[],
  labels: Float32Array,
  spec: ModelSpec,
  out: PartOut,
): void {
  const { maker, start, end, order } = batch;
  const [from, to] = partRows(start, end, part);
  if (to <= from) {
    out.grads.fill(0);
    out.scalars.fill(0);
    return;
  }
  const input = maker.make(from, to, order);
  const target = uploadLabels(labels, spec.loss, spec.output.units, from, to, order);
  let drawn = 0;
  const nextSeed = (): number => {
    if (drawn >= seeds.length)
      throw new Error(
        `train: a forward pass asked for dropout mask ${drawn + 1} of ${seeds.length} drawn for it (a bug in steps.ts's masksPerPass)`,
      );
    return seeds[drawn++];
  };
  try {
    const r = partGradients(layers, input, target, spec.loss, nextSeed, {
      weight: (to - from) / (end - start),
      penalty: part === 0,
    });
    let offset = 0;
    for (const g of r.grads) {
      out.grads.set(heapView(g), offset);
      offset += g.size;
    }
    tf.dispose(r.grads);
    out.scalars[0] = r.crossentropy * (to - from);
    out.scalars[1] = r.correct;
    out.scalars[2] = r.penalty;
  } finally {
    disposeInputBatch(input);
    target.target.dispose();
  }
}

/** Applies the gradient a + b (two parts, flat) to the variables: inside RMSprop's update loop when it can, else summed first. */
export function applyParts(optimizer: WeightUpdater, variables: tf.Variable[], a: Float32Array, b: Float32Array): void {
  if (canApplySum(optimizer)) {
    optimizer.applySum(variables, a, b); // summed inside the update loop: no extra pass, no upload
    return;
  }
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

/** The step's result from its two parts' scalars (part 0 carries the penalty). */
export function combineParts(s0: Float64Array, s1: Float64Array, rows: number): StepResult {
  const crossentropy = (s0[0] + s1[0]) / rows;
  return { loss: crossentropy + s0[2], crossentropy, correct: s0[1] + s1[1] };
}

/** The flat size of the trainable variables (the floats of one part's gradients). */
export function weightCount(layers: DenseParams[]): number {
  return variablesOf(layers).reduce((n, v) => n + v.size, 0);
}

/** A one-part step: the whole batch's gradients applied as they are. */
export function onePartStep(labels: Float32Array, spec: ModelSpec): StepFn {
  return (layers, { maker, start, end, order }, optimizer, nextSeed) => {
    const input = maker.make(start, end, order);
    const target = uploadLabels(labels, spec.loss, spec.output.units, start, end, order);
    try {
      const r = partGradients(layers, input, target, spec.loss, nextSeed, { weight: 1, penalty: true });
      optimizer.apply(variablesOf(layers), r.grads);
      tf.dispose(r.grads);
      return { loss: r.objective, crossentropy: r.crossentropy, correct: r.correct };
    } finally {
      disposeInputBatch(input);
      target.target.dispose();
    }
  };
}

/** A two-part step with both parts computed here, one after the other (the same numbers as over two workers). */
export function twoPartStep(labels: Float32Array, spec: ModelSpec): StepFn {
  let parts: [PartOut, PartOut] | undefined;
  return (layers, batch, optimizer, nextSeed) => {
    if (!parts) {
      const n = weightCount(layers);
      parts = [
        { grads: new Float32Array(n), scalars: new Float64Array(3) },
        { grads: new Float32Array(n), scalars: new Float64Array(3) },
      ];
    }
    const seeds = drawPartSeeds(layers, nextSeed);
    computePart(layers, batch, 0, seeds[0], labels, spec, parts[0]);
    computePart(layers, batch, 1, seeds[1], labels, spec, parts[1]);
    applyParts(optimizer, variablesOf(layers), parts[0].grads, parts[1].grads);
    return combineParts(parts[0].scalars, parts[1].scalars, batch.end - batch.start);
  };
}

/** The step of a run of `parts` parts on this thread. */
export function localStep(labels: Float32Array, spec: ModelSpec, parts: 1 | 2): StepFn {
  return parts === 2 ? twoPartStep(labels, spec) : onePartStep(labels, spec);
}
