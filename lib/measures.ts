/**
 * The few numbers the learner's exercises, sweeps and closing summary read off a run, defined once
 * and simply (no thresholds, no verdict): the minimum of the plain validation cross-entropy and its
 * epoch, the last epoch's value and how far it ends above the minimum, the final training
 * cross-entropy, the best validation accuracy. Pure functions of plain histories: no I/O, no tensors.
 * (The graded verdict is `diagnose`'s job; these stay the same whatever rules it uses.)
 */
import { isSeedGroup } from "./seeds";
import type { History, RunLike } from "./types";

export interface Measures {
  /** The epoch (1-based) of the lowest validation cross-entropy. */
  bestEpoch: number;
  /** The lowest validation cross-entropy (the plain one, without an L1/L2 penalty, when recorded). */
  minValLoss: number;
  /** The last epoch's validation cross-entropy. */
  lastValLoss: number;
  /** (lastValLoss − minValLoss) / minValLoss: 0.1 = the curve ends 10% above its minimum. */
  rise: number;
  /** The last epoch's training cross-entropy (plain when recorded). */
  finalTrainLoss: number;
  /** The highest validation accuracy of any epoch. */
  maxValAccuracy: number;
  /** Epochs in the history. */
  epochs: number;
}

function series(history: History, plain: "val_crossentropy" | "crossentropy", keras: "val_loss" | "loss"): number[] {
  const values = history.history[plain] ?? history.history[keras];
  if (!Array.isArray(values) || values.length === 0) {
    throw new Error(`measure: the history has no ${keras} values; train with a validationSplit > 0 (e.g. 0.4) to measure validation.`);
  }
  return values;
}

/** The measures of one history (a SeedGroup's is its mean curve's; see `measureSeeds` for each seed's). */
export function measure(run: RunLike | History): Measures {
  const history = "history" in run && !Array.isArray((run as History).epoch) ? (run as RunLike).history : (run as History);
  const val = series(history, "val_crossentropy", "val_loss");
  const trainLoss = series(history, "crossentropy", "loss");
  if (!val.every(Number.isFinite)) throw new Error("measure: the validation loss is not finite in every epoch (a diverged run); it has no minimum to measure from.");
  let best = 0;
  val.forEach((v, i) => (v < val[best] ? (best = i) : undefined));
  const minValLoss = val[best];
  const lastValLoss = val[val.length - 1];
  const accuracy = history.history.val_accuracy ?? [];
  return {
    bestEpoch: history.epoch[best] + 1,
    minValLoss,
    lastValLoss,
    rise: (lastValLoss - minValLoss) / minValLoss,
    finalTrainLoss: trainLoss[trainLoss.length - 1],
    maxValAccuracy: accuracy.length > 0 ? Math.max(...accuracy) : NaN,
    epochs: val.length,
  };
}

/** Each seed's measures (one entry for a single run). */
export function measureSeeds(run: RunLike): Measures[] {
  return isSeedGroup(run) ? run.seedRuns.map((r) => measure(r)) : [measure(run)];
}

/** A loss in three decimals (0.291), a tiny one in two significant digits (0.0041). */
export function formatLoss(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 0.01 || value === 0 ? value.toFixed(3) : value.toPrecision(2);
}

/** A fraction as a whole percentage: 0.104 → "10%"; below 1% one decimal ("0.4%"). */
export function formatPercent(value: number): string {
  const pct = 100 * value;
  return `${Math.abs(pct) < 1 && pct !== 0 ? pct.toFixed(1) : pct.toFixed(0)}%`;
}

/** An accuracy in one decimal: 0.975 → "97.5%". */
export function formatAccuracy(value: number): string {
  return `${(100 * value).toFixed(1)}%`;
}
