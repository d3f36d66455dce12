/**
 * Reads a training history the way Chollet's chapter 5 teaches: where validation loss bottoms out,
 * whether the model has started to overfit and how much, how wide the generalization gap is, and
 * which of the book's remedies apply. Pure arithmetic on plain numbers: no tensors, no I/O.
 *
 * Two rules keep the verdicts honest:
 * - The curve read is the plain validation cross-entropy whenever it was recorded. Keras's `val_loss`
 *   of an L1/L2 model adds the penalty, which is not a measure of fit and differs from model to model;
 *   it stays available (`penalized`) and labelled as such.
 * - Levels and trends at the end come from a Theil–Sen line (the median of the slopes between every
 *   pair of points) through the last epochs, not from the last value or a least-squares slope: one
 *   spiky epoch (IMDB's validation cross-entropy jumps by 0.05–0.09 now and then, e.g. L2 seed 1
 *   at epoch 8) moves neither. Thresholds sit in the gaps between the lesson's runs measured over
 *   seeds 1–5 and 42 (see test/diagnose.test.ts), so seeds that agree get the same verdict.
 */
import type { Diagnosis, History, RelativeDiagnosis, RunLike, Severity, Verdict, VerdictCause } from "./types";

/** Thresholds of the verdict; every one is relative, so they suit any loss scale. */
export interface DiagnoseOptions {
  /**
   * Overfitting needs the validation curve to end (robustly) more than this fraction above its
   * minimum. Default 0.05. Measured on the full data: runs that keep rising after their minimum end
   * 9–173% above it (IMDB tiny 9–20%), flat ones 0–4% (IMDB L1, L1+L2).
   */
  riseTolerance?: number;
  /**
   * Overfitting is "strong" when the curve ends at least this far above its minimum and still climbs
   * `strongTrend` per epoch, or ends 1.5× this far above it whatever its climb (a curve that has
   * risen that much may level off). Default 0.55. Measured over seeds 42 and 1–5 (tail 8): the
   * original 16×2 101–118%, 512×2 160–173%, dropout 71–93%, L2(0.0001) + dropout 60–85% (strong);
   * smaller 4×2 14–50%, L2(0.002) 20–35%, tiny 9–20%, MNIST Dense(128)×2 44–61% (mild). No single
   * rise separates MNIST's 61% (seed 42) from L2 + dropout's 60% (seed 2); the climb does.
   */
  strongRise?: number;
  /**
   * The climb per epoch over the last `tail` epochs (relative to the end level) that strong
   * overfitting below 1.5 × `strongRise` also needs. Default 0.03. Measured: dropout 4.2–4.8%,
   * L2 + dropout 3.6–4.7%, original 3.0–4.4%; MNIST Dense(128)×2 2.6%, smaller 4×2 1.8–3.3%, L2 0.8–2.5%.
   */
  strongTrend?: number;
  /**
   * Training and validation loss count as "close" when the final gap (val − train) is below this
   * fraction of the validation loss. Default 0.25. A model that fits its training data barely better
   * than unseen data underfits. Measured: MNIST Dense(10) 7%, IMDB L1(0.001) 8–22% (its training
   * accuracy 88–89%, validation 87–88%); every IMDB model that overfits 55–99%. Below a third of
   * a fifth of this (5%) the underfitting is "strong".
   */
  closeGap?: number;
  /**
   * Validation loss still "falling" at the end: its robust fall per epoch over the last `tail`
   * epochs, relative to its end level, above this fraction. Default 0.01 (1% per epoch): training
   * stopped while the model was still learning. From 3× this the underfitting is "strong". Measured
   * on notebook 5's runs (3,000 MNIST images, seeds 42 and 1–4): Dense(10) for 20 epochs falls
   * 1.9–2.1% per epoch (mild), Dense(512) with zero channels for 10 epochs 3.8–7.3%, with noise
   * channels 10–14% (strong).
   */
  steepFall?: number;
  /**
   * Overfitting is also "strong" when the final training accuracy is more than this above the best
   * validation accuracy: the model memorized its training data, and what it learned does not carry
   * over at all. Default 0.3 (30 points). Measured: notebook 5's shuffled labels 79–83 points
   * (training 95–97%, validation never above 16%); every other run of the lesson 15 points or less
   * (the original IMDB model 11, MNIST Dense(128)×2 2).
   */
  memorizedGap?: number;
  /** Training loss above this multiple of its first-epoch value counts as exploding (diverged). Default 3. */
  explodeFactor?: number;
  /**
   * Any loss above this counts as exploding, whatever the first epoch did (a learning rate of 1e10
   * explodes within the first epoch). Default 1000: a cross-entropy on clipped probabilities stays
   * below 17 per example (−ln 1e-7 = 16.1), so only diverging weights get there.
   */
  explodeLevel?: number;
  /**
   * A run whose training and validation cross-entropy are close (`closeGap`) and whose final training
   * loss is at least this share of penalty ((loss − crossentropy) / loss) is called over-regularized.
   * Default 0.3. Measured: L2(0.002) 42% but far from close (it overfits mildly), L2(0.0001) + dropout 10–14%.
   */
  penaltyShare?: number;
  /**
   * Over-regularization is "strong" from this penalty share on. Default 0.55. Measured: IMDB L1(0.001)
   * 42–43% (mild), L1(0.01) 68–71% (strong: validation cross-entropy 0.41–0.46 against the original's 0.29).
   */
  strongPenaltyShare?: number;
  /**
   * How many final epochs the robust end level and trend are fitted through. Default 8: with 6, two
   * spikes at the window's start (IMDB L1 seed 42, epochs 16–17) tilted a flat curve to −3% per epoch.
   */
  tail?: number;
  /** A run (or history) to measure this one's overfitting against, e.g. the original model. */
  baseline?: RunLike | History;
}

