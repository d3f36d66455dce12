/**
 * Reads a training history the way Chollet's chapter 5 teaches: where validation loss bottoms out,
 * whether the model has started to overfit, how wide the generalization gap is, and which of the
 * book's remedies apply. Pure arithmetic on plain numbers: no tensors, no I/O.
 */
import type { Diagnosis, History, Verdict } from "./types";

/** Thresholds of the verdict; every one is relative, so they suit any loss scale. */
export interface DiagnoseOptions {
  /**
   * Overfitting needs the validation loss at the end (median of the last `tail` epochs after the
   * best one) to be more than this fraction above its minimum. Default 0.1 (10%): epoch-to-epoch
   * noise of a converged validation loss is a few percent.
   */
  riseTolerance?: number;
  /**
   * Training and validation loss count as "close" when the final gap (val − train) is below this
   * fraction of the validation loss. Default 0.15. A model that fits its training data barely better
   * than unseen data has capacity to spare in no direction: it underfits.
   */
  closeGap?: number;
  /**
   * Validation loss still "falling steeply" at the end: its least-squares fall per epoch over the
   * last `tail` + 1 epochs, relative to the final value, above this fraction. Default 0.02 (2% per epoch): training stopped too early.
   */
  steepFall?: number;
  /** Training loss above this multiple of its first-epoch value counts as exploding (diverged). Default 3. */
  explodeFactor?: number;
  /** How many final epochs summarize "the end" (for noise). Default 3. */
  tail?: number;
}

const DEFAULTS: Required<DiagnoseOptions> = { riseTolerance: 0.1, closeGap: 0.15, steepFall: 0.02, explodeFactor: 3, tail: 3 };

/**
 * The book's remedies by verdict (Deep Learning with Python, ch. 5), as short advice. A notebook can
 * show one list as a table, e.g. `REMEDIES.underfitting`.
 */
export const REMEDIES: Readonly<Record<Verdict, readonly string[]>> = {
  underfitting: [
    "Increase capacity: more units per layer or more layers.",
    "Train longer: more epochs, while validation loss still falls.",
    "Tune the learning rate and optimizer (a rate too low or too high stalls training).",
    "Use a better-suited architecture for the data.",
  ],
  overfitting: [
    "Get more training data.",
    "Reduce capacity: fewer units or layers.",
    "Add L1/L2 weight regularization.",
    "Add dropout.",
    "Stop early at the best epoch (early stopping).",
  ],
  diverged: [
    "Lower the learning rate.",
    "Check input scaling: features near [0, 1] or standardized, no NaN or huge values.",
    "Check the loss matches the output (e.g. softmax with categorical cross-entropy, sigmoid with binary).",
    "Clip gradients or use a smaller batch-to-learning-rate ratio.",
  ],
  "good fit": ["Keep this model; retrain on all the data for the best epoch count before testing."],
};

/**
 * Diagnoses a Keras-shaped history (needs `loss` and `val_loss`: train with validationSplit > 0).
 * Epochs in the result are 1-based, as on the plots. `bestEpoch`/`minValLoss` are NaN when no
 * validation loss is finite; `finalGap` is NaN when no epoch has both losses finite.
 */
