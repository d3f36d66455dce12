/**
 * The verdict rules, tried in order on a history's measurements (lib/reading/diagnosis/measure.ts): the first
 * that matches gives the verdict, its severity, its cause, the reason in numbers and the remedies.
 * Each rule sits beside the thresholds it uses and the measurements those thresholds were set from
 * (the lesson's runs over seeds 1–5 and 42, test/fixtures/histories): this file is where a teacher
 * reads why a run got its verdict. Like ESLint's rule modules or Keras's callbacks, one rule does one
 * thing; to change a verdict, change its rule (and the test in test/diagnose.test.ts that holds it).
 *
 * Every threshold is relative, so they suit any loss scale; each can be overridden by name through
 * `diagnose(run, { … })`.
 */
import { explodingLoss, fixed1, percent, reasonLoss, signedPercent, wholePercent } from "../../format";
import type { Severity, Verdict, VerdictCause } from "../../types";
import { lastFiniteBefore, median, riseOf, type Measurements } from "./measure";

/** What a matching rule says about a run. */
export interface Finding {
  verdict: Verdict;
  severity: Severity | null;
  cause: VerdictCause | null;
  reason: string;
  remedies: readonly string[];
  /** The epoch from which the run overfits (its best epoch), when it does. */
  overfitEpoch?: number;
}

/** One named rule: it matches a run's measurements (under the thresholds) or passes. */
export interface Rule {
  name: string;
  /** What it looks for, in a sentence. */
  looksFor: string;
  match(m: Measurements, t: Thresholds): Finding | undefined;
}

// ---------------------------------------------------------------------------------------------
// The book's remedies (Deep Learning with Python, ch. 5), and the narrower lists some causes need.

/**
 * The book's remedies by verdict, as short advice. A notebook can show one list as a table, e.g.
 * `REMEDIES.underfitting`.
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
  "not converged": [
    "Train longer: more epochs, until the validation loss stops falling (early stopping finds that epoch).",
    "Then read the curves again: only a run that has levelled off or turned up says whether the model underfits or overfits.",
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

/** A run that bounces needs smaller steps, not more capacity. */
const UNSTABLE_REMEDIES: readonly string[] = [
  "Lower the learning rate (e.g. by 10×): the steps are too large to settle.",
  "Or use larger batches, whose gradients are less noisy.",
];

/** A seed that got stuck needs another start, not another model. */
const STUCK_REMEDIES: readonly string[] = [
  "Train it again from another seed (another initialization): its siblings show the model can fit.",
  "Or give the layer more units, so a few dead ones do not starve it, or lower the learning rate.",
];

/** An over-regularized run needs less penalty, not more capacity. */
const OVER_REGULARIZED_REMEDIES: readonly string[] = [
  "Lower the L1/L2 factor (or the dropout rate): the penalty dominates the loss.",
  "Train longer only once the training loss can fall.",
];

// ---------------------------------------------------------------------------------------------
// The rules, in the order they are tried.

/** Explode factor: training loss above this multiple of its first-epoch value counts as exploding. */
const EXPLODE_FACTOR = 3;
/**
 * Explode level: any loss above this counts as exploding, whatever the first epoch did (a learning
 * rate of 1e10 explodes within the first epoch). A cross-entropy on clipped probabilities stays below
 * 17 per example (−ln 1e-7 = 16.1), so only diverging weights get there.
 */
const EXPLODE_LEVEL = 1000;

/** A NaN or infinite loss anywhere: the run diverged (TerminateOnNaN keeps the epoch that became NaN). */
const nonFiniteLoss: Rule = {
  name: "non-finite loss",
  looksFor: "a NaN or infinite value in any loss series",
  match(m) {
    const bad = m.firstNonFinite;
    if (bad < 0) return undefined;
    const s = m.series;
    const named = [
      ["training loss", s.loss],
      ["validation loss", s.valLoss],
      ["training cross-entropy", s.crossentropy],
      ["validation cross-entropy", s.valCrossentropy],
    ] as const;
    const [label, values] = named.find(([, xs]) => xs && !Number.isFinite(xs[bad]))!;
    const before = lastFiniteBefore(s.loss, bad);
    const tail = before < 0 ? "" : ` (last finite training loss ${reasonLoss(s.loss[before])} at epoch ${before + 1})`;
    return finding(
      "diverged",
      null,
      "non-finite loss",
      `${cap(label)} became ${values![bad]} at epoch ${bad + 1}${tail}: training diverged.`,
    );
  },
};

