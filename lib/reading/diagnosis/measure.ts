/**
 * The measurements of one training history, computed once into a record that every verdict rule
 * (lib/reading/diagnosis/rules.ts) reads: the curve read, its minimum, the final gap, the penalty's share, the
 * robust end level and trend of the validation curve. Pure arithmetic on plain numbers: no tensors, no
 * I/O, no verdicts (those are the rules' job).
 *
 * Two choices keep the verdicts honest:
 * - The curve read is the plain validation cross-entropy whenever it was recorded. Keras's `val_loss`
 *   of an L1/L2 model adds the penalty, which is not a measure of fit and differs from model to model;
 *   it stays available (`penalized`) and labelled as such.
 * - Levels and trends at the end come from a Theil–Sen line (the median of the slopes between every
 *   pair of points) through the last epochs, not from the last value or a least-squares slope: one
 *   spiky epoch (IMDB's validation cross-entropy jumps by 0.05–0.09 now and then, e.g. L2 seed 1
 *   at epoch 8) moves neither.
 */
import type { Diagnosis, History } from "../../types";

/** The per-epoch series of a history, validated (every one as long as `loss`). */
export interface Series {
  loss: number[];
  accuracy: number[] | undefined;
  valLoss: number[] | undefined;
  valAccuracy: number[] | undefined;
  crossentropy: number[] | undefined;
  valCrossentropy: number[] | undefined;
}

/** Everything the rules read of one history. Indices are 0-based; `…Epoch` fields are 1-based. */
export interface Measurements {
  series: Series;
  /** Epochs in the history. */
  epochs: number;
  /** The validation curve every verdict reads (plain cross-entropy when recorded), and its name. */
  val: number[];
  curve: Diagnosis["curve"];
  valName: string;
  /** The training curve compared with it (plain cross-entropy when recorded), and its name. */
  train: number[];
  trainName: string;
  /** Index of the validation minimum (−1 when no value is finite), its epoch and value (NaN then). */
  best: number;
  bestEpoch: number;
  minValLoss: number;
  maxValAccuracy: number;
  /**
   * val − train at the epoch of the model the run hands back: the last epoch where both are finite, or
   * for a run that early stopping ended with its best weights restored, the kept epoch (NaN when none is).
   */
  finalGap: number;
  /** The epoch (1-based) `finalGap` is measured at (NaN when none). */
  gapEpoch: number;
  /** The final gap as a fraction of the validation value there. */
  relGap: number;
  /** Keras's penalized val_loss minimum, when it is not the curve read. */
  penalized?: { bestEpoch: number; minValLoss: number };
  /** (loss − crossentropy) / loss at the last epoch, when the plain cross-entropy was recorded. */
  penaltyShare?: number;
  /** How many final epochs the Theil–Sen line runs through, and the line itself (x = 0 … tail − 1). */
  tail: number;
  fit: { slope: number; intercept: number };
  /** The line's value at the last epoch, how far that is above the minimum (≥ 0), its slope relative to it. */
  endValLoss: number;
  rise: number;
  trend: number;
  /** The median distance of the last epochs from the line, relative to the end level: the curve's own scatter. */
  scatter: number;
  /** The training curve's robust change per epoch over the last `tail` epochs, relative to its end level (−0.03: falling 3% per epoch). */
  trainTrend: number;
  /** Final training accuracy (NaN when not recorded). */
  trainAccuracy: number;
  /** The first epoch index where any loss is not finite (−1 when none), and the index of the highest training loss. */
  firstNonFinite: number;
  peak: number;
  /** The epoch (1-based) whose weights early stopping restored, if the run was stopped that way. */
  kept?: number;
  /** The same configuration's other seeds, when the run was diagnosed as one of a group. */
  siblings?: Siblings;
  /** First-layer ReLU units that output zero on every training example, when the run measured them. */
  deadUnits?: DeadUnits;
}

/** What the rules read of a run's seed siblings: each one's final training loss and lowest validation loss (the same curves as the run's). */
export interface Siblings {
  finalTrain: number[];
  minVal: number[];
}

/** How many of a layer's ReLU units never fire on the training data (dead), of how many. */
export interface DeadUnits {
  dead: number;
  units: number;
}

/** The context a history is read in: the kept epoch of early stopping, the seed siblings, the dead units. */
export interface Context {
  kept?: number;
  siblings?: Siblings;
  deadUnits?: DeadUnits;
}

