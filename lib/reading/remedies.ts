/**
 * The computed lines of notebook 5's remedies (the rest of chapter 5: noise channels, shuffled labels,
 * the learning rate, early stopping), as functions returning the sentence a cell prints; choosing and
 * testing the final model is finalModel.ts's. Like curves.ts: pure functions of plain runs, no I/O,
 * and every sentence states only what the numbers show, so it stays true for any seed or
 * hyperparameter a reader picks.
 */
import { checkRun, fail } from "../check";
import { countText, loss, percent, plural, significant3 } from "../format";
import { trendRise } from "./diagnosis/measure";
import { DEFAULTS } from "./diagnosis/rules";
import { earlyStoppingPoints, type EarlyStoppedRun } from "../figures/earlyStopping";
import type { ModelSpec } from "../lesson/models";
import type { Metric, RunLike } from "../types";

/** A metric's last value for each run of a group (in seed order), or the one run's. */
function finals(run: RunLike, metric: Metric, where: string): number[] {
  const runs = run.seedRuns && run.seedRuns.length > 0 ? run.seedRuns : [run];
  return runs.map((r) => {
    const values = r.history.history[metric];
    if (!values || values.length === 0)
      fail(
        where,
        `run "${run.name}"`,
        metric,
        `it has no ${metric}; ${metric.startsWith("val_") ? "train with validationSplit > 0" : "pass a run from train() or trainSeeds()"}`,
      );
    return values[values.length - 1];
  });
}

const isAccuracy = (metric: Metric): boolean => metric.endsWith("accuracy");

/** "86.2%" for accuracies, "0.421" for losses. */
function valueText(metric: Metric, v: number): string {
  return isAccuracy(metric) ? percent(v) : loss(v);
}

/** "validation accuracy", "training cross-entropy", … */
function metricName(metric: Metric): string {
  const base = metric.replace(/^val_/, "");
  const what = base === "loss" ? "loss" : base === "crossentropy" ? "cross-entropy" : "accuracy";
  return `${metric.startsWith("val_") ? "validation" : "training"} ${what}`;
}

/**
 * The final value of `metric` of two runs (or groups of seeds) side by side: the mean with the min–max
 * over the seeds, and in how many seeds `a` ends below `b` (paired by position: both groups trained
 * with the same seeds).
 *
 * e.g. "final validation accuracy over 3 seeds: noise channels 86.2% (82.0–89.8%), zero channels 91.8%
 * (90.7–92.5%); noise channels ends below zero channels in all 3 seeds."
 */
export function compareFinalLine(a: RunLike, b: RunLike, metric: Metric): string {
  const where = "compareFinalLine";
  checkRun(a, where);
  checkRun(b, `${where}: second run`);
  const x = finals(a, metric, where);
  const y = finals(b, metric, where);
  if (x.length !== y.length)
    fail(where, "runs", `${x.length} and ${y.length} seeds`, "compare two configurations trained with the same seeds");
  const span = (v: number[]): string => {
    const mean = valueText(metric, v.reduce((s, t) => s + t, 0) / v.length);
    return v.length === 1
      ? mean
      : `${mean} (${valueText(metric, Math.min(...v))}–${valueText(metric, Math.max(...v))})`;
  };
  const over = x.length === 1 ? "" : ` over ${x.length} seeds`;
  const below = x.filter((v, i) => v < y[i]).length;
  const count =
    x.length === 1
      ? below === 1
        ? `${a.name} ends below ${b.name}`
        : `${a.name} does not end below ${b.name}`
      : `${a.name} ends below ${b.name} in ${countText(below, x.length)} seeds`;
  return `final ${metricName(metric)}${over}: ${a.name} ${span(x)}, ${b.name} ${span(y)}; ${count}.`;
}

/**
 * What a run on shuffled labels did: training accuracy at the first and last epoch, the range of its
 * validation accuracy, and chance for its number of classes (from its spec, when it carries one).
 *
 * e.g. "training accuracy 10.1% at epoch 1, 95.6% at epoch 40; validation accuracy between 8.5% and
 * 15.5% (chance for 10 classes: 10.0%)."
 */
export function memorizationLine(run: RunLike & { spec?: ModelSpec }): string {
  const where = "memorizationLine";
  checkRun(run, where);
  const h = run.history.history;
  const acc = h.accuracy;
  const val = h.val_accuracy;
  if (!acc || acc.length === 0 || !val || val.length === 0)
    fail(
      where,
      `run "${run.name}"`,
      "its history",
      "it needs accuracy and val_accuracy: train with validationSplit > 0",
    );
  const classes =
    run.spec?.output.activation === "softmax"
      ? run.spec.output.units
      : run.spec?.output.activation === "sigmoid"
        ? 2
        : undefined;
  const chance = classes ? ` (chance for ${classes} classes: ${percent(1 / classes)})` : "";
  return (
    `training accuracy ${percent(acc[0])} at epoch 1, ${percent(acc[acc.length - 1])} at epoch ${acc.length}; ` +
    `validation accuracy between ${percent(Math.min(...val))} and ${percent(Math.max(...val))}${chance}.`
  );
}

/**
 * The same model trained at different learning rates: for each run its highest training loss, its
 * training accuracy at the first and last epoch and its best validation accuracy; for two runs, how
 * many times higher the first one's highest training loss is and how their training accuracies end.
 *
 * A run's `warnings` (what `train` noticed, e.g. an exploding loss) follow its line.
 *
 * e.g. "lr 1.0: training loss up to 1.95e+4; training accuracy 50.9% at epoch 1, 62.3% at epoch 10;
 * best validation accuracy 80.8%" (one line per run), then "lr 1.0's highest training loss is 9,528×
 * lr 0.01's; it ends 37.7 points below it in training accuracy."
 */