/** A loss no sane model reaches: the learning rate threw the weights off (1e10 on IMDB: 1e31–1e33). */
const lossAboveAnySaneLevel: Rule = {
  name: "loss above any sane level",
  looksFor: `a training loss above ${EXPLODE_LEVEL} (explodeLevel)`,
  match(m, t) {
    const loss = m.series.loss;
    if (!(loss[m.peak] > t.explodeLevel)) return undefined;
    return finding(
      "diverged",
      null,
      "exploding loss",
      `Training loss reached ${explodingLoss(loss[m.peak])} at epoch ${m.peak + 1} (a cross-entropy of a sane model stays below 17)` +
        (Number.isFinite(m.maxValAccuracy)
          ? `, and validation accuracy never exceeded ${percent(m.maxValAccuracy)}`
          : "") +
        ": steps far too large threw the weights off; training diverged from the minimum it was heading for. A learning rate far too high does this.",
    );
  },
};

/** A training loss that grows to several times its first epoch's. */
const lossExploded: Rule = {
  name: "loss exploded",
  looksFor: `a training loss above ${EXPLODE_FACTOR}× its first epoch's (explodeFactor)`,
  match(m, t) {
    const loss = m.series.loss;
    const first = loss[0];
    if (!(m.epochs > 1 && first > 0 && loss[m.peak] > t.explodeFactor * first)) return undefined;
    return finding(
      "diverged",
      null,
      "exploding loss",
      `Training loss exploded to ${explodingLoss(loss[m.peak])} at epoch ${m.peak + 1}, ${fixed1(loss[m.peak] / first)}× its epoch-1 value ${reasonLoss(first)}: training diverged.`,
    );
  },
};

/** One epoch shows no trend: whether the model underfits or overfits is not known yet (not converged). */
const oneEpoch: Rule = {
  name: "one epoch",
  looksFor: "a history of a single epoch",
  match(m) {
    if (m.epochs !== 1) return undefined;
    return finding(
      "not converged",
      null,
      "too short",
      `Only 1 epoch (${m.trainName} ${reasonLoss(m.train[0])}, ${m.valName} ${reasonLoss(m.val[0])}): too short to see a trend; train longer.`,
    );
  },
};

/**
 * Early stopping with the best weights restored: the model is the one of the kept epoch, and the
 * epochs after it (patience) are where the validation curve stopped improving. When the training data
 * was fitted clearly better than the validation data there (`closeGap`), that is the point where
 * overfitting begins, and the model from before it is a good fit. (Diagnosed as a plain history, those
 * last epochs would read as a curve still falling, or as the start of overfitting: measured on notebook
 * 5's early-stopped IMDB runs, seeds 42 and 1–4, both, depending on the seed.)
 */
const stoppedAtTheMinimum: Rule = {
  name: "stopped at the minimum",
  looksFor:
    "early stopping that restored the weights of the lowest epoch, the training data already fitted clearly better there",
  match(m, t) {
    const kept = m.kept;
    if (kept === undefined || kept >= m.epochs) return undefined;
    const i = kept - 1;
    const gapAtKept = (m.val[i] - m.train[i]) / Math.abs(m.val[i]);
    if (!(gapAtKept >= t.closeGap)) return undefined;
    const last = m.epochs - 1;
    return finding(
      "good fit",
      null,
      null,
      `Early stopping kept the weights of epoch ${kept}, where ${m.valName} was lowest (${reasonLoss(m.val[i])}); over the ${m.epochs - kept} epoch(s) after it, ` +
        `it rose to ${reasonLoss(m.val[last])} while ${m.trainName} kept falling (${reasonLoss(m.train[i])} → ${reasonLoss(m.train[last])}): training stopped where overfitting begins, and the model is the one from before.`,
    );
  },
};