/** Measures `history` once; `tail` is how many final epochs the robust end line runs through. */
export function measure(history: History, tail: number, context: Context = {}): Measurements {
  const { kept, siblings, deadUnits } = context;
  const series = readSeries(history);
  const n = series.loss.length;
  const last = n - 1;

  const plain = series.valCrossentropy !== undefined;
  const val = series.valCrossentropy ?? series.valLoss!;
  const train = series.crossentropy ?? series.loss;

  const best = argminFinite(val);
  const minValLoss = best < 0 ? NaN : val[best];

  // The model handed back is the kept epoch's when early stopping restored its weights: its gap is the one to report.
  let lastBoth = -1;
  for (let i = kept !== undefined && kept <= n ? kept - 1 : last; i >= 0; i--) {
    if (Number.isFinite(train[i]) && Number.isFinite(val[i])) {
      lastBoth = i;
      break;
    }
  }
  const finalGap = lastBoth < 0 ? NaN : val[lastBoth] - train[lastBoth];

  let penalized: Measurements["penalized"];
  if (plain && series.valLoss && series.valLoss.some((v, i) => v !== val[i])) {
    const pb = argminFinite(series.valLoss);
    if (pb >= 0) penalized = { bestEpoch: pb + 1, minValLoss: series.valLoss[pb] };
  }
  const loss = series.loss;
  const penaltyShare =
    series.crossentropy && Number.isFinite(loss[last]) && loss[last] > 0
      ? Math.max(0, (loss[last] - series.crossentropy[last]) / loss[last])
      : undefined;

  const { tail: k, fit, endValLoss, rise } = trendRise(val, tail);
  const window = val.slice(n - k);
  const trend = n === 1 ? 0 : fit.slope / Math.abs(endValLoss);
  const trainFit = theilSen(train.slice(n - k));
  const scatter = median(window.map((v, x) => Math.abs(v - (fit.intercept + fit.slope * x)))) / Math.abs(endValLoss);

  return {
    series,
    epochs: n,
    val,
    curve: plain ? "val_crossentropy" : "val_loss",
    valName: plain ? "validation cross-entropy" : "validation loss",
    train,
    trainName: series.crossentropy ? "training cross-entropy" : "training loss",
    best,
    bestEpoch: best < 0 ? NaN : best + 1,
    minValLoss,
    maxValAccuracy: maxFinite(series.valAccuracy),
    finalGap,
    gapEpoch: lastBoth < 0 ? NaN : lastBoth + 1,
    relGap: lastBoth < 0 ? NaN : finalGap / Math.abs(val[lastBoth]),
    ...(penalized ? { penalized } : {}),
    ...(penaltyShare !== undefined ? { penaltyShare } : {}),
    tail: k,
    fit,
    endValLoss,
    rise,
    trend,
    scatter,
    trainTrend: n === 1 ? 0 : trainFit.slope / Math.abs(trainFit.intercept + trainFit.slope * (k - 1)),
    trainAccuracy: series.accuracy ? series.accuracy[last] : NaN,
    firstNonFinite: firstNonFinite([series.loss, series.valLoss, series.crossentropy, series.valCrossentropy]),
    peak: argmaxFinite(series.loss),
    ...(kept !== undefined ? { kept } : {}),
    ...(siblings ? { siblings } : {}),
    ...(deadUnits ? { deadUnits } : {}),
  };
}

