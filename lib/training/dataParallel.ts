/**
 * One two-part run over two workers (data-parallel): each worker holds the same model (same seed,
 * same initial weights) and walks the same epochs (same shuffles, same dropout seeds); at every
 * step worker 0 computes part 0 of the batch and worker 1 part 1 (steps.ts's `computePart`, the
 * very code a single thread runs for both parts), the parts meet in a SharedArrayBuffer behind an
 * Atomics barrier; then each worker computes the RMSprop update of a + b for its half of the
 * weights (element by element the arithmetic of one thread's update), they meet again, and both
 * take all the new weights from the buffer. So their weights stay identical to the bit, and equal
 * those of the run's two parts computed one after the other on one thread: where a run trains
 * changes its speed, never a number (see steps.ts). (The update is shared because it is not
 * small: 0.5–0.8 ms per step for mnist.large's 118,282 weights, measured, against a step of 4 ms.)
 *
 * What it gains, measured on this 2-core machine at load 0.4–2 (one sitting, 20 epochs, shared by
 * other agents): mnist.large 1.24–1.83 s/epoch over two workers (median 1.49 of 5) against
 * 1.75–1.88 with both parts on one worker and 1.90 as one part; PyTorch 1.13 on 2 threads
 * 1.76–1.95. Less than 2×: a part of 64 rows is small enough for tfjs's per-kernel dispatch to
 * weigh, and every step waits for the slower worker.
 *
 * The validation chunks are shared too: worker k evaluates chunks k, k + 2, …, and both read every
 * chunk's sums from the buffer and add them in chunk order, as one thread would.
 *
 * Buffer layout: a 64-byte header (Int32 [0] barrier count, [1] cancel flag), then per step parity
 * (double buffering: a worker may write step s + 1 while the other still reads step s) and per
 * part, 4 float64 scalars (cross-entropy sum, correct, penalty, unused) and the gradients as
 * float32; then 3 float64 per validation chunk (rows, cross-entropy sum, correct); then the new
 * weights as float32. The validation sums and new weights need no second copy: a worker writes
 * them again only after the next barrier, which the other passes only after it has read them.
 */
import { variablesOf, type EvalSums } from "../engine/network";
import { canApplySum } from "../engine/rmsprop";
import type { ModelSpec } from "../lesson/models";
import type { LoopPlacement } from "./loop";
import { applyParts, combineParts, computePart, drawPartSeeds } from "./steps";

export interface SplitConfig {
  /** Which part of every batch this worker computes. */
  part: 0 | 1;
  /** Shared by both workers; made by `splitBuffer`. */
  buffer: SharedArrayBuffer;
  /** Weights in the model (the gradient floats per part). */
  weights: number;
  /** Validation chunks per evaluation (loop.ts's validationChunkCount). */
  chunks: number;
}

const HEADER = 64;
const SCALARS = 4;

/** The shared buffer of a split run of a model with `weights` trainable values and `chunks` validation chunks. */
export function splitBuffer(weights: number, chunks: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + 2 * 2 * SCALARS * 8 + 2 * 2 * weights * 4 + chunks * 3 * 8 + weights * 4);
}

/** Asks both workers of a split run to stop at their next barrier (they throw). */
export function cancelSplit(buffer: SharedArrayBuffer): void {
  const ctrl = new Int32Array(buffer, 0, 2);
  Atomics.store(ctrl, 1, 1);
  Atomics.notify(ctrl, 0);
}

/** How one worker of a split run takes its steps and evaluates its validation chunks. */
export function splitPlacement(config: SplitConfig, labels: Float32Array, spec: ModelSpec): LoopPlacement {
  const { part, buffer, weights, chunks } = config;
  const ctrl = new Int32Array(buffer, 0, 2);
  const scalars = (parity: number, p: number): Float64Array =>
    new Float64Array(buffer, HEADER + (parity * 2 + p) * SCALARS * 8, SCALARS);
  const gradOffset = HEADER + 2 * 2 * SCALARS * 8;
  const grads = (parity: number, p: number): Float32Array =>
    new Float32Array(buffer, gradOffset + (parity * 2 + p) * weights * 4, weights);
  const validation = new Float64Array(buffer, gradOffset + 2 * 2 * weights * 4, chunks * 3);
  const updated = new Float32Array(buffer, gradOffset + 2 * 2 * weights * 4 + chunks * 3 * 8, weights);
  // This worker's half of the weight update.
  const half = Math.ceil(weights / 2);
  const [from, to] = part === 0 ? [0, half] : [half, weights];
  let step = 0;
  let meetings = 0;

  /** Waits until both workers have arrived here (the n-th meeting of their run: steps and validations). */
  const meet = (): void => {
    meetings += 1;
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
    for (;;) {
      if (Atomics.load(ctrl, 1) !== 0) throw new Error("split run cancelled");
      const seen = Atomics.load(ctrl, 0);
      if (seen >= 2 * meetings) return;
      // Timed, so a cancel flag set without a notify is still seen.
      Atomics.wait(ctrl, 0, seen, 1000);
    }
  };

  return {
    step(layers, batch, optimizer, nextSeed) {
      step += 1;
      const parity = step % 2;
      // Both workers draw both parts' dropout seeds, as one thread does: their streams stay in step.
      const seeds = drawPartSeeds(layers, nextSeed);
      computePart(layers, batch, part, seeds[part], labels, spec, {
        grads: grads(parity, part),
        scalars: scalars(parity, part),
      });
      meet();
      // The same a + b and the same update as one thread's two-part step, each worker computing half.
      const variables = variablesOf(layers);
      if (canApplySum(optimizer))
        optimizer.applySumShared(variables, grads(parity, 0), grads(parity, 1), from, to, updated, meet);
      else applyParts(optimizer, variables, grads(parity, 0), grads(parity, 1));
      return combineParts(scalars(parity, 0), scalars(parity, 1), batch.end - batch.start);
    },
    optimizerState(own) {
      // Each worker updated the mean squares of its half only: each writes its half into the
      // buffer's weight area (free once the last step's weights were taken), then both read all.
      let offset = 0;
      for (const ms of own) {
        const lo = Math.max(from, offset);
        const hi = Math.min(to, offset + ms.length);
        if (lo < hi) updated.set(ms.subarray(lo - offset, hi - offset), lo);
        offset += ms.length;
      }
      meet();
      offset = 0;
      const whole = own.map((ms) => updated.slice(offset, (offset += ms.length)));
      meet(); // neither may write the area again before both have read it
      return whole;
    },
    validate(count, evaluate) {
      if (count !== chunks)
        throw new Error(
          `train: a split run evaluates ${count} validation chunks where its buffer holds ${chunks} (a bug in pool.ts)`,
        );
      for (let i = part; i < count; i += 2) {
        const r = evaluate(i);
        validation.set([r.rows, r.crossentropySum, r.correct], 3 * i);
      }
      meet();
      const sums: EvalSums[] = [];
      for (let i = 0; i < count; i++)
        sums.push({ rows: validation[3 * i], crossentropySum: validation[3 * i + 1], correct: validation[3 * i + 2] });
      return sums;
    },
  };
}