/**
 * Stuck factor: a seed is stuck when its final training loss is more than this multiple of the median
 * of its siblings' (the same configuration's other seeds) and its lowest validation loss more than
 * `stuckValFactor` times theirs: it cannot fit what they fit. Measured against the median of the other
 * recorded seeds: IMDB `Dense(4)` seed 9 ends at training loss 0.268, 2.95× theirs (0.076–0.101), and
 * its minimum 0.415 is 1.46× theirs (0.284–0.286); in every other recorded seed group the highest
 * ratios are 1.79× (training: smaller 4×2, seed 1, which overfits like its siblings) and 1.18×
 * (validation: noise channels, seed 2).
 */
const STUCK_FACTOR = 2;
/** The lowest-validation-loss ratio a stuck seed also needs (see `stuckFactor`). */
const STUCK_VAL_FACTOR = 1.3;
/**
 * Dead share: a run that measured its first layer's dead ReLU units (`run.deadUnits`) and has at least
 * this share of them dead, with the validation curve no better than its siblings', is stuck too.
 */
const DEAD_SHARE = 0.5;

/**
 * Stuck: the run's training loss stays high while its seed siblings fit, or half its first layer's
 * units never fire. An unlucky initialization leaves ReLU units dead; a small layer has too few left.
 */
const stuck: Rule = {
  name: "stuck",
  looksFor: `a final training loss over ${STUCK_FACTOR}× its seed siblings' (median) and a minimum over ${STUCK_VAL_FACTOR}× theirs, or half its first layer's units dead`,
  match(m, t) {
    const last = m.epochs - 1;
    const dead =
      m.deadUnits && m.deadUnits.units > 0 && m.deadUnits.dead / m.deadUnits.units >= t.deadShare
        ? m.deadUnits
        : undefined;
    const deadText = m.deadUnits
      ? `; ${m.deadUnits.dead} of its ${m.deadUnits.units} first-layer units are dead (zero on every training example)`
      : "";
    const sib = m.siblings;
    if (sib && sib.finalTrain.length >= 2) {
      const train = median(sib.finalTrain);
      const min = median(sib.minVal);
      if (m.train[last] > t.stuckFactor * train && m.minValLoss > t.stuckValFactor * min) {
        return finding(
          "underfitting",
          "strong",
          "stuck",
          `${cap(m.trainName)} ends at ${reasonLoss(m.train[last])} while the same model's ${sib.finalTrain.length} other seeds reach ${reasonLoss(train)} (median), and its lowest ${m.valName}, ${reasonLoss(m.minValLoss)} at epoch ${m.bestEpoch}, ` +
            `stays above theirs (${reasonLoss(min)})${deadText}: this seed got stuck where its siblings fit; an unlucky initialization, not the model.`,
        );
      }
      return undefined;
    }
    if (!dead) return undefined;
    return finding(
      "underfitting",
      "strong",
      "stuck",
      `${dead.dead} of the ${dead.units} first-layer units are dead (zero on every training example), and ${m.trainName} ends at ${reasonLoss(m.train[last])}: the layer has too few working units left to fit its training data; an unlucky initialization.`,
    );
  },
};

/**
 * Rise tolerance: overfitting needs the validation curve to end (robustly) more than this fraction above
 * its minimum. Measured on the full data: runs that keep rising after their minimum end 9–173% above it
 * (IMDB tiny 9–20%), flat ones 0–4% (IMDB L1, L1+L2).
 */
