/**
 * One two-part run over two workers (data-parallel): each worker holds the same model (same seed,
 * same initial weights) and walks the same epochs (same shuffles, same dropout seeds); at every
 * step worker 0 computes part 0 of the batch and worker 1 part 1 (steps.ts's `computePart`, the
 * very code a single thread runs for both parts), the parts meet in a SharedArrayBuffer behind an
 * Atomics barrier, and both workers apply the same sum a + b. So their weights stay identical to
 * the bit, and equal those of the run's two parts computed one after the other on one thread:
 * where a run trains changes its speed, never a number (see steps.ts).
 *
 * Buffer layout: a 64-byte header (Int32 [0] barrier count, [1] cancel flag), then per step parity
 * (double buffering: a worker may write step s + 1 while the other still reads step s) and per
 * part, 4 float64 scalars (cross-entropy sum, correct, penalty, unused) and the gradients as float32.
 */
import { variablesOf } from "../engine/network";
import type { ModelSpec } from "../models";
import { applyParts, combineParts, computePart, drawPartSeeds, type StepFn } from "./steps";

export interface SplitConfig {
  /** Which part of every batch this worker computes. */
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

  return (layers, batch, optimizer, nextSeed) => {
    step += 1;
    const parity = step % 2;
    // Both workers draw both parts' dropout seeds, as one thread does: their streams stay in step.
    const seeds = drawPartSeeds(layers, nextSeed);
    computePart(layers, batch, part, seeds[part], labels, spec, { grads: grads(parity, part), scalars: scalars(parity, part) });
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
    barrier(2 * step);
    // Both apply the same a + b: identical weights, and those of one thread's two-part step.
    applyParts(optimizer, variablesOf(layers), grads(parity, 0), grads(parity, 1));
    return combineParts(scalars(parity, 0), scalars(parity, 1), batch.end - batch.start);
  };
}