type Thresholds = Required<Omit<DiagnoseOptions, "baseline">>;

const DEFAULTS: Thresholds = {
  riseTolerance: 0.05,
  strongRise: 0.55,
  strongTrend: 0.03,
  closeGap: 0.25,
  steepFall: 0.01,
  memorizedGap: 0.3,
  explodeFactor: 3,
  explodeLevel: 1000,
  penaltyShare: 0.3,
  strongPenaltyShare: 0.55,
  tail: 8,
};

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
 * A model that cannot fit its training data with a flat validation curve needs capacity first;
 * training longer is what a still-falling curve needs (the general list's second entry).
 */
const CAPACITY_REMEDIES: readonly string[] = [
  "Increase capacity: more units per layer or more layers.",
  "Use a better-suited architecture for the data.",
  "Tune the learning rate and optimizer (a rate too low or too high stalls training).",
  "Training longer helps little here: the validation curve has flattened.",
];

/** An over-regularized run needs less penalty, not more capacity. */
/** A run that bounces needs smaller steps, not more capacity. */
const UNSTABLE_REMEDIES: readonly string[] = [
  "Lower the learning rate (e.g. by 10×): the steps are too large to settle.",
  "Or use larger batches, whose gradients are less noisy.",
];

const OVER_REGULARIZED_REMEDIES: readonly string[] = [
  "Lower the L1/L2 factor (or the dropout rate): the penalty dominates the loss.",
  "Train longer only once the training loss can fall.",
];

/**
 * Diagnoses a Keras-shaped history, or a run (`{ name, history }`, e.g. a SeedGroup: its mean
 * curve). Needs `loss` and `val_loss` or `val_crossentropy` (train with validationSplit > 0).
 * Epochs in the result are 1-based, as on the plots. `bestEpoch`/`minValLoss` are NaN when no
 * validation value is finite; `finalGap` is NaN when no epoch has both losses finite.
 */
export function diagnose(run: History | RunLike, options: DiagnoseOptions = {}): Diagnosis {
  const o = checkOptions(options);
  const history = historyOf(run, "diagnose");
  const d = diagnoseHistory(history, o, keptEpoch(run));
  if (options.baseline === undefined) return d;
  const baseName = isRun(options.baseline) ? options.baseline.name : "the baseline";
  const baseHistory = historyOf(options.baseline, "diagnose: options.baseline");
  const base = diagnoseHistory(baseHistory, o);
  const relative = relativeTo(d, history.epoch.length, base, baseHistory.epoch.length, baseName, o.riseTolerance);
  return relative ? { ...d, relative } : d;
}

function isRun(value: History | RunLike): value is RunLike {
  return typeof (value as RunLike).name === "string" && (value as RunLike).history !== null && typeof (value as RunLike).history === "object";
}

/** What diagnose reads of a run trained with early stopping (what `train` returns). */
interface EarlyStopped {
  stoppedBy?: string;
  options?: { earlyStopping?: { restoreBestWeights?: boolean; monitor?: "val_loss" | "val_crossentropy" } };
}

/**
 * The epoch (1-based) whose weights a run stopped by early stopping handed back (restore_best_weights):
 * the lowest value of the series it monitored. Undefined for any other run or a bare history.
 */
function keptEpoch(value: History | RunLike): number | undefined {
  if (value === null || typeof value !== "object" || !isRun(value)) return undefined;
  // A group of seeds each stopped early: its models are each seed's best; the mean curve's lowest epoch stands for them.
  if (Array.isArray(value.seedRuns) && value.seedRuns.length > 0) {
    if (!value.seedRuns.every((r) => keptEpoch(r) !== undefined)) return undefined;
    const first = value.seedRuns[0] as RunLike & EarlyStopped;
    const h = value.history.history;
    const monitored = first.options?.earlyStopping?.monitor === "val_crossentropy" && h.val_crossentropy ? h.val_crossentropy : h.val_loss;
    const best = monitored ? argminFinite(monitored) : -1;
    return best < 0 ? undefined : best + 1;
  }
  const { stoppedBy, options } = value as RunLike & EarlyStopped;
  const es = options?.earlyStopping;
  if (!es?.restoreBestWeights || stoppedBy !== "early stopping") return undefined;
  const h = value.history.history;
  const monitored = es.monitor === "val_crossentropy" && h.val_crossentropy ? h.val_crossentropy : h.val_loss;
  const best = monitored ? argminFinite(monitored) : -1;
  return best < 0 ? undefined : best + 1;
}

function historyOf(value: History | RunLike, where: string): History {
  if (value !== null && typeof value === "object" && isRun(value)) return value.history;
  return value as History;
}

/** `kept`: the epoch whose weights early stopping restored (the run's model is that epoch's), if any. */
function diagnoseHistory(history: History, o: Thresholds, kept?: number): Diagnosis {
  const h = readSeries(history);
  const n = h.loss.length;
  const last = n - 1;

  // The curve every verdict reads: plain validation cross-entropy when recorded.
  const plain = h.valCrossentropy !== undefined;
  const val = h.valCrossentropy ?? h.valLoss!;
  const curve = plain ? "val_crossentropy" : "val_loss";
  const valName = plain ? "validation cross-entropy" : "validation loss";
  const fairTrain = h.crossentropy ?? h.loss;
  const trainName = h.crossentropy ? "training cross-entropy" : "training loss";

  const best = argminFinite(val);
  const bestEpoch = best < 0 ? NaN : best + 1;
  const minValLoss = best < 0 ? NaN : val[best];
  const maxValAccuracy = maxFinite(h.valAccuracy);

  let lastBoth = -1;
  for (let i = last; i >= 0; i--) {
    if (Number.isFinite(fairTrain[i]) && Number.isFinite(val[i])) {
      lastBoth = i;
      break;
    }
  }
  const finalGap = lastBoth < 0 ? NaN : val[lastBoth] - fairTrain[lastBoth];

  // Keras's penalized val_loss, kept and labelled, when it is not the curve read.
  let penalized: Diagnosis["penalized"];
  if (plain && h.valLoss && h.valLoss.some((v, i) => v !== val[i])) {
    const pb = argminFinite(h.valLoss);
    if (pb >= 0) penalized = { bestEpoch: pb + 1, minValLoss: h.valLoss[pb] };
  }
  const penaltyShare = h.crossentropy && Number.isFinite(h.loss[last]) && h.loss[last] > 0 ? Math.max(0, (h.loss[last] - h.crossentropy[last]) / h.loss[last]) : undefined;

  // The robust end: a Theil–Sen line through the last `tail` epochs (all finite here unless diverged).
  const k = Math.min(o.tail, n);
  const window = val.slice(n - k);
  const fit = theilSen(window);
  const endValLoss = n === 1 ? val[0] : fit.intercept + fit.slope * (k - 1);
  const rise = best < 0 ? NaN : Math.max(0, riseOf(endValLoss, minValLoss));
  const trend = n === 1 ? 0 : fit.slope / Math.abs(endValLoss);

  const base = {
    bestEpoch,
    minValLoss,
    maxValAccuracy,
    finalGap,
    curve,
    endValLoss,
    rise,
    trend,
    trendEpochs: k,
    ...(penalized ? { penalized } : {}),
    ...(penaltyShare !== undefined ? { penaltyShare } : {}),
  } as const;
  const result = (verdict: Verdict, severity: Severity | null, cause: VerdictCause | null, reason: string, overfitEpoch: number | null = null): Diagnosis => ({
    ...base,
    overfitEpoch,
    verdict,
    severity,
    cause,
    label: labelOf(verdict, severity, cause),
    reason,
    remedies:
      cause === "over-regularized" ? [...OVER_REGULARIZED_REMEDIES]
      : cause === "unstable" ? [...UNSTABLE_REMEDIES]
      : cause === "too little capacity" ? [...CAPACITY_REMEDIES]
      : [...REMEDIES[verdict]],
  });

  // Diverged: a non-finite loss anywhere, or a loss blowing up.
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
    return result("diverged", null, "non-finite loss", `${cap(label)} became ${values![badEpoch]} at epoch ${badEpoch + 1}${tail}: training diverged.`);
  }
  const peak = argmaxFinite(h.loss);
  const first = h.loss[0];
  if (h.loss[peak] > o.explodeLevel) {
    return result(
      "diverged",
      null,
      "exploding loss",
      `Training loss reached ${fmtAny(h.loss[peak])} at epoch ${peak + 1} (a cross-entropy of a sane model stays below 17)` +
        (Number.isFinite(maxValAccuracy) ? `, and validation accuracy never exceeded ${pct(maxValAccuracy)}` : "") +
        ": steps far too large threw the weights off; training diverged from the minimum it was heading for. A learning rate far too high does this.",
    );
  }
  if (n > 1 && first > 0 && h.loss[peak] > o.explodeFactor * first) {
    return result(
      "diverged",
      null,
      "exploding loss",
      `Training loss exploded to ${fmtAny(h.loss[peak])} at epoch ${peak + 1}, ${fmt1(h.loss[peak] / first)}× its epoch-1 value ${fmt(first)}: training diverged.`,
    );
  }

  if (n === 1) {
    return result(
      "underfitting",
      "mild",
      "too short",
      `Only 1 epoch (${trainName} ${fmt(fairTrain[0])}, ${valName} ${fmt(val[0])}): too short to see a trend; train longer.`,
    );
  }

  const relGap = finalGap / Math.abs(val[last]);

  // Early stopping with the best weights restored: the model is the one of the kept epoch, and the
  // epochs after it (patience) are where the validation curve stopped improving. When the training
  // data was fitted clearly better than the validation data there, that is the point where
  // overfitting begins, and the model from before it is a good fit. (Diagnosed as a plain history,
  // those last epochs would read as a curve still falling, or as the start of overfitting: measured
  // on notebook 5's early-stopped IMDB runs, seeds 42 and 1–4, both, depending on the seed.)
  if (kept !== undefined && kept < n) {
    const k = kept - 1;
    const gapAtKept = (val[k] - fairTrain[k]) / Math.abs(val[k]);
    if (gapAtKept >= o.closeGap) {
      return result(
        "good fit",
        null,
        null,
        `Early stopping kept the weights of epoch ${kept}, where ${valName} was lowest (${fmt(val[k])}); over the ${n - kept} epoch(s) after it, ` +
          `it rose to ${fmt(val[last])} while ${trainName} kept falling (${fmt(fairTrain[k])} → ${fmt(fairTrain[last])}): training stopped where overfitting begins, and the model is the one from before.`,
      );
    }
  }

  // Memorized: training accuracy far above the best validation accuracy (shuffled labels).
  const trainAccuracy = h.accuracy ? h.accuracy[last] : NaN;
  const memorized = trainAccuracy - maxValAccuracy > o.memorizedGap;
  const memorizedText = memorized ? `; training accuracy ${pct(trainAccuracy)} against at best ${pct(maxValAccuracy)} on validation: it memorized its training data` : "";

  // Overfitting: the validation curve ends clearly above its minimum, reached earlier, while the model
  // keeps fitting its training data better.
  const trainBetter = fairTrain[last] < fairTrain[best];
  if (best < last && rise > o.riseTolerance && trainBetter) {
    const strong = memorized || rise >= 1.5 * o.strongRise || (rise >= o.strongRise && trend >= o.strongTrend);
    const severity: Severity = strong ? "strong" : "mild";
    return result(
      "overfitting",
      severity,
      null,
      `${cap(valName)} fell to ${fmt(minValLoss)} at epoch ${bestEpoch}; its trend ends at ${fmt(endValLoss)} (epoch ${n}: ${fmt(val[last])}), ${pct(rise)} above that minimum, ` +
        `while ${trainName} went from ${fmt(fairTrain[best])} to ${fmt(fairTrain[last])}; final gap ${fmt(finalGap)}${memorizedText}.`,
      bestEpoch,
    );
  }

  // Unstable: the validation curve ends clearly above its minimum, but not because the model fits its
  // training data better (that would be overfitting): the training loss is no lower than at the best
  // epoch either. Steps too large to settle (RMSprop at 0.01 on MNIST bounces like this); calling it
  // "still improving" from a falling stretch after the bounce would contradict the minimum.
  if (best < last && rise > o.riseTolerance && !trainBetter) {
    return result(
      "underfitting",
      "mild",
      "unstable",
      `${cap(valName)} was lowest at epoch ${bestEpoch} (${fmt(minValLoss)}); its trend ends at ${fmt(endValLoss)} (epoch ${n}: ${fmt(val[last])}), ${pct(rise)} above that minimum, ` +
        `while ${trainName} is no lower than then (${fmt(fairTrain[best])} → ${fmt(fairTrain[last])}): training is not settling; a lower learning rate steadies it.`,
    );
  }

  // Overfitting that a trend over the last epochs misses in a short, bouncing run: the validation
  // curve came near its minimum early, has not improved on that for at least half
  // the run and sits clearly above it since (the median of the later epochs), while the training
  // loss kept falling (to under half) and ends far below validation. RMSprop at 0.01 on 3,000 MNIST
  // images (notebook 5): validation cross-entropy 0.28–0.31 by epoch 2–4, then bouncing 8–66% above
  // it (median) to epoch 10 while training cross-entropy falls to 0.005–0.10, seeds 42 and 1–4. In
  // 10 epochs, a trend over the last 8 mostly measures the first descent (−3% per epoch: "still improving").
  // "Within" allows for the curve's own scatter: the median distance of the last epochs from their
  // Theil–Sen line (RMSprop at 0.01: 7–15% of the level; the IMDB runs 0.2–4%).
  const scatter = median(window.map((v, x) => Math.abs(v - (fit.intercept + fit.slope * x)))) / Math.abs(endValLoss);
  const within = Math.max(o.riseTolerance, Number.isFinite(scatter) ? scatter : 0);
  const plateau = val.findIndex((v) => Number.isFinite(v) && riseOf(v, minValLoss) <= within);
  const after = plateau >= 0 ? val.slice(plateau + 1).filter(Number.isFinite) : [];
  if (plateau >= 0 && after.length >= n / 2 && riseOf(median(after), minValLoss) > o.riseTolerance && fairTrain[last] < fairTrain[plateau] / 2 && relGap >= o.closeGap) {
    return result(
      "overfitting",
      memorized ? "strong" : "mild",
      null,
      `${cap(valName)} was already within ${pct0(within)} of its minimum (${fmt(minValLoss)}, epoch ${bestEpoch}) at epoch ${plateau + 1} and never got clearly lower: over the ${after.length} epochs after, ` +
        `it sits ${pct(riseOf(median(after), minValLoss))} above that minimum (median) and ends at ${fmt(val[last])}, while ${trainName} fell from ${fmt(fairTrain[plateau])} to ${fmt(fairTrain[last])}; final gap ${fmt(finalGap)}${memorizedText}.`,
      plateau + 1,
    );
  }

  const close =
    `${trainName} ${fmt(fairTrain[last])} and ${valName} ${fmt(val[last])} are close at epoch ${n} (gap ${fmt(finalGap)}, ${pct(relGap)} of validation), ` +
    `with the validation curve ${Math.abs(trend) < o.steepFall ? "flat" : trend < 0 ? "falling" : "rising"} (${signedPct(trend)} per epoch over the last ${k} epochs)`;

  // Underfitting because of the penalty: the model fits its training data hardly better than unseen
  // data, and much of its training loss is the L1/L2 penalty. Checked before "still improving": a
  // curve that creeps down under a heavy penalty (L1 0.01: 70% of the loss) needs less penalty, not
  // more epochs.
  if (relGap < o.closeGap && penaltyShare !== undefined && penaltyShare >= o.penaltyShare) {
    return result(
      "underfitting",
      penaltyShare >= o.strongPenaltyShare ? "strong" : "mild",
      "over-regularized",
      `${cap(close)}, and the L1/L2 penalty is ${pct(penaltyShare)} of the training loss (${fmt(h.loss[last])}): the regularization is too strong for the model to fit its training data.`,
    );
  }

  // Underfitting, case 1: the validation curve still falls at the end (robustly), so training
  // stopped while the model was still learning things that generalize.
  const fall = -trend;
  if (fall > o.steepFall) {
    return result(
      "underfitting",
      fall > 3 * o.steepFall ? "strong" : "mild",
      "still improving",
      `${cap(valName)} is still falling at the end: about ${pct(fall)} per epoch over the last ${k} epochs (${fmt(val[n - k])} at epoch ${n - k + 1}, ${fmt(val[last])} at epoch ${n}); ` +
        "training stopped before the model learned all it can.",
    );
  }

  // Underfitting, case 2: the model fits its training data hardly better than unseen data: it lacks
  // the capacity (the book's "if you can't overfit, you can't fit").
  if (relGap < o.closeGap) {
    return result("underfitting", relGap < o.closeGap / 5 ? "strong" : "mild", "too little capacity", `${cap(close)}: the model cannot fit its training data much better than unseen data.`);
  }

  return result(
    "good fit",
    null,
    null,
    `${cap(valName)} reached ${fmt(minValLoss)} at epoch ${bestEpoch}; its trend ends at ${fmt(endValLoss)} (epoch ${n}: ${fmt(val[last])}), ${pct(rise)} above that minimum and flat (${signedPct(trend)} per epoch), ` +
      `while ${trainName} ${fmt(fairTrain[last])} is below validation by ${fmt(finalGap)}.`,
  );
}