const RISE_TOLERANCE = 0.05;
/**
 * Strong rise: overfitting is "strong" when the curve ends at least this far above its minimum and still
 * climbs `strongTrend` per epoch, or ends 1.5× this far above it whatever its climb (a curve that has
 * risen that much may level off). Measured over seeds 42 and 1–5 (tail 8): the original 16×2 101–118%,
 * 512×2 160–173%, dropout 71–93%, L2(0.0001) + dropout 60–85% (strong); smaller 4×2 14–50%, L2(0.002)
 * 20–35%, tiny 9–20%, MNIST Dense(128)×2 44–61% (mild). No single rise separates MNIST's 61% (seed 42)
 * from L2 + dropout's 60% (seed 2); the climb does.
 */
const STRONG_RISE = 0.55;
/**
 * Moderate rise: below `strongRise`, overfitting is "moderate" from this rise on and "mild" under it. The
 * lesson's runs spread over it seed by seed, as their curves do: IMDB tiny 9–20% and notebook 5's MNIST
 * Dense(128)×2 14–27% (mild), L2(0.002) 20–35% (mild, seed 5 moderate), smaller 4×2 14–50% (seeds 1 and 3
 * mild, 2, 4, 5, 42 moderate), MNIST Dense(128)×2 45–53% (moderate).
 */
const MODERATE_RISE = 0.3;
/**
 * Strong trend: the climb per epoch over the last `tail` epochs (relative to the end level) that strong
 * overfitting below 1.5 × `strongRise` also needs. Measured: dropout 4.2–4.8%, L2 + dropout 3.6–4.7%,
 * original 3.0–4.4%; MNIST Dense(128)×2 2.6%, smaller 4×2 1.8–3.3%, L2 0.8–2.5%.
 */
const STRONG_TREND = 0.03;
/**
 * Memorized gap: overfitting is also "strong" when the final training accuracy is more than this above
 * the best validation accuracy: the model memorized its training data, and what it learned does not
 * carry over at all. Measured: notebook 5's shuffled labels 79–83 points (training 95–97%, validation
 * never above 16%); every other run of the lesson 15 points or less (the original IMDB model 11, MNIST
 * Dense(128)×2 2).
 */
const MEMORIZED_GAP = 0.3;

/** Training accuracy more than `memorizedGap` above the best validation accuracy (shuffled labels). */
function memorized(m: Measurements, t: Thresholds): boolean {
  return m.trainAccuracy - m.maxValAccuracy > t.memorizedGap;
}
function memorizedText(m: Measurements, t: Thresholds): string {
  return memorized(m, t)
    ? `; training accuracy ${percent(m.trainAccuracy)} against at best ${percent(m.maxValAccuracy)} on validation: it memorized its training data`
    : "";
}

/** Overfitting: the validation curve ends clearly above its minimum, reached earlier, while the model keeps fitting its training data better. */
const risesAfterItsMinimum: Rule = {
  name: "rises after its minimum",
  looksFor: `a validation curve ending more than ${wholePercent(RISE_TOLERANCE)} above an earlier minimum (riseTolerance) while the training loss kept falling`,
  match(m, t) {
    const last = m.epochs - 1;
    if (!(m.best < last && m.rise > t.riseTolerance && m.train[last] < m.train[m.best])) return undefined;
    const strong =
      memorized(m, t) || m.rise >= 1.5 * t.strongRise || (m.rise >= t.strongRise && m.trend >= t.strongTrend);
    return finding(
      "overfitting",
      strong ? "strong" : m.rise >= t.moderateRise ? "moderate" : "mild",
      null,
      `${cap(m.valName)} fell to ${reasonLoss(m.minValLoss)} at epoch ${m.bestEpoch}; its trend ends at ${reasonLoss(m.endValLoss)} (epoch ${m.epochs}: ${reasonLoss(m.val[last])}), ${percent(m.rise)} above that minimum, ` +
        `while ${m.trainName} went from ${reasonLoss(m.train[m.best])} to ${reasonLoss(m.train[last])}; final gap ${reasonLoss(m.finalGap)}${memorizedText(m, t)}.`,
      m.bestEpoch,
    );
  },
};

