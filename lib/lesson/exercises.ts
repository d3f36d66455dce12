/**
 * Exercises that check themselves: each `check…` trains the learner's choice (or reads it from the
 * run cache: the lesson's own configuration is cached, so an unedited exercise answers at once),
 * measures it (lib/reading/measures.ts: plain numbers, no verdict words) and answers ✓ or ✗ with the
 * numbers against each goal and, when a goal is missed, one hint. The goals' targets are named
 * constants below, chosen from the lesson's measured runs so that each exercise has an answer
 * (test/exercises.test.ts solves each once and shows a wrong answer gets ✗).
 */
import { fail } from "../check";
import { percent as formatAccuracy, roughPercent as formatPercent, smallLoss as formatLoss } from "../format";
import { measure, measureSeeds } from "../reading/measures";
import { variant, variants, type ModelSpec } from "./models";
import type { Sweep } from "./sweeps";
import { train, type Run, type TrainOptions } from "../runs/train";
import { trainSeeds, type SeedOptions } from "../runs/trainSeeds";
import type { Features, RunLike } from "../types";

/** One goal of an exercise, measured. */
export interface GoalResult {
  /** e.g. "best validation accuracy". */
  what: string;
  value: number;
  op: "≤" | "≥" | "<" | ">";
  target: number;
  met: boolean;
  /** e.g. "best validation accuracy 92.6% ≥ 97.0% ✗". */
  text: string;
}

/** What a check answers: ✓ when every goal is met. */
export interface CheckResult {
  exercise: string;
  passed: boolean;
  goals: GoalResult[];
  /** One hint when a goal is missed; null when passed. */
  hint: string | null;
  /** The run (or seeds) that was checked. */
  run: RunLike;
  /** The answer as the notebook prints it: ✓/✗, the exercise, each goal's numbers, the hint. */
  text: string;
}

type Format = (v: number) => string;
const acc: Format = formatAccuracy;
const pct: Format = formatPercent;
const loss: Format = formatLoss;
const int: Format = (v) => String(v);

function goal(what: string, value: number, op: GoalResult["op"], target: number, format: Format): GoalResult {
  const met =
    op === "≤" ? value <= target : op === "≥" ? value >= target : op === ">" ? value > target : value < target;
  return { what, value, op, target, met, text: `${what} ${format(value)} ${op} ${format(target)} ${met ? "✓" : "✗"}` };
}

/** `checked`: lines saying what was measured, printed between the exercise's name and its goals. */
function answer(
  exercise: string,
  run: RunLike,
  goals: GoalResult[],
  hint: string,
  checked: string[] = [],
): CheckResult {
  const passed = goals.every((g) => g.met);
  const seeds = run.seedRuns && run.seedRuns.length > 1 ? ` (mean of ${run.seedRuns.length} seeds)` : "";
  const lines = [
    `${passed ? "✓" : "✗"} ${exercise}: ${run.name}${seeds}`,
    ...checked.map((c) => `  ${c}`),
    ...goals.map((g) => `  ${g.text}`),
  ];
  if (!passed) lines.push(`  Hint: ${hint}`);
  return { exercise, passed, goals, hint: passed ? null : hint, run, text: lines.join("\n") };
}

function checkSpec(where: string, spec: unknown): ModelSpec {
  if (!spec || typeof spec !== "object" || !Array.isArray((spec as ModelSpec).hidden)) {
    fail(
      where,
      "model",
      spec,
      'pass a model spec, e.g. variant("mnist.large", { units: 32 }) or variants.imdb.original',
    );
  }
  return spec as ModelSpec;
}

// ---------------------------------------------------------------------------------------------
// Notebook 2 (MNIST)

/** Exercise 2.1's targets: notebook 1's small model ends near 92–93% and a training loss near 0.25. */
export const STOP_UNDERFITTING = { minAccuracy: 0.97, maxTrainLoss: 0.1 };

/**
 * Exercise 2.1: make the small MNIST model stop underfitting. ✓ when `model`'s best validation
 * accuracy reaches 97% and its training cross-entropy ends below 0.1 (it can fit its training images).
 */
