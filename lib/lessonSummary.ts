/**
 * The lesson's closing summary: symptom → cause → remedy, each cell filled with the numbers of the
 * runs the learner trained (so it follows any edit), and the same rows as a Plotly table. The cause
 * is the diagnosis's own label (lib/diagnose.ts decides the words); the symptoms and remedies are
 * measured (lib/measures.ts). Pure: no I/O, no training.
 */
import { diagnose } from "./diagnose";
import { fail } from "./check";
import { DEFAULT_CONFIG, plotlyText, wrapWords, type Figure } from "./figures/plotly";
import { formatLoss as loss, formatPercent as pct, measure } from "./measures";
import type { Sweep } from "./sweeps";
import type { RunLike } from "./types";

export interface SummaryRow {
  symptom: string;
  cause: string;
  remedy: string;
}

/** The runs the summary reads: notebook 1–2's MNIST models, notebook 3–4's IMDB models, and the more-data sweep. */
export interface SummaryRuns {
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

/** "rises 104% after epoch 4 (0.281)". */
function riseText(run: RunLike): string {
  const m = measure(run);
  return `lowest ${loss(m.minValLoss)} at epoch ${m.bestEpoch}, then ends ${pct(m.rise)} above it`;
}

/** The rows of the closing table, in the lesson's order: underfitting, overfitting, a remedy taken too far. */
export function summaryRows(runs: SummaryRuns): SummaryRow[] {
  for (const key of needs) if (!runs?.[key]?.history) fail("summaryRows", key, runs?.[key], `pass the run ${key} as the lesson trained it (notebook 4 has them all)`);
  const small = measure(runs.small);
  const large = measure(runs.large);
  const original = measure(runs.original);
  const l2 = measure(runs.l2);
  const l1 = measure(runs.l1);
  const label = (run: RunLike) => diagnose(run).label;

  const overfitRemedies = [
    `smaller network (${runs.smaller.name}): ${riseText(runs.smaller)}`,
    `L2 (${runs.l2.name}): ${riseText(runs.l2)}`,
    `dropout (${runs.dropout.name}): ${riseText(runs.dropout)}`,
    "early stopping: keep the best epoch's weights (notebook 5)",
  ];
  const sweep = runs.moreData;
  if (sweep && sweep.kind === "samples" && sweep.groups.length >= 2) {
    const few = measure(sweep.groups[0]);
    const many = measure(sweep.groups[sweep.groups.length - 1]);
    const [a, b] = [sweep.values[0], sweep.values[sweep.values.length - 1]].map((v) => v.toLocaleString("en-US"));
    overfitRemedies.unshift(`more data: ${b} reviews instead of ${a}: lowest ${loss(many.minValLoss)} vs ${loss(few.minValLoss)}, rise ${pct(many.rise)} vs ${pct(few.rise)}`);
  }
  return [
    {
      symptom: `MNIST Dense(10) (${runs.small.name}): training cross-entropy ends at ${loss(small.finalTrainLoss)}, validation at ${loss(small.lastValLoss)} (close together, both high); best validation accuracy ${pct(small.maxValAccuracy)}`,
      cause: `${label(runs.small)}: too little capacity to fit even the training images`,
      remedy: `more capacity: ${runs.large.name} reaches ${pct(large.maxValAccuracy)} best validation accuracy, training cross-entropy ${loss(large.finalTrainLoss)}`,
    },
    {
      symptom: `IMDB original: validation cross-entropy ${riseText(runs.original)}, while the training cross-entropy falls to ${loss(original.finalTrainLoss)}`,
      cause: `${label(runs.original)}: the network memorises its training reviews`,
      remedy: overfitRemedies.join("; "),
    },
    {
      symptom: `L1 (${runs.l1.name}): lowest validation cross-entropy ${loss(l1.minValLoss)} vs L2's ${loss(l2.minValLoss)}; training ${loss(l1.finalTrainLoss)} vs validation ${loss(l1.lastValLoss)} at the end`,
      cause: `${label(runs.l1)}: the penalty is strong enough to hold back what the model could learn`,
      remedy: "a weaker penalty (lower l1Rate) or a milder remedy: regularize until the rise is small, no further",
    },
  ];
}

/** Wraps text into lines of at most `width` characters at spaces, starting a new line after each "; ". */
function wrapCell(text: string, width: number): string[] {
  return text.split("; ").flatMap((part, i, parts) => wrapWords(`${part}${i < parts.length - 1 ? ";" : ""}`, width));
}

/** The summary rows as a Plotly table. Plotly does not wrap a cell's text that has line breaks, so the lines are broken here. */
export function plotSummaryTable(rows: SummaryRow[], options: { title?: string } = {}): Figure {
  if (!Array.isArray(rows) || rows.length === 0) fail("plotSummaryTable", "rows", rows, "pass summaryRows(…)'s rows");
  const widths = [44, 30, 58];
  const cells = rows.map((r) => [r.symptom, r.cause, r.remedy].map((text, c) => wrapCell(text, widths[c])));
  const heights = cells.map((row) => 20 * Math.max(...row.map((lines) => lines.length)) + 14);
  const column = (c: number) => cells.map((row) => row[c].map(plotlyText).join("<br>"));
  return {
    data: [
      {
        type: "table",
        columnwidth: widths,
        header: { values: ["<b>symptom (your runs)</b>", "<b>cause (the diagnosis)</b>", "<b>remedy (what your runs showed)</b>"], align: "left", fill: { color: "#eef1f5" }, font: { size: 13, color: "#222" }, height: 30 },
        cells: { values: [column(0), column(1), column(2)], align: "left", font: { size: 12, color: "#222" }, fill: { color: "#ffffff" }, height: 20 },
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