/**
 * Unstable: the validation curve ends clearly above its minimum, but not because the model fits its
 * training data better (that would be overfitting): the training loss is no lower than at the best epoch
 * either. Steps too large to settle (RMSprop at 0.01 on MNIST bounces like this); calling it "still
 * improving" from a falling stretch after the bounce would contradict the minimum.
 */
const bouncesAboveItsMinimum: Rule = {
  name: "bounces above its minimum",
  looksFor: "a validation curve ending clearly above an earlier minimum while the training loss is no lower than then",
  match(m, t) {
    const last = m.epochs - 1;
    if (!(m.best < last && m.rise > t.riseTolerance && !(m.train[last] < m.train[m.best]))) return undefined;
    return finding(
      "underfitting",
      "mild",
      "unstable",
      `${cap(m.valName)} was lowest at epoch ${m.bestEpoch} (${reasonLoss(m.minValLoss)}); its trend ends at ${reasonLoss(m.endValLoss)} (epoch ${m.epochs}: ${reasonLoss(m.val[last])}), ${percent(m.rise)} above that minimum, ` +
        `while ${m.trainName} is no lower than then (${reasonLoss(m.train[m.best])} → ${reasonLoss(m.train[last])}): training is not settling; a lower learning rate steadies it.`,
    );
  },
};

/**
 * Overfitting that a trend over the last epochs misses in a short, bouncing run: the validation curve
 * came near its minimum early, has not improved on that for at least half the run and sits clearly above
 * it since (the median of the later epochs), while the training loss kept falling (to under half) and
 * ends far below validation. RMSprop at 0.01 on 3,000 MNIST images (notebook 5): validation cross-entropy
 * 0.28–0.31 by epoch 2–4, then bouncing 8–66% above it (median) to epoch 10 while training cross-entropy
 * falls to 0.005–0.10, seeds 42 and 1–4. In 10 epochs, a trend over the last 8 mostly measures the first
 * descent (−3% per epoch: "still improving"). "Within" allows for the curve's own scatter: the median
 * distance of the last epochs from their Theil–Sen line (RMSprop at 0.01: 7–15% of the level; the IMDB
 * runs 0.2–4%).
 */
const noBetterSinceEarly: Rule = {
  name: "no better since early on",
  looksFor:
    "a validation curve near its minimum early, clearly above it (median) for at least half the run since, the training loss halved and far below",
  match(m, t) {
    const n = m.epochs;
    const last = n - 1;
    const within = Math.max(t.riseTolerance, Number.isFinite(m.scatter) ? m.scatter : 0);
    const plateau = m.val.findIndex((v) => Number.isFinite(v) && riseOf(v, m.minValLoss) <= within);
    const after = plateau >= 0 ? m.val.slice(plateau + 1).filter(Number.isFinite) : [];
    if (!(
      plateau >= 0 &&
      after.length >= n / 2 &&
      riseOf(median(after), m.minValLoss) > t.riseTolerance &&
      m.train[last] < m.train[plateau] / 2 &&
      m.relGap >= t.closeGap
    )) {
      return undefined;
    }
    return finding(
      "overfitting",
      memorized(m, t) ? "strong" : "mild",
      null,
      `${cap(m.valName)} was already within ${wholePercent(within)} of its minimum (${reasonLoss(m.minValLoss)}, epoch ${m.bestEpoch}) at epoch ${plateau + 1} and never got clearly lower: over the ${after.length} epochs after, ` +
        `it sits ${percent(riseOf(median(after), m.minValLoss))} above that minimum (median) and ends at ${reasonLoss(m.val[last])}, while ${m.trainName} fell from ${reasonLoss(m.train[plateau])} to ${reasonLoss(m.train[last])}; final gap ${reasonLoss(m.finalGap)}${memorizedText(m, t)}.`,
      plateau + 1,
    );
  },
};

/**
 * Close gap: training and validation loss count as "close" when the final gap (val − train) is below this
 * fraction of the validation loss. A model that fits its training data barely better than unseen data
 * underfits. Measured: MNIST Dense(10) 7%, IMDB L1(0.001) 8–22% (its training accuracy 88–89%,
 * validation 87–88%); every IMDB model that overfits 55–99%. Below a fifth of this (5%) the
 * underfitting is "strong".
 */