export async function checkStopsUnderfitting(
  model: ModelSpec,
  x: Features | import("@tensorflow/tfjs").Tensor,
  y: ArrayLike<number> | import("@tensorflow/tfjs").Tensor,
  options: SeedOptions,
): Promise<CheckResult> {
  const spec = checkSpec("checkStopsUnderfitting", model);
  const run = await trainSeeds(spec, x, y, { verbose: 0, ...options, name: options.name ?? spec.name ?? "your model" });
  const m = measure(run);
  const goals = [
    goal("best validation accuracy", m.maxValAccuracy, "≥", STOP_UNDERFITTING.minAccuracy, acc),
    goal("final training cross-entropy", m.finalTrainLoss, "≤", STOP_UNDERFITTING.maxTrainLoss, loss),
  ];
  const hint =
    m.finalTrainLoss > STOP_UNDERFITTING.maxTrainLoss
      ? 'the training loss stays high, so the model cannot fit even the images it trains on: give it capacity (hidden layers, e.g. variant("mnist.large", { units: … })).'
      : "it fits its training images; if validation lags, try fewer units or fewer epochs.";
  return answer("Exercise 2.1 · stop underfitting", run, goals, hint);
}

/** Exercise 2.2's targets: at most 32 units (the article: 128) while keeping 96% best validation accuracy (measured: 32 units 96.4–96.6%, 16 units 95.3–95.4%). */
export const SMALL_WIDTH = { maxUnits: 32, minAccuracy: 0.96 };

/**
 * Exercise 2.2: the smallest two-hidden-layer MNIST network that still reaches 96% best validation
 * accuracy. ✓ when `units` ≤ 32 and the network `variant("mnist.large", { units })` reaches it.
 */
export async function checkSmallWidth(
  units: number,
  x: Features | import("@tensorflow/tfjs").Tensor,
  y: ArrayLike<number> | import("@tensorflow/tfjs").Tensor,
  options: SeedOptions,
): Promise<CheckResult> {
  if (!(Number.isInteger(units) && units >= 1 && units <= 2048))
    fail("checkSmallWidth", "units", units, "it must be an integer in 1..2048, e.g. 64");
  const run = await trainSeeds(variant("mnist.large", { units }), x, y, {
    verbose: 0,
    ...options,
    name: `${units} units`,
  });
  const m = measure(run);
  const goals = [
    goal("units per hidden layer", units, "≤", SMALL_WIDTH.maxUnits, int),
    goal("best validation accuracy", m.maxValAccuracy, "≥", SMALL_WIDTH.minAccuracy, acc),
  ];
  const hint =
    m.maxValAccuracy < SMALL_WIDTH.minAccuracy
      ? "too few units to reach the accuracy: go up again (halve the distance to the last width that reached it)."
      : "the accuracy is there: try fewer units (halve them) until it is not.";
  return answer("Exercise 2.2 · the smallest network that is enough", run, goals, hint);
}

// ---------------------------------------------------------------------------------------------
// Notebooks 3 and 4 (IMDB)

/**
 * Exercise 3.1: read the capacity curve: at which width does the validation cross-entropy END lowest
 * (the last epoch, where an overfitting network has climbed)? ✓ when `units`'s final validation
 * cross-entropy (mean over the sweep's seeds) is within 0.02 of the lowest. Trains nothing: it reads
 * the sweep's runs.
 */
export const LOWEST_END_TOLERANCE = 0.02;

