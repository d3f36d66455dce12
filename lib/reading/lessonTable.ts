/**
 * The lesson in one table, at its close: symptom → cause → remedy, each cell filled with the numbers of the
 * runs the learner trained (so it follows any edit), and the same rows as a Plotly table. The cause
 * is the diagnosis's own label (lib/reading/diagnose.ts decides the words); the symptoms and remedies are
 * measured (lib/reading/measures.ts). Pure: no I/O, no training.
 */
import { diagnose } from "./diagnose";
import { fail } from "../check";
import { DEFAULT_CONFIG, plotlyText, wrapWords, type Figure } from "../figures/plotly";
import { roughPercent as pct, smallLoss as loss } from "../format";
import { measure, riseText } from "./measures";
import { equalTraining } from "./sweeps";
import type { Sweep } from "../lesson/sweeps";
import type { RunLike } from "../types";

export interface LessonTableRow {
  symptom: string;
  cause: string;
  remedy: string;
}

/** The runs the summary reads: notebook 1–2's MNIST models, notebook 3–4's IMDB models, and the more-data sweep. */
export interface LessonTableRuns {
  small: RunLike;
  large: RunLike;
  original: RunLike;
  smaller: RunLike;
  l2: RunLike;
  l1: RunLike;
  dropout: RunLike;
  /** trainSweep("samples", …): the original on fewer and more training reviews. */
  moreData?: Sweep;
}

const needs = ["small", "large", "original", "smaller", "l2", "l1", "dropout"] as const;

/** "lowest 0.291 at epoch 5; its trend over the last 8 epochs ends 103% above the minimum" (the rise, as explain and the exercises say it). */
function riseOf(run: RunLike): string {
  const m = measure(run);
  return `lowest ${loss(m.minValLoss)} at epoch ${m.bestEpoch}; ${riseText(m)}`;
}

/** "more data: 15,000 reviews instead of 5,000: …": the rises compared at equal training (equal weight updates), as well as at the last epoch. */
function moreDataRemedy(sweep: Sweep): string {
  const [first, last] = [sweep.groups[0], sweep.groups[sweep.groups.length - 1]];
  const [few, many] = [measure(first), measure(last)];
  const [a, b] = [sweep.values[0], sweep.values[sweep.values.length - 1]].map((v) => v.toLocaleString("en-US"));
  const [stepsFew, stepsMany] = [first.history.params.steps, last.history.params.steps];
  const { updates, equal } = equalTraining(sweep);
  return (
    `more data: ${b} reviews instead of ${a}: lowest ${loss(many.minValLoss)} vs ${loss(few.minValLoss)}; ` +
    `at equal training (${updates.toLocaleString("en-US")} weight updates) its curve has risen ${pct(equal[equal.length - 1].rise)} after its minimum vs ${pct(equal[0].rise)} ` +
    `(at epoch ${many.epochs}, ${pct(many.rise)} vs ${pct(few.rise)}, but an epoch of ${b} reviews is ${stepsMany} weight updates against ${stepsFew})`
  );
}