const CLOSE_GAP = 0.25;
/**
 * Penalty share: a run whose training and validation cross-entropy are close (`closeGap`) and whose final
 * training loss is at least this share of penalty ((loss − crossentropy) / loss) is called
 * over-regularized. Measured: L2(0.002) 42% but far from close (it overfits mildly), L2(0.0001) + dropout
 * 10–14%.
 */
const PENALTY_SHARE = 0.3;
/**
 * Strong penalty share: over-regularization is "strong" from this penalty share on. Measured: IMDB
 * L1(0.001) 42–43% (mild), L1(0.01) 68–71% (strong: validation cross-entropy 0.41–0.46 against the
 * original's 0.29).
 */
const STRONG_PENALTY_SHARE = 0.55;

/** "Training … and validation … are close at epoch n (gap …), with the validation curve flat (…)". */
function closeText(m: Measurements, t: Thresholds): string {
  const last = m.epochs - 1;
  return (
    `${m.trainName} ${reasonLoss(m.train[last])} and ${m.valName} ${reasonLoss(m.val[last])} are close at epoch ${m.epochs} (gap ${reasonLoss(m.finalGap)}, ${percent(m.relGap)} of validation), ` +
    `with the validation curve ${curveShape(m, t)} (${signedPercent(m.trend)} per epoch over the last ${m.tail} epochs)`
  );
}

/**
 * What more epochs would do for a curve that falls less than steepFall per epoch: one still lowest at
 * its last epoch and falling is said to be falling slowly (more epochs would lower it a little), not
 * to have levelled off (L1 at −0.7% per epoch, lowest at epoch 20).
 */
function slowEnd(m: Measurements, t: Thresholds): string {
  if (Math.abs(m.trend) >= t.steepFall) return "";
  return m.trend < 0 && m.bestEpoch === m.epochs
    ? ` (still falling slowly, ${signedPercent(m.trend)} per epoch over the last ${m.tail} epochs: more epochs would lower it a little)`
    : " (the curve has levelled off: more epochs would not lower it much)";
}

/** "flat", "falling", "rising"; a curve whose lowest point is its last epoch is not called flat: it has levelled off but is still lowest there. */
function curveShape(m: Measurements, t: Thresholds): string {
  if (Math.abs(m.trend) >= t.steepFall) return m.trend < 0 ? "falling" : "rising";
  return m.bestEpoch === m.epochs ? "levelling off, lowest at its last epoch" : "flat";
}

/**
 * Underfitting because of the penalty: the model fits its training data hardly better than unseen data,
 * and much of its training loss is the L1/L2 penalty. Tried before "still improving": a curve that creeps
 * down under a heavy penalty (L1 0.01: 70% of the loss) needs less penalty, not more epochs.
 */
const penaltyDominates: Rule = {
  name: "penalty dominates",
  looksFor: `close curves (gap under ${wholePercent(CLOSE_GAP)} of validation) with at least ${wholePercent(PENALTY_SHARE)} of the training loss the L1/L2 penalty`,
  match(m, t) {
    if (!(m.relGap < t.closeGap && m.penaltyShare !== undefined && m.penaltyShare >= t.penaltyShare)) return undefined;
    return finding(
      "underfitting",
      m.penaltyShare >= t.strongPenaltyShare ? "strong" : "mild",
      "over-regularized",
      `${cap(closeText(m, t))}, and the L1/L2 penalty is ${percent(m.penaltyShare)} of the training loss (${reasonLoss(m.series.loss[m.epochs - 1])}): the regularization is too strong for the model to fit its training data, ` +
        `and its lowest ${m.valName}, ${reasonLoss(m.minValLoss)} at epoch ${m.bestEpoch}, is the number to compare with a lighter penalty's${slowEnd(m, t)}.`,
    );
  },
};