/** "overfits strongly", "underfits mildly (still improving)", "good fit", "diverged (exploding loss)". */
function labelOf(verdict: Verdict, severity: Severity | null, cause: VerdictCause | null): string {
  const how = severity === null ? "" : ` ${severity}ly`;
  const why = cause === null ? "" : ` (${cause})`;
  switch (verdict) {
    case "overfitting":
      return `overfits${how}`;
    case "underfitting":
      return `underfits${how}${why}`;
    case "diverged":
      return `diverged${why}`;
    default:
      return "good fit";
  }
}

/**
 * This run's rise against the baseline's, in words; undefined when either has no finite minimum or
 * diverged. A factor is given only when both rise beyond `tolerance` (a ratio of two near-zero
 * rises means nothing).
 */
function relativeTo(d: Diagnosis, epochs: number, base: Diagnosis, baseEpochs: number, name: string, tolerance: number): RelativeDiagnosis | undefined {
  if (!Number.isFinite(d.rise) || !Number.isFinite(base.rise) || d.verdict === "diverged" || base.verdict === "diverged") return undefined;
  const factor = d.rise > 0 ? base.rise / d.rise : base.rise > 0 ? Infinity : 1;
  // A curve whose minimum is its last epoch has nothing after its minimum to rise: its `rise` is only
  // its trend line's end above the minimum (a jagged curve's), so it is said as the lowest at the end.
  const after = (x: Diagnosis, n: number, long: boolean, only = false): string =>
    x.bestEpoch === n ? "is lowest at its last epoch" : x.rise < 0.005 ? "does not rise after its minimum" : `rises ${only ? "only " : ""}${pct0(x.rise)}${long ? " after its minimum" : ""}`;
  const runRises = d.rise > tolerance;
  const baseRises = base.rise > tolerance;
  let text: string;
  if (!runRises && !baseRises) text = `${after(d, epochs, false)} and ${name} ${after(base, baseEpochs, true)}: neither overfits`;
  else if (!runRises) text = `${after(d, epochs, true, true)} where ${name} ${after(base, baseEpochs, false)}: it does not overfit, ${name} does`;
  else if (!baseRises) text = `${after(d, epochs, true)} where ${name} ${after(base, baseEpochs, false)}: it overfits, ${name} does not`;
  else {
    // Between 0.8 and 1.25 no factor is named, but a tenth either way is still said: "about as much"
    // beside "rises less in all 3 seeds" (dropout, factor 1.1–1.2) read as a contradiction.
    const how =
      factor >= 1.25 ? `overfits about ${times(factor)} less`
      : factor <= 0.8 ? `overfits about ${times(1 / factor)} more`
      : factor >= 1.1 ? "overfits a little less"
      : factor <= 1 / 1.1 ? "overfits a little more"
      : "overfits about as much";
    text = `${after(d, epochs, true)} where ${name} ${after(base, baseEpochs, false)}: ${how}`;
  }
  return {
    baseline: name,
    rise: d.rise,
    baselineRise: base.rise,
    factor,
    bestEpoch: d.bestEpoch,
    baselineBestEpoch: base.bestEpoch,
    minValLoss: d.minValLoss,
    baselineMinValLoss: base.minValLoss,
    text,
  };
}