export function checkLowestEnd(units: number, sweep: Sweep): CheckResult {
  if (!sweep || sweep.kind !== "width")
    fail("checkLowestEnd", "sweep", sweep?.kind, 'pass the capacity sweep: trainSweep("width", …)');
  const at = sweep.values.indexOf(units);
  if (at < 0)
    fail("checkLowestEnd", "units", units, `choose one of the widths on the curve: ${sweep.values.join(", ")}`);
  const ends = sweep.groups.map((g) => measure(g).lastValLoss);
  const lowest = Math.min(...ends);
  const best = sweep.values[ends.indexOf(lowest)];
  const epochs = [...new Set(sweep.groups.map((g) => g.history.epoch.length))].join(" or ");
  // "means over 3 seeds; 256 and 512 units: 1 seed": the widths grouped by how many seeds they have, the first width's count first.
  const seeds = sweep.groups.map((g) => measureSeeds(g).length);
  const counts = [...new Set(seeds)];
  const plural = (n: number) => `${n} seed${n === 1 ? "" : "s"}`;
  const widthsWith = (n: number) => sweep.values.filter((_, i) => seeds[i] === n);
  const seedNote = [
    `means over ${plural(counts[0])}`,
    ...counts.slice(1).map((n) => `${widthsWith(n).join(" and ")} units: ${plural(n)}`),
  ].join("; ");
  // A wrong answer is not given the right one: it learns its own width's end and a direction; the
  // whole list comes with the ✓ (the exercise is to read the curve).
  const met = ends[at] - lowest <= LOWEST_END_TOLERANCE;
  const checked = met
    ? [
        `Checked: each width's validation cross-entropy at the last epoch (${epochs}), read from the capacity curve's runs (${seedNote}):`,
        `  ${sweep.values.map((v, i) => `${v} units ${loss(ends[i])}`).join(", ")}.`,
        `Lowest: ${best} units (${loss(lowest)}). Yours, ${units} units, must end within ${loss(LOWEST_END_TOLERANCE)} of it:`,
      ]
    : [
        `Checked: each width's validation cross-entropy at the last epoch (${epochs}), read from the capacity curve's runs (${seedNote}).`,
        `Yours, ${units} units, ends at ${loss(ends[at])}; it must end within ${loss(LOWEST_END_TOLERANCE)} of the lowest width's:`,
      ];
  const goals = [goal(`${units} units end above the lowest by`, ends[at] - lowest, "≤", LOWEST_END_TOLERANCE, loss)];
  const hint =
    units > best
      ? "a wider network fits its training reviews faster, and its validation curve climbs further by the last epoch: look at narrower ones."
      : "look at wider networks on the curve.";
  return answer("Exercise 3.1 · where the validation curve ends lowest", sweep.groups[at], goals, hint, checked);
}

/** Exercises 3.2 and 4.1: a rise under 10% after the minimum, with a minimum ≤ 0.31 (measured: L2 0.005 rises 5–7% from 0.298–0.300; the original rises about 105% from 0.29). */
export const OVERFIT_LESS = { maxRise: 0.1, maxMinimum: 0.31 };

/**
 * Exercise 4.1 (and 3.2 through checkStopEpoch): change one thing of the original IMDB model (its
 * number of epochs in notebook 3; a penalty or dropout in notebook 4) so that its validation
 * cross-entropy ends less than 10% above its minimum while the minimum stays ≤ 0.31.
 */
export async function checkOverfitsLess(
  model: ModelSpec,
  x: Features,
  y: ArrayLike<number>,
  options: SeedOptions,
  exercise = "· overfit less",
): Promise<CheckResult> {
  return overfitsLess("checkOverfitsLess", model, x, y, options, exercise, {
    overfits:
      "it still overfits: make the penalty stronger or the dropout rate higher (the two things this exercise lets you change).",
    fitsLess: "it no longer overfits, but it fits less well too: constrain it less.",
  });
}

/**
 * Exercise 3.2: the original IMDB model with only its number of epochs changed, held to the goals of
 * checkOverfitsLess; its hints speak of epochs, the one thing the learner may change.
 */
export async function checkStopEpoch(
  model: ModelSpec,
  x: Features,
  y: ArrayLike<number>,
  options: SeedOptions,
  exercise = "3.2 · when to stop",
): Promise<CheckResult> {
  return overfitsLess("checkStopEpoch", model, x, y, options, exercise, {
    overfits:
      "it still overfits: stop it sooner, nearer the epoch of its minimum (the line under its figure gives it).",
    fitsLess: "it stops before it has learned enough: let it train a few epochs longer.",
  });
}