/**
 * Steep fall: validation loss still "falling" at the end: its robust fall per epoch over the last `tail`
 * epochs, relative to its end level, above this fraction (1% per epoch): training stopped while the model
 * was still learning. From 3× this the underfitting is "strong". Measured on notebook 5's runs (3,000
 * MNIST images, seeds 42 and 1–4): Dense(10) for 20 epochs falls 1.9–2.1% per epoch (mild), Dense(512)
 * with zero channels for 10 epochs 3.8–7.3%, with noise channels 10–14% (strong).
 */
const STEEP_FALL = 0.01;

/**
 * Training still falling: a run whose validation curve is lowest at its last epoch, however slowly it
 * falls, has not converged either while its training loss still falls faster than this per epoch (over
 * the last `tail` epochs, relative to its end level). Measured: IMDB `Dense(4)` seed 9 (a stuck seed,
 * read alone, without its siblings) 3.3%; MNIST Dense(10), lowest at epoch 20 in two seeds, 0.5%
 * (levelled off).
 */
const TRAIN_STILL_FALLING = 0.02;

/**
 * Not converged: the validation curve still falls at the end (robustly), or is lowest at its last epoch
 * while the training loss still falls fast: training stopped while the model was still learning things
 * that generalize. Whether it would underfit or overfit is not known yet: train longer.
 */
const stillFalling: Rule = {
  name: "still falling",
  looksFor: `a validation curve still falling more than ${wholePercent(STEEP_FALL)} per epoch over the last epochs (steepFall), or lowest at its last epoch with the training loss falling over ${wholePercent(TRAIN_STILL_FALLING)} per epoch`,
  match(m, t) {
    const fall = -m.trend;
    const n = m.epochs;
    const k = m.tail;
    if (fall > t.steepFall) {
      return finding(
        "not converged",
        null,
        "still improving",
        // Said as a trend when the last epoch is not the lowest (notebook 5's noise channels: lowest 0.420
        // at epoch 9, 0.473 at epoch 10), so the numbers beside it cannot contradict "still falling".
        (m.bestEpoch === n
          ? `${cap(m.valName)} is still falling at the end: about ${percent(fall)} per epoch over the last ${k} epochs (${reasonLoss(m.val[n - k])} at epoch ${n - k + 1}, ${reasonLoss(m.val[n - 1])} at epoch ${n}); `
          : `${cap(m.valName)} trends down over the last ${k} epochs, about ${percent(fall)} per epoch (${reasonLoss(m.val[n - k])} at epoch ${n - k + 1}, ${reasonLoss(m.val[n - 1])} at epoch ${n}; lowest ${reasonLoss(m.val[m.bestEpoch - 1])} at epoch ${m.bestEpoch}); `) +
          "training stopped before the model learned all it can: train longer before judging it.",
      );
    }
    if (m.bestEpoch === n && -m.trainTrend > t.trainStillFalling) {
      return finding(
        "not converged",
        null,
        "still improving",
        `${cap(m.valName)} is lowest at the last epoch (${reasonLoss(m.val[n - 1])}, epoch ${n}) while ${m.trainName} still falls about ${percent(-m.trainTrend)} per epoch (to ${reasonLoss(m.train[n - 1])}): ` +
          "training stopped before the model learned all it can: train longer before judging it.",
      );
    }
    return undefined;
  },
};

/** The model fits its training data hardly better than unseen data: it lacks the capacity (the book's "if you can't overfit, you can't fit"). */
const cannotFitTraining: Rule = {
  name: "cannot fit its training data",
  looksFor: `close curves (gap under ${wholePercent(CLOSE_GAP)} of validation, closeGap) with a flat validation curve`,
  match(m, t) {
    if (!(m.relGap < t.closeGap)) return undefined;
    return finding(
      "underfitting",
      m.relGap < t.closeGap / 5 ? "strong" : "mild",
      "too little capacity",
      `${cap(closeText(m, t))}: the model cannot fit its training data much better than unseen data.`,
    );
  },
};