export function learningRatesLine(runs: (RunLike & { warnings?: string[] })[]): string {
  const where = "learningRatesLine";
  if (!Array.isArray(runs) || runs.length === 0)
    fail(where, "runs", runs, "pass the runs to compare, e.g. [lrHigh, lrLow]");
  runs.forEach((r, i) => checkRun(r, `${where}: runs[${i}]`));
  const stats = runs.map((r) => {
    const h = r.history.history;
    const val = h.val_accuracy ?? [];
    const peak = h.accuracy.reduce(
      (best, v, i) => (Number.isFinite(v) && (best < 0 || v > h.accuracy[best]) ? i : best),
      -1,
    );
    return {
      name: r.name,
      maxLoss: maxFinite(h.loss),
      first: h.accuracy[0],
      last: h.accuracy[h.accuracy.length - 1],
      peak,
      peakValue: h.accuracy[peak],
      epochs: h.accuracy.length,
      bestVal: maxFinite(val),
    };
  });
  const lines = stats.map(
    (s) =>
      `${s.name}: training loss (mean of an epoch) up to ${significant3(s.maxLoss)}; training accuracy ${percent(s.first)} at epoch 1` +
      // The peak too when it is neither end: a curve that rose and fell back is not one that climbed.
      (s.peak > 0 && s.peak < s.epochs - 1 ? `, highest ${percent(s.peakValue)} at epoch ${s.peak + 1}` : "") +
      `, ${percent(s.last)} at epoch ${s.epochs}` +
      (Number.isFinite(s.bestVal) ? `; best validation accuracy ${percent(s.bestVal)}` : ""),
  );
  // What the trainer noticed on the way (e.g. "the training loss exploded: … at epoch 1, batch 2"), which a quiet run does not print.
  for (const r of runs) for (const w of r.warnings ?? []) lines.push(`${r.name}: ${w}`);
  if (stats.length === 2) {
    const [a, b] = stats;
    const ratio = a.maxLoss / b.maxLoss;
    const times =
      ratio >= 1
        ? `${ratio >= 10 ? Math.round(ratio).toLocaleString("en-US") : ratio.toFixed(1)}× ${b.name}'s`
        : `${(1 / ratio).toFixed(1)}× lower than ${b.name}'s`;
    const points = (a.last - b.last) * 100;
    const ends =
      Math.abs(points) < 0.05
        ? "it ends level with it in training accuracy"
        : `it ends ${Math.abs(points).toFixed(1)} points ${points < 0 ? "below" : "above"} it in training accuracy`;
    lines.push(`${a.name}'s highest training loss is ${times}; ${ends}.`);
  }
  return lines.join("\n");
}

/**
 * Where early stopping stopped and what it kept, and (given the same configuration trained for every
 * epoch) where that run ends, against the kept epoch's value.
 *
 * e.g. "stopped after epoch 7 of 20, 2 epochs after the best one; kept the weights of epoch 5
 * (validation cross-entropy 0.2909). The run without early stopping ends at 0.5943 after 20 epochs,
 * 104% above it."
 */
export function earlyStoppingLine(stopped: EarlyStoppedRun, full?: RunLike): string {
  const where = "earlyStoppingLine";
  const p = earlyStoppingPoints(stopped);
  const epochs = stopped.options.epochs;
  const what = p.monitor === "val_crossentropy" ? "validation cross-entropy" : "validation loss";
  const head = p.stopped
    ? `stopped after epoch ${p.stoppedAt} of ${epochs}, ${plural(p.stoppedAt - p.best, "epoch")} after the best one; kept the weights of epoch ${p.kept} (${what} ${p.bestValue.toFixed(4)}).`
    : `ran all ${epochs} epochs: the ${what} never went ${p.patience} epochs without a new low; the model is the last epoch's (lowest ${p.bestValue.toFixed(4)} at epoch ${p.best}).`;
  if (!full) return head;
  checkRun(full, `${where}: full`);
  const h = full.history.history;
  const series = p.monitor === "val_crossentropy" && h.val_crossentropy ? h.val_crossentropy : h.val_loss;
  if (!series || series.length === 0)
    fail(
      where,
      `full run "${full.name}"`,
      "its history",
      "it has no validation values; train it with validationSplit > 0",
    );
  const end = series[series.length - 1];
  // Where the full run's trend ends (the lesson's one way to say how far a curve ends above a value:
  // lib/reading/diagnosis/measure.ts's trendRise), against the kept model's value.
  const trend = trendRise(series, DEFAULTS.tail);
  const rise = (trend.endValLoss - p.bestValue) / p.bestValue;
  const relation =
    Math.abs(rise) < 0.005
      ? "level with the kept model's value"
      : `${Math.round(Math.abs(rise) * 100)}% ${rise > 0 ? "above" : "below"} the kept model's value`;
  return `${head} The run without early stopping ends at ${end.toFixed(4)} after ${series.length} epochs; its trend over the last ${trend.tail} epochs ends ${relation}.`;
}

// ---------------------------------------------------------------------------------------------

function maxFinite(xs: number[]): number {
  let m = NaN;
  for (const v of xs) if (Number.isFinite(v) && !(v <= m)) m = v;
  return m;
}