async function overfitsLess(
  where: string,
  model: ModelSpec,
  x: Features,
  y: ArrayLike<number>,
  options: SeedOptions,
  exercise: string,
  hints: { overfits: string; fitsLess: string },
): Promise<CheckResult> {
  const spec = checkSpec(where, model);
  const run = await trainSeeds(spec, x, y, { verbose: 0, ...options, name: options.name ?? spec.name ?? "your model" });
  const m = measure(run);
  const goals = [
    goal(
      `rise after the minimum (trend over the last ${m.trendEpochs} epochs)`,
      m.rise,
      "<",
      OVERFIT_LESS.maxRise,
      pct,
    ),
    goal(`lowest validation cross-entropy (epoch ${m.bestEpoch})`, m.minValLoss, "≤", OVERFIT_LESS.maxMinimum, loss),
  ];
  const hint = m.rise >= OVERFIT_LESS.maxRise ? hints.overfits : hints.fitsLess;
  return answer(`Exercise ${exercise}`, run, goals, hint);
}

/**
 * Exercise 4.2 (open-ended): any model of your own (width, penalties, dropout together) whose lowest
 * validation cross-entropy is at least 0.005 below the original's, with a rise after it of at most 60%
 * of the original's. Measured with seed 42: Dense(32)×2 with L2 0.001 and dropout 0.5 reaches 0.282
 * (original 0.291) and rises 52% (original 104%); dropout alone at 32 units reaches 0.280 but rises 137%.
 */
export const BEAT_ORIGINAL = { margin: 0.005, riseFactor: 0.6 };

export async function checkBeatsOriginal(
  model: ModelSpec,
  original: RunLike,
  x: Features,
  y: ArrayLike<number>,
  options: SeedOptions,
): Promise<CheckResult> {
  const spec = checkSpec("checkBeatsOriginal", model);
  if (!original?.history)
    fail("checkBeatsOriginal", "original", original, "pass the original model's runs (notebook 4's `original`)");
  const base = measure(original);
  const run = await trainSeeds(spec, x, y, { verbose: 0, ...options, name: options.name ?? spec.name ?? "your model" });
  const m = measure(run);
  const goals = [
    goal("lowest validation cross-entropy", m.minValLoss, "≤", base.minValLoss - BEAT_ORIGINAL.margin, loss),
    goal(
      `rise after the minimum (trend over the last ${m.trendEpochs} epochs; at most ${BEAT_ORIGINAL.riseFactor} × the original's ${pct(base.rise)})`,
      m.rise,
      "≤",
      base.rise * BEAT_ORIGINAL.riseFactor,
      pct,
    ),
  ];
  const hint =
    m.minValLoss > base.minValLoss - BEAT_ORIGINAL.margin
      ? "a lower minimum needs the model to learn more before it overfits: combine a mild penalty with dropout."
      : "the minimum is there; now keep the curve from climbing after it (a penalty, or more dropout).";
  return answer("Exercise 4.2 · beat the original", run, goals, hint);
}

// ---------------------------------------------------------------------------------------------
// Notebook 5

/** Exercise 5.2: the smallest patience that still keeps a model this close to the full run's minimum. */
export const PATIENCE_GOAL = { tolerance: 0.005 };

/**
 * Where early stopping with `patience` stops on a validation curve, by the rule lib/training/loop.ts
 * applies (Keras's: a new low resets the wait; it stops once the wait reaches `patience`, never after
 * the first epoch): the epoch it stops after (1-based; the last epoch when it never stops) and the
 * epoch whose model it hands back (the best epoch's weights restored, or the last epoch's model when
 * it ran to the end).
 */
export function earlyStopOn(values: number[], patience: number): { stoppedAt: number; kept: number; stopped: boolean } {
  let best = -1;
  let wait = 0;
  for (let i = 0; i < values.length; i++) {
    wait++;
    if (best < 0 || values[i] < values[best]) {
      wait = 0;
      best = i;
    }
    if (wait >= patience && i > 0) return { stoppedAt: i + 1, kept: best + 1, stopped: true };
  }
  return { stoppedAt: values.length, kept: values.length, stopped: false };
}

/**
 * Exercise 5.2: the smallest `patience` with which early stopping on the original IMDB model keeps a
 * model within 0.005 of the full run's lowest validation cross-entropy. Too little patience stops at a
 * dip before the real minimum; each epoch of patience more trains an epoch for nothing. It trains the
 * learner's patience, and reads what one less would have done from that same run: with the same seed,
 * a run stopped earlier is the same run cut short (test/claims.test.ts checks the curves coincide).
 */