export function diagnose(history: History, options: DiagnoseOptions = {}): Diagnosis {
  const o = checkOptions(options);
  const h = readSeries(history);
  const n = h.loss.length;

  const best = argminFinite(h.valLoss);
  const bestEpoch = best < 0 ? NaN : best + 1;
  const minValLoss = best < 0 ? NaN : h.valLoss[best];
  const maxValAccuracy = maxFinite(h.valAccuracy);

  // The gap is measured on plain cross-entropy when recorded: Keras's `loss` adds the L1/L2
  // penalty to training loss, which would make a regularized run's gap look smaller than it is.
  const fairTrain = h.crossentropy ?? h.loss;
  const fairVal = h.valCrossentropy ?? h.valLoss;
  const gapName = h.crossentropy && h.valCrossentropy ? "cross-entropy" : "loss";
  let lastBoth = -1;
  for (let i = n - 1; i >= 0; i--) {
    if (Number.isFinite(fairTrain[i]) && Number.isFinite(fairVal[i])) {
      lastBoth = i;
      break;
    }
  }
  const finalGap = lastBoth < 0 ? NaN : fairVal[lastBoth] - fairTrain[lastBoth];

  const result = (verdict: Verdict, reason: string, overfitEpoch: number | null = null): Diagnosis => ({
    bestEpoch,
    minValLoss,
    maxValAccuracy,
    overfitEpoch,
    finalGap,
    verdict,
    reason,
    remedies: [...REMEDIES[verdict]],
  });

  // Diverged: a non-finite loss anywhere, or training loss blowing up past its starting value.
  const badEpoch = firstNonFinite([h.loss, h.valLoss, h.crossentropy, h.valCrossentropy]);
  if (badEpoch >= 0) {
    const series = [
      ["training loss", h.loss],
      ["validation loss", h.valLoss],
      ["training cross-entropy", h.crossentropy],
      ["validation cross-entropy", h.valCrossentropy],
    ] as const;
    const [label, values] = series.find(([, s]) => s && !Number.isFinite(s[badEpoch]))!;
    const before = lastFiniteBefore(h.loss, badEpoch);
    const tail = before < 0 ? "" : ` (last finite training loss ${fmt(h.loss[before])} at epoch ${before + 1})`;
    return result("diverged", `${cap(label)} became ${values![badEpoch]} at epoch ${badEpoch + 1}${tail}: training diverged.`);
  }
  const first = h.loss[0];
  const peak = argmaxFinite(h.loss);
  if (n > 1 && first > 0 && h.loss[peak] > o.explodeFactor * first) {
    return result(
      "diverged",
      `Training loss exploded to ${fmt(h.loss[peak])} at epoch ${peak + 1}, ${fmt1(h.loss[peak] / first)}× its epoch-1 value ${fmt(first)}: training diverged.`,
    );
  }

  const last = n - 1;
  if (n === 1) {
    return result(
      "underfitting",
      `Only 1 epoch (training loss ${fmt(h.loss[0])}, validation loss ${fmt(h.valLoss[0])}): too short to see a trend; train longer.`,
    );
  }

  // Overfitting: validation loss at the end clearly above its minimum, reached earlier, while the
  // model keeps fitting the training data better (training loss lower than at the best epoch) or
  // the gap is wide. The end level is a median over the tail after the best epoch, so one noisy
  // epoch neither makes nor hides overfitting.
  const after = h.valLoss.slice(best + 1);
  const endLevel = after.length ? median(after.slice(-o.tail)) : minValLoss;
  const rise = riseOf(endLevel, minValLoss);
  const trainStillFalling = fairTrain[last] < fairTrain[best];
  const gapWide = finalGap > o.closeGap * Math.abs(fairVal[last]);
  if (best < last && rise > o.riseTolerance && (trainStillFalling || gapWide)) {
    return result(
      "overfitting",
      `Validation loss rose from ${fmt(minValLoss)} (epoch ${bestEpoch}) to ${fmt(h.valLoss[last])} (epoch ${n}), ${pct(riseOf(h.valLoss[last], minValLoss))} above its minimum, ` +
        `while training ${gapName} went from ${fmt(fairTrain[best])} to ${fmt(fairTrain[last])}; final gap ${fmt(finalGap)}.`,
      bestEpoch,
    );
  }

  // Underfitting, case 1: validation loss still falling fast at the end, so training stopped while
  // the model was still learning things that generalize. The trend is a least-squares slope over
  // the last `tail` + 1 epochs, so one noisy epoch does not decide it.
  const k = Math.min(o.tail, last);
  const fallPerEpoch = -slope(h.valLoss.slice(last - k)) / Math.abs(h.valLoss[last]);
  if (fallPerEpoch > o.steepFall) {
    return result(
      "underfitting",
      `Validation loss is still falling at the end: ${fmt(h.valLoss[last - k])} (epoch ${last - k + 1}) to ${fmt(h.valLoss[last])} (epoch ${n}), ` +
        `about ${pct(fallPerEpoch)} per epoch; training stopped before the model learned all it can.`,
    );
  }

  // Underfitting, case 2: the model fits its training data hardly better than unseen data, so it
  // has not got the capacity (or training) to overfit: the book's "if you can't overfit" sign.
  const relGap = finalGap / Math.abs(fairVal[last]);
  if (relGap < o.closeGap) {
    const trend = h.valLoss[last] <= minValLoss * (1 + o.riseTolerance) ? `still near its minimum ${fmt(minValLoss)} (epoch ${bestEpoch})` : `above its minimum ${fmt(minValLoss)} (epoch ${bestEpoch})`;
    return result(
      "underfitting",
      `Training ${gapName} ${fmt(fairTrain[last])} and validation ${gapName} ${fmt(fairVal[last])} are close at epoch ${n} ` +
        `(gap ${fmt(finalGap)}, ${pct(relGap)} of validation), with validation loss ${trend}: the model cannot fit its training data much better than unseen data.`,
    );
  }

  return result(
    "good fit",
    `Validation loss reached ${fmt(minValLoss)} at epoch ${bestEpoch} and ends at ${fmt(h.valLoss[last])} (epoch ${n}), ${pct(riseOf(h.valLoss[last], minValLoss))} above it, ` +
      `while training ${gapName} ${fmt(fairTrain[last])} is below validation by ${fmt(finalGap)}.`,
  );
}