/** "4×", "1.5×": whole numbers from 3 on, one decimal below. */
function times(f: number): string {
  return f >= 3 ? `${Math.round(f)}×` : `${f.toFixed(1)}×`;
}

interface Series {
  loss: number[];
  accuracy: number[] | undefined;
  valLoss: number[] | undefined;
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
  const valCrossentropy = series("val_crossentropy", false, "");
  const valLoss = series("val_loss", valCrossentropy === undefined, "diagnosis compares training with validation loss: train with validationSplit > 0 (e.g. 0.2)");
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

function checkOptions(options: DiagnoseOptions): Thresholds {
  if (options === null || typeof options !== "object") throw new Error(`diagnose: options must be an object of thresholds, got ${options === null ? "null" : typeof options}.`);
  const o = { ...DEFAULTS };
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (name === "baseline") {
      if (value === null || typeof value !== "object") throw new Error(`diagnose: options.baseline must be a run or a history (e.g. the original model's run), got ${value === null ? "null" : typeof value}.`);
      continue;
    }
    if (!(name in DEFAULTS)) throw new Error(`diagnose: unknown option "${name}"; allowed: ${[...Object.keys(DEFAULTS), "baseline"].join(", ")}.`);
    const key = name as keyof Thresholds;
    const ok =
      typeof value === "number" &&
      Number.isFinite(value) &&
      (key === "tail" ? Number.isInteger(value) && value >= 2 : key === "explodeFactor" ? value > 1 : key === "explodeLevel" ? value > 0 : value >= 0);
    if (!ok) {
      const allowed = key === "tail" ? "an integer ≥ 2" : key === "explodeFactor" ? "a number > 1" : key === "explodeLevel" ? "a number > 0" : "a number ≥ 0";
      throw new Error(`diagnose: options.${key} = ${String(value)} is invalid; it must be ${allowed} (default ${DEFAULTS[key]}).`);
    }
    o[key] = value as number;
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Three decimals; a tiny non-zero value (a memorized training loss) in two significant digits, never "0.000". */
const fmt = (x: number): string => (Math.abs(x) < 0.0005 && x !== 0 ? x.toPrecision(2) : x.toFixed(3));
/** Large values (an exploding loss) in exponent form. */
const fmtAny = (x: number): string => (Math.abs(x) >= 1e4 ? x.toExponential(2) : x.toFixed(3));
const fmt1 = (x: number): string => x.toFixed(1);
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const pct0 = (x: number): string => `${Math.round(x * 100)}%`;
const signedPct = (x: number): string => `${x >= 0 ? "+" : "−"}${(Math.abs(x) * 100).toFixed(1)}%`;
const cap = (s: string): string => s[0].toUpperCase() + s.slice(1);
