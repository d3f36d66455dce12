/**
 * The few numbers the learner's exercises, sweeps and closing table read off a run, defined once
 * and simply (no thresholds, no verdict): the minimum of the plain validation cross-entropy and its
 * epoch, the last epoch's value, the rise (how far the curve's trend ends above the minimum: the
 * diagnosis's own `trendRise`, so a learner reads one number for one run everywhere), the final
 * training cross-entropy, the best validation accuracy. Pure functions of plain histories: no I/O,
 * no tensors. (The graded verdict is `diagnose`'s job.)
 */
import { roughPercent } from "../format";
import { trendRise } from "./diagnosis/measure";
import { DEFAULTS } from "./diagnosis/rules";
import { isSeedGroup } from "../runs/seeds";
import type { History, RunLike } from "../types";

export interface Measures {
  /** The epoch (1-based) of the lowest validation cross-entropy. */
  bestEpoch: number;
  /** The lowest validation cross-entropy (the plain one, without an L1/L2 penalty, when recorded). */
  minValLoss: number;
  /** The last epoch's validation cross-entropy. */
  lastValLoss: number;
  /**
   * The rise: (endValLoss − minValLoss) / minValLoss, never below 0: 0.1 = the curve's trend ends 10%
   * above its minimum. The same number as the diagnosis's (`diagnose(run).rise`) and `explainLine`'s.
   */
  rise: number;
  /** Where the validation curve's trend ends: the Theil–Sen line through its last `trendEpochs` epochs, at the last epoch. */
  endValLoss: number;
  /** How many final epochs that line runs through (8, or all when the run is shorter). */
  trendEpochs: number;
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
    throw new Error(
      `measure: the history has no ${keras} values; train with a validationSplit > 0 (e.g. 0.4) to measure validation.`,
    );
  }
  return values;
}

/** The measures of one history (a SeedGroup's is its mean curve's; see `measureSeeds` for each seed's). */
export function measure(run: RunLike | History): Measures {
  const history =
    "history" in run && !Array.isArray((run as History).epoch) ? (run as RunLike).history : (run as History);
  const val = series(history, "val_crossentropy", "val_loss");
  const trainLoss = series(history, "crossentropy", "loss");
  if (!val.every(Number.isFinite))
    throw new Error(
      "measure: the validation loss is not finite in every epoch (a diverged run); it has no minimum to measure from.",
    );
  const trend = trendRise(val, DEFAULTS.tail);
  const accuracy = history.history.val_accuracy ?? [];
  return {
    bestEpoch: history.epoch[trend.bestEpoch - 1] + 1,
    minValLoss: trend.minValLoss,
    lastValLoss: val[val.length - 1],
    rise: trend.rise,
    endValLoss: trend.endValLoss,
    trendEpochs: trend.tail,
    finalTrainLoss: trainLoss[trainLoss.length - 1],
    maxValAccuracy: accuracy.length > 0 ? Math.max(...accuracy) : NaN,
    epochs: val.length,
  };
}

/** Each seed's measures (one entry for a single run). */
export function measureSeeds(run: RunLike): Measures[] {
  return isSeedGroup(run) ? run.seedRuns.map((r) => measure(r)) : [measure(run)];
}

/** Mean, lowest and highest over a run's seeds of one measure (a single run: its own value three times). */
export function seedStats(
  run: RunLike,
  pick: (m: Measures) => number,
): { mean: number; low: number; high: number; seeds: number } {
  const values = measureSeeds(run).map(pick);
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    low: Math.min(...values),
    high: Math.max(...values),
    seeds: values.length,
  };
}

/** "the rise (its trend over the last 8 epochs ends 103% above the minimum)": how the lesson words a rise. */
export function riseText(m: Measures): string {
  return `its trend over the last ${m.trendEpochs} epochs ends ${roughPercent(m.rise)} above the minimum`;
}