/** Validates the history's shape up front so every later step may index freely. */
export function readSeries(history: History): Series {
  if (
    history === null ||
    typeof history !== "object" ||
    history.history === null ||
    typeof history.history !== "object"
  ) {
    throw new Error(
      "diagnose(history): expected a Keras-shaped History { history: { loss, val_loss, ... }, epoch, params } (what train() returns), got " +
        (history === null ? "null" : typeof history) +
        ".",
    );
  }
  const hh = history.history;
  const series = (name: string, required: boolean, fix: string): number[] | undefined => {
    const s = (hh as Record<string, unknown>)[name];
    if (s === undefined) {
      if (required) throw new Error(`diagnose: history.history.${name} is missing; ${fix}.`);
      return undefined;
    }
    if (!Array.isArray(s) || !s.every((v) => typeof v === "number")) {
      throw new Error(
        `diagnose: history.history.${name} must be an array of numbers (one per epoch), got ${Array.isArray(s) ? "an array with non-numbers" : typeof s}.`,
      );
    }
    return s;
  };
  const loss = series("loss", true, "pass the history of a finished training run")!;
  if (loss.length === 0)
    throw new Error(
      "diagnose: history.history.loss is empty (0 epochs); train for at least 1 epoch before diagnosing.",
    );
  const valCrossentropy = series("val_crossentropy", false, "");
  const valLoss = series(
    "val_loss",
    valCrossentropy === undefined,
    "diagnosis compares training with validation loss: train with validationSplit > 0 (e.g. 0.2)",
  );
  const out: Series = {
    loss,
    valLoss,
    accuracy: series("accuracy", false, ""),
    valAccuracy: series("val_accuracy", false, ""),
    crossentropy: series("crossentropy", false, ""),
    valCrossentropy,
  };
  const lengths: [string, number[] | undefined][] = [
    ["val_loss", out.valLoss],
    ["accuracy", out.accuracy],
    ["val_accuracy", out.valAccuracy],
    ["crossentropy", out.crossentropy],
    ["val_crossentropy", out.valCrossentropy],
  ];
  for (const [name, s] of lengths) {
    if (s && s.length !== loss.length) {
      throw new Error(
        `diagnose: history.history.${name} has ${s.length} epochs but loss has ${loss.length}; every series needs one value per epoch (pass the history train() returned, unmodified).`,
      );
    }
  }
  return out;
}

export function argminFinite(xs: number[]): number {
  let best = -1;
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i]) && (best < 0 || xs[i] < xs[best])) best = i;
  return best;
}

export function argmaxFinite(xs: number[]): number {
  let best = -1;
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i]) && (best < 0 || xs[i] > xs[best])) best = i;
  return best;
}

function maxFinite(xs: number[] | undefined): number {
  const i = xs ? argmaxFinite(xs) : -1;
  return i < 0 ? NaN : xs![i];
}

function firstNonFinite(all: (number[] | undefined)[]): number {
  let first = -1;
  for (const s of all) {
    if (!s) continue;
    const i = s.findIndex((v) => !Number.isFinite(v));
    if (i >= 0 && (first < 0 || i < first)) first = i;
  }
  return first;
}

export function lastFiniteBefore(xs: number[], end: number): number {
  for (let i = end - 1; i >= 0; i--) if (Number.isFinite(xs[i])) return i;
  return -1;
}

/**
 * The lesson's one "rise": how far a validation curve ends above its minimum, as a fraction of the
 * minimum, where it "ends" is the Theil–Sen line through its last `tail` epochs (all of them when
 * fewer) read at the last epoch, so one spiky epoch does not move it; never below 0. The diagnosis,
 * the exercises, the sweep lines and the closing table all read it from here.
 */
export function trendRise(
  val: number[],
  tail: number,
): {
  tail: number;
  fit: { slope: number; intercept: number };
  endValLoss: number;
  minValLoss: number;
  bestEpoch: number;
  rise: number;
} {
  const n = val.length;
  const k = Math.min(tail, n);
  const fit = theilSen(val.slice(n - k));
  const endValLoss = n === 1 ? val[0] : fit.intercept + fit.slope * (k - 1);
  const best = argminFinite(val);
  const minValLoss = best < 0 ? NaN : val[best];
  return {
    tail: k,
    fit,
    endValLoss,
    minValLoss,
    bestEpoch: best < 0 ? NaN : best + 1,
    rise: best < 0 ? NaN : Math.max(0, riseOf(endValLoss, minValLoss)),
  };
}

/** How far `value` is above `min`, as a fraction of `min`. */
export function riseOf(value: number, min: number): number {
  return (value - min) / Math.abs(min);
}

/**
 * The Theil–Sen line through ys against 0, 1, 2, …: slope = median of the pairwise slopes,
 * intercept = median of y − slope·x. Up to ~29% of the points can be outliers without moving it.
 */
export function theilSen(ys: number[]): { slope: number; intercept: number } {
  const slopes: number[] = [];
  for (let i = 0; i < ys.length; i++) for (let j = i + 1; j < ys.length; j++) slopes.push((ys[j] - ys[i]) / (j - i));
  const slope = slopes.length ? median(slopes) : 0;
  const intercept = median(ys.map((y, x) => y - slope * x));
  return { slope, intercept };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