export async function checkPatience(
  patience: number,
  full: RunLike,
  x: Features,
  y: ArrayLike<number>,
  options: TrainOptions,
): Promise<CheckResult> {
  if (!(Number.isInteger(patience) && patience >= 1 && patience <= 100))
    fail("checkPatience", "patience", patience, "it must be an integer in 1..100, e.g. 2");
  if (!full?.history)
    fail("checkPatience", "full", full, "pass the full 20-epoch run of the original model (notebook 5's `original`)");
  const stopped: Run = await train(variants.imdb.original, x, y, {
    verbose: 0,
    ...options,
    name: `patience ${patience}`,
    earlyStopping: { patience, restoreBestWeights: true, monitor: "val_crossentropy" },
  });
  const whole = measure(full);
  const val = (stopped.history.history.val_crossentropy ?? stopped.history.history.val_loss) as number[];
  const mine = earlyStopOn(val, patience);
  const above = (kept: number) => val[kept - 1] - whole.minValLoss;
  const checked = [
    `Checked: with patience ${patience} the run ${mine.stopped ? `stopped after epoch ${mine.stoppedAt}` : `ran all ${mine.stoppedAt} epochs`} and kept the model of epoch ${mine.kept} ` +
      `(validation cross-entropy ${loss(val[mine.kept - 1])}); the full run is lowest at epoch ${whole.bestEpoch} (${loss(whole.minValLoss)}).`,
  ];
  const thousandths: Format = (v) => v.toFixed(3);
  const goals = [
    goal(`kept model above the full run's minimum by`, above(mine.kept), "≤", PATIENCE_GOAL.tolerance, thousandths),
  ];
  if (patience > 1) {
    const less = earlyStopOn(val, patience - 1);
    checked.push(
      `With patience ${patience - 1}, the same run would have ${less.stopped ? `stopped after epoch ${less.stoppedAt}` : `run all ${less.stoppedAt} epochs`}, keeping epoch ${less.kept} (${loss(val[less.kept - 1])}).`,
    );
    goals.push(
      goal(
        `one less must fall short: patience ${patience - 1}'s kept model above the full run's minimum by`,
        above(less.kept),
        ">",
        PATIENCE_GOAL.tolerance,
        thousandths,
      ),
    );
  }
  const hint = goals[0].met
    ? "one epoch less of patience keeps as good a model and stops sooner: lower the patience."
    : mine.stopped
      ? "it stopped at a dip before the real minimum: raise the patience by one."
      : "it never stopped, so it kept the last epoch's overfitted model: lower the patience.";
  return answer("Exercise 5.2 · the smallest patience", stopped, goals, hint, checked);
}

/** Exercise 5.1: a learning rate at which the book's MNIST network fits its training images. */
export const LEARNING_RATE_GOAL = { minTrainAccuracy: 0.99 };

/**
 * Exercise 5.1: find an RMSprop learning rate at which `mnist.dense512` reaches 99% training
 * accuracy within the epochs of `options` (notebook 5's 5.3.1 runs: lrEpochs).
 */
export async function checkLearningRate(
  learningRate: number,
  x: Features,
  y: ArrayLike<number>,
  options: TrainOptions,
): Promise<CheckResult> {
  if (!(typeof learningRate === "number" && learningRate > 0 && learningRate <= 10))
    fail("checkLearningRate", "learningRate", learningRate, "it must be in 0<..10, e.g. 0.001");
  const run: Run = await train(variant("mnist.dense512", { learningRate }), x, y, {
    verbose: 0,
    ...options,
    name: `lr ${learningRate}`,
  });
  const trainAcc = run.history.history.accuracy;
  const final = trainAcc[trainAcc.length - 1];
  const goals = [
    goal("final training accuracy", Number.isFinite(final) ? final : 0, "≥", LEARNING_RATE_GOAL.minTrainAccuracy, acc),
  ];
  const losses = run.history.history.loss;
  const jumpy = losses.some((v, i) => i > 0 && !(v <= losses[i - 1] * 1.5));
  const hint = jumpy
    ? "the training loss jumps up between epochs: each step overshoots, so lower the rate (by 10× at a time)."
    : "the loss falls steadily but too slowly: raise the rate (by 3× at a time).";
  return answer("Exercise 5.1 · a learning rate that fits", run, goals, hint);
}