/** The rows of the closing table, in the lesson's order: underfitting, overfitting, a remedy taken too far. Each cause is that row's own, with the diagnosis's label beside it. */
export function lessonTableRows(runs: LessonTableRuns): LessonTableRow[] {
  for (const key of needs)
    if (!runs?.[key]?.history)
      fail(
        "lessonTableRows",
        key,
        runs?.[key],
        `pass the run ${key} as the lesson trained it (notebook 4 has them all)`,
      );
  const small = measure(runs.small);
  const large = measure(runs.large);
  const original = measure(runs.original);
  const l2 = measure(runs.l2);
  const l1 = measure(runs.l1);
  const label = (run: RunLike) => diagnose(run).label;
  const l1Diagnosis = diagnose(runs.l1);
  const penalty = l1Diagnosis.penaltyShare;

  const overfitRemedies = [
    `smaller network (${runs.smaller.name}): ${riseOf(runs.smaller)}`,
    `L2 (${runs.l2.name}): ${riseOf(runs.l2)}`,
    `dropout (${runs.dropout.name}): ${riseOf(runs.dropout)}`,
    "early stopping: keep the best epoch's weights (notebook 5)",
  ];
  const sweep = runs.moreData;
  if (sweep && sweep.kind === "samples" && sweep.groups.length >= 2) overfitRemedies.unshift(moreDataRemedy(sweep));
  return [
    {
      symptom: `MNIST Dense(10) (${runs.small.name}): training cross-entropy ends at ${loss(small.finalTrainLoss)}, validation at ${loss(small.lastValLoss)} (close together, both high); best validation accuracy ${pct(small.maxValAccuracy)}`,
      cause: `too little capacity: one layer straight from the pixels to the classes cannot fit even its training images (diagnosis: ${label(runs.small)})`,
      remedy: `more capacity: ${runs.large.name} reaches ${pct(large.maxValAccuracy)} best validation accuracy, training cross-entropy ${loss(large.finalTrainLoss)}`,
    },
    {
      symptom: `IMDB original: validation cross-entropy ${riseOf(runs.original)}, while the training cross-entropy falls to ${loss(original.finalTrainLoss)}`,
      cause: `training past the best epoch with capacity to spare: the network goes on fitting details of its training reviews that do not carry over (diagnosis: ${label(runs.original)})`,
      remedy: overfitRemedies.join("; "),
    },
    {
      symptom: `L1 (${runs.l1.name}): lowest validation cross-entropy ${loss(l1.minValLoss)} vs L2's ${loss(l2.minValLoss)}; training ${loss(l1.finalTrainLoss)} vs validation ${loss(l1.lastValLoss)} at the end`,
      // The cause follows the diagnosis: on the one seed in thirteen where L1 is not over-regularized,
      // the row says what the diagnosis says instead of a penalty too strong.
      cause:
        l1Diagnosis.cause === "over-regularized"
          ? `a penalty too strong for the task${penalty !== undefined ? `: it is ${pct(penalty)} of the training loss at the end` : ""}, so it holds back what the model could learn (diagnosis: ${l1Diagnosis.label})`
          : `not, in these runs, a penalty too strong${penalty !== undefined ? `: the penalty is ${pct(penalty)} of the training loss at the end` : ""} (diagnosis: ${l1Diagnosis.label})`,
      remedy: "a weaker penalty (lower l1Rate) or a milder remedy: regularize until the rise is small, no further",
    },
  ];
}

/** Wraps text into lines of at most `width` characters at spaces, starting a new line after each "; ". */
function wrapCell(text: string, width: number): string[] {
  return text.split("; ").flatMap((part, i, parts) => wrapWords(`${part}${i < parts.length - 1 ? ";" : ""}`, width));
}

/** The table's rows as a Plotly table. Plotly does not wrap a cell's text that has line breaks, so the lines are broken here. */
export function plotLessonTable(rows: LessonTableRow[], options: { title?: string } = {}): Figure {
  if (!Array.isArray(rows) || rows.length === 0)
    fail("plotLessonTable", "rows", rows, "pass lessonTableRows(…)'s rows");
  const widths = [44, 30, 58];
  const cells = rows.map((r) => [r.symptom, r.cause, r.remedy].map((text, c) => wrapCell(text, widths[c])));
  const heights = cells.map((row) => 20 * Math.max(...row.map((lines) => lines.length)) + 14);
  const column = (c: number) => cells.map((row) => row[c].map(plotlyText).join("<br>"));
  return {
    data: [
      {
        type: "table",
        columnwidth: widths,
        header: {
          values: [
            "<b>symptom (your runs)</b>",
            "<b>cause (and the diagnosis)</b>",
            "<b>remedy (what your runs showed)</b>",
          ],
          align: "left",
          fill: { color: "#eef1f5" },
          font: { size: 13, color: "#222" },
          height: 30,
        },
        cells: {
          values: [column(0), column(1), column(2)],
          align: "left",
          font: { size: 12, color: "#222" },
          fill: { color: "#ffffff" },
          height: 20,
        },
      },
    ],
    layout: {
      title: { text: plotlyText(options.title ?? "Symptom → cause → remedy, in the lesson's own numbers") },
      height: 110 + heights.reduce((a, b) => a + b, 0),
      margin: { l: 20, r: 20, t: 50, b: 20 },
    },
    config: { ...DEFAULT_CONFIG },
  };
}