interface Series {
  loss: number[];
  valLoss: number[];
  valAccuracy: number[] | undefined;
  crossentropy: number[] | undefined;
  valCrossentropy: number[] | undefined;
}

/** Validates the history's shape up front so every later step may index freely. */
function readSeries(history: History): Series {
  if (history === null || typeof history !== "object" || history.history === null || typeof history.history !== "object") {
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
      throw new Error(`diagnose: history.history.${name} must be an array of numbers (one per epoch), got ${Array.isArray(s) ? "an array with non-numbers" : typeof s}.`);
    }
    return s;
  };
  const loss = series("loss", true, "pass the history of a finished training run")!;
  if (loss.length === 0) throw new Error("diagnose: history.history.loss is empty (0 epochs); train for at least 1 epoch before diagnosing.");
  const valLoss = series("val_loss", true, "diagnosis compares training with validation loss: train with validationSplit > 0 (e.g. 0.2)")!;
  const out: Series = {
    loss,
    valLoss,
    valAccuracy: series("val_accuracy", false, ""),
    crossentropy: series("crossentropy", false, ""),
    valCrossentropy: series("val_crossentropy", false, ""),
  };
  const lengths: [string, number[] | undefined][] = [
    ["val_loss", out.valLoss],
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

function checkOptions(options: DiagnoseOptions): Required<DiagnoseOptions> {
  if (options === null || typeof options !== "object") throw new Error(`diagnose: options must be an object of thresholds, got ${options === null ? "null" : typeof options}.`);
  const o = { ...DEFAULTS };
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!(name in DEFAULTS)) throw new Error(`diagnose: unknown option "${name}"; allowed: ${Object.keys(DEFAULTS).join(", ")}.`);
    const key = name as keyof DiagnoseOptions;
    const ok =
      typeof value === "number" &&
      Number.isFinite(value) &&
      (key === "tail" ? Number.isInteger(value) && value >= 1 : key === "explodeFactor" ? value > 1 : value >= 0);
    if (!ok) {
      const allowed = key === "tail" ? "an integer ≥ 1" : key === "explodeFactor" ? "a number > 1" : "a number ≥ 0";
      throw new Error(`diagnose: options.${key} = ${String(value)} is invalid; it must be ${allowed} (default ${DEFAULTS[key]}).`);
    }
    o[key] = value;
  }
  return o;
}

function argminFinite(xs: number[]): number {
  let best = -1;
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i]) && (best < 0 || xs[i] < xs[best])) best = i;
  return best;
}

function argmaxFinite(xs: number[]): number {
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

function lastFiniteBefore(xs: number[], end: number): number {
  for (let i = end - 1; i >= 0; i--) if (Number.isFinite(xs[i])) return i;
  return -1;
}

/** How far `value` is above `min`, as a fraction of `min`. */
function riseOf(value: number, min: number): number {
  return (value - min) / Math.abs(min);
}

/** Least-squares slope of ys against 0, 1, 2, … (per epoch). */
function slope(ys: number[]): number {
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const fmt = (x: number): string => x.toFixed(3);
const fmt1 = (x: number): string => x.toFixed(1);
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const cap = (s: string): string => s[0].toUpperCase() + s.slice(1);