/** None of the above: the validation curve has levelled off near its minimum and training is clearly better. */
const levelledOff: Rule = {
  name: "levelled off",
  looksFor: "anything else: a flat validation curve near its minimum, the training data fitted clearly better",
  match(m) {
    const last = m.epochs - 1;
    return finding(
      "good fit",
      null,
      null,
      `${cap(m.valName)} reached ${reasonLoss(m.minValLoss)} at epoch ${m.bestEpoch}; its trend ends at ${reasonLoss(m.endValLoss)} (epoch ${m.epochs}: ${reasonLoss(m.val[last])}), ${percent(m.rise)} above that minimum and flat (${signedPercent(m.trend)} per epoch), ` +
        `while ${m.trainName} ${reasonLoss(m.train[last])} is below validation by ${reasonLoss(m.finalGap)}.`,
    );
  },
};

/** The rules in the order they are tried; the last always matches. */
export const RULES: readonly Rule[] = [
  nonFiniteLoss,
  lossAboveAnySaneLevel,
  lossExploded,
  oneEpoch,
  stoppedAtTheMinimum,
  stuck,
  risesAfterItsMinimum,
  bouncesAboveItsMinimum,
  noBetterSinceEarly,
  penaltyDominates,
  stillFalling,
  cannotFitTraining,
  levelledOff,
];

/** How many final epochs the robust end level and trend are fitted through: with 6, two spikes at the window's start (IMDB L1 seed 42, epochs 16–17) tilted a flat curve to −3% per epoch. */
const TAIL = 8;

/** The thresholds of the rules, by the option names `diagnose` takes. */
export interface Thresholds {
  riseTolerance: number;
  strongRise: number;
  moderateRise: number;
  strongTrend: number;
  closeGap: number;
  steepFall: number;
  trainStillFalling: number;
  memorizedGap: number;
  explodeFactor: number;
  explodeLevel: number;
  penaltyShare: number;
  strongPenaltyShare: number;
  stuckFactor: number;
  stuckValFactor: number;
  deadShare: number;
  tail: number;
}

export const DEFAULTS: Readonly<Thresholds> = {
  riseTolerance: RISE_TOLERANCE,
  strongRise: STRONG_RISE,
  moderateRise: MODERATE_RISE,
  strongTrend: STRONG_TREND,
  closeGap: CLOSE_GAP,
  steepFall: STEEP_FALL,
  trainStillFalling: TRAIN_STILL_FALLING,
  memorizedGap: MEMORIZED_GAP,
  explodeFactor: EXPLODE_FACTOR,
  explodeLevel: EXPLODE_LEVEL,
  penaltyShare: PENALTY_SHARE,
  strongPenaltyShare: STRONG_PENALTY_SHARE,
  stuckFactor: STUCK_FACTOR,
  stuckValFactor: STUCK_VAL_FACTOR,
  deadShare: DEAD_SHARE,
  tail: TAIL,
};

/** The first rule that matches, with its finding. */
export function firstMatch(m: Measurements, t: Thresholds): { rule: Rule; finding: Finding } {
  for (const rule of RULES) {
    const f = rule.match(m, t);
    if (f) return { rule, finding: f };
  }
  throw new Error(
    "diagnose: no rule matched (the last rule always matches; this is a bug in lib/reading/diagnosis/rules.ts).",
  );
}

function finding(
  verdict: Verdict,
  severity: Severity | null,
  cause: VerdictCause | null,
  reason: string,
  overfitEpoch?: number,
): Finding {
  const remedies =
    cause === "over-regularized"
      ? OVER_REGULARIZED_REMEDIES
      : cause === "unstable"
        ? UNSTABLE_REMEDIES
        : cause === "too little capacity"
          ? CAPACITY_REMEDIES
          : cause === "stuck"
            ? STUCK_REMEDIES
            : REMEDIES[verdict];
  return { verdict, severity, cause, reason, remedies, ...(overfitEpoch !== undefined ? { overfitEpoch } : {}) };
}

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}
