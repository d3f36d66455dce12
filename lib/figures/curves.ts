/**
 * Learning-curve figures: the article's validation loss and accuracy, training against validation
 * for one run, and the book's comparisons of runs. Conventions kept in every figure: x = 1-based
 * epochs taken from the history, training solid, validation dashed, one colour per run (colorFor),
 * non-finite values drawn as gaps with a "diverged at epoch k" note.
 */
import { colorFor, withAlpha } from "./colors";
import type { Band, History, Metric, RunLike } from "../types";
import {
  bandOf,
  bestEpochOf,
  checkHistory,
  finiteOrNull,
  hasPlainCrossentropy,
  type RunSource,
  type RunsInput,
  seedCount,
  seriesOf,
  smoothSeries,
  toRun,
  toRuns,
} from "./history";
import {
  DEFAULT_CONFIG,
  type Figure,
  type PlotlyAnnotation,
  type PlotlyAxis,
  type PlotlyLayout,
  type PlotlyShape,
  plotlyText,
  type ScatterTrace,
} from "./plotly";

const HEIGHT = 460;

/** Markers help read short runs (and show an isolated point between two NaNs); long runs stay lines. */
function modeFor(points: number): ScatterTrace["mode"] {
  return points <= 40 ? "lines+markers" : "lines";
}

/** Accuracy ticks with one decimal: validation accuracy often spans a point or two (92.5%, 93.0%). */
const ACCURACY_TICKS = ".1%";

/** One curve of a run: its colour, solid (training) or dashed (validation), markers on short runs. */
function curve(
  name: string,
  x: number[],
  y: (number | null)[],
  color: string,
  dash: "solid" | "dash",
  mode: ScatterTrace["mode"],
): ScatterTrace {
  return { type: "scatter", name, x, y, mode, line: { color, dash, width: 2 }, marker: { color, size: 5 } };
}

/** The legend's note for a SeedGroup: what the line and the shading are. */
function seedNote(run: RunLike): string {
  const n = seedCount(run);
  return n > 1 ? ` (mean of ${n} seeds, band: min–max)` : "";
}

/**
 * The shaded min–max band of a SeedGroup's `field` in the run's colour: an invisible lower edge, then
 * the upper edge filled down to it ("tonexty" fills to the trace just before). Returns [] for a single
 * run. Hidden from the legend and from hover; toggled with the run's legend entry (`legendgroup`).
 */
function bandTraces(
  run: RunLike,
  field: Metric,
  color: string,
  options: { yaxis?: string; xaxis?: string; smooth?: number } = {},
): ScatterTrace[] {
  const band = bandOf(run, field);
  if (band === null) return [];
  return bandOfTraces(
    run.name,
    field,
    band,
    run.history.epoch.map((e) => e + 1),
    color,
    options,
  );
}

/** The two traces of a min–max band given as data (a live figure's, which has no SeedGroup yet). */
function bandOfTraces(
  name: string,
  field: Metric,
  band: { low: readonly (number | null)[]; high: readonly (number | null)[] },
  x: number[],
  color: string,
  options: { yaxis?: string; xaxis?: string; smooth?: number } = {},
): ScatterTrace[] {
  const smooth = options.smooth ?? 0;
  const low = smooth > 0 ? smoothSeries(band.low, smooth) : band.low;
  const high = smooth > 0 ? smoothSeries(band.high, smooth) : band.high;
  const common = {
    type: "scatter" as const,
    x,
    mode: "lines" as const,
    line: { color, width: 0 },
    showlegend: false,
    legendgroup: plotlyText(name),
    hoverinfo: "skip" as const,
    ...(options.yaxis ? { yaxis: options.yaxis } : {}),
    ...(options.xaxis ? { xaxis: options.xaxis } : {}),
  };
  const n = Math.min(x.length, low.length, high.length);
  return [
    {
      ...common,
      x: x.slice(0, n),
      name: plotlyText(`${name} ${LABELS[field]} min`),
      y: low.slice(0, n).map((v) => (v === null ? null : finiteOrNull(v))),
    },
    {
      ...common,
      x: x.slice(0, n),
      name: plotlyText(`${name} ${LABELS[field]} max`),
      y: high.slice(0, n).map((v) => (v === null ? null : finiteOrNull(v))),
      fill: "tonexty",
      fillcolor: withAlpha(color, BAND_ALPHA),
    },
  ];
}

/** A seed band is the run's own colour, faint. */
const BAND_ALPHA = 0.18;
/**
 * The train/validation gap is shaded in a neutral grey, never in a run's colour: beside a seed band in
 * the run's colour, the two read as one shading otherwise (notebook 1's and 2's figures did).
 */
export const GAP_FILL = "rgba(110, 110, 110, 0.16)";

/** The epoch axis; short runs get a tick per epoch (Plotly would otherwise tick at 0.5 steps: "1 1 2 2"). */
function epochAxis(epochs: number, logEpochs = false): PlotlyAxis {
  if (logEpochs) return { title: { text: "Epoch (log scale)" }, type: "log" };
  return { title: { text: "Epoch" }, tickformat: "d", rangemode: "normal", ...(epochs <= 10 ? { dtick: 1 } : {}) };
}

function valueAxis(label: string, isAccuracy: boolean): PlotlyAxis {
  return isAccuracy ? { title: { text: label }, tickformat: ACCURACY_TICKS } : { title: { text: label } };
}

function baseLayout(title: string): PlotlyLayout {
  return {
    title: { text: plotlyText(title) },
    height: HEIGHT,
    margin: { l: 70, r: 70, t: 60, b: 50 },
    // Plotly lists the traces of a figure with filled areas in reverse; keep the order they are drawn in.
    legend: { orientation: "h", x: 0, y: -0.18, yanchor: "top", traceorder: "normal" },
    hovermode: "x unified",
  };
}

/** The mark of a diverged run: a dotted vertical line at epoch k and a note naming the run. */
function divergence(
  name: string,
  epoch: number,
  color: string,
  slot: number,
): { shape: PlotlyShape; note: PlotlyAnnotation } {
  return {
    shape: {
      type: "line",
      x0: epoch,
      x1: epoch,
      y0: 0,
      y1: 1,
      xref: "x",
      yref: "paper",
      line: { color, dash: "dot", width: 1.5 },
    },
    note: {
      text: plotlyText(`${name} diverged at epoch ${epoch}`),
      x: epoch,
      y: 1 - 0.07 * slot,
      xref: "x",
      yref: "paper",
      showarrow: false,
      xanchor: "left",
      yanchor: "top",
      font: { color, size: 12 },
      bgcolor: "rgba(255, 255, 255, 0.8)",
    },
  };
}

/** Earliest break among several series of one run. */
function firstBreak(...breaks: (number | null)[]): number | null {
  const found = breaks.filter((b): b is number => b !== null);
  return found.length === 0 ? null : Math.min(...found);
}

function addDivergence(layout: PlotlyLayout, name: string, epoch: number | null, color: string): void {
  if (epoch === null) return;
  const slot = layout.annotations?.filter((a) => a.text.includes("diverged at epoch")).length ?? 0;
  const { shape, note } = divergence(name, epoch, color, slot);
  layout.shapes = [...(layout.shapes ?? []), shape];
  layout.annotations = [...(layout.annotations ?? []), note];
}

export interface ValLossAndAccOptions {
  /** Default "Validation loss and accuracy — <run name>". */
  title?: string;
  /** Name for a bare History (default "run"). */
  name?: string;
  /**
   * "stacked" (default): loss above, accuracy below, two panels sharing the epoch axis; "one axis": both
   * on one "Accuracy / loss" axis, as the article's figure. Never two independent y axes over one
   * another: where two curves on unrelated scales cross would mean nothing.
   */
  layout?: "stacked" | "one axis";
}

/**
 * The article's `plot_val_loss_and_acc`, made right: validation loss dashed, validation accuracy
 * solid, epochs read from the history (the article hard-codes 1..20); drawn on one axis as the article
 * does, or (default) as two stacked panels that share the epoch axis.
 */
export function plotValLossAndAcc(run: RunSource, options: ValLossAndAccOptions = {}): Figure {
  const where = "plotValLossAndAcc";
  if ("secondAxis" in (options as object)) {
    throw new Error(
      `${where}: options.secondAxis is gone (two y axes over one another made the curves' crossing look meaningful); pass layout: "stacked" (default, two panels sharing the epoch axis) or "one axis" (the article's).`,
    );
  }
  const style = options.layout ?? "stacked";
  if (style !== "stacked" && style !== "one axis")
    throw new Error(`${where}: options.layout must be "stacked" or "one axis", got ${JSON.stringify(options.layout)}.`);
  const r = toRun(run, options.name ?? "run", where);
  checkHistory(r, ["val_loss", "val_accuracy"], where);
  const color = colorFor(r.name);
  const loss = seriesOf(r.history, "val_loss");
  const acc = seriesOf(r.history, "val_accuracy");
  const second = style === "stacked";
  const mode = modeFor(loss.x.length);
  const note = seedNote(r);
  const data: ScatterTrace[] = [
    ...bandTraces(r, "val_loss", color),
    { ...curve(`validation loss${note}`, loss.x, loss.y, color, "dash", mode), legendgroup: "val_loss" },
    ...bandTraces(r, "val_accuracy", color, second ? { yaxis: "y2" } : {}),
    {
      ...curve(`validation accuracy${note}`, acc.x, acc.y, color, "solid", mode),
      ...(second ? { yaxis: "y2" } : {}),
      legendgroup: "val_accuracy",
    },
  ];
  // A band toggles with its curve's legend entry.
  for (const t of data)
    if (t.showlegend === false) t.legendgroup = t.name.includes("accuracy") ? "val_accuracy" : "val_loss";
  const layout = baseLayout(options.title ?? `Validation loss and accuracy — ${r.name}${note}`);
  layout.xaxis = epochAxis(r.history.epoch.length);
  if (second) {
    // One epoch axis under the lower panel; the loss panel above reads the same x.
    layout.xaxis = { ...layout.xaxis, anchor: "y2" };
    layout.yaxis = { title: { text: "Validation loss (dashed)" }, domain: [0.54, 1], anchor: "x" };
    layout.yaxis2 = {
      title: { text: "Validation accuracy (solid)" },
      domain: [0, 0.46],
      anchor: "x",
      tickformat: ACCURACY_TICKS,
    };
    layout.height = HEIGHT + 120;
  } else {
    layout.yaxis = { title: { text: "Accuracy / loss" } };
  }
  addDivergence(layout, r.name, firstBreak(loss.brokenAt, acc.brokenAt), color);
  return { data, layout, config: { ...DEFAULT_CONFIG } };
}

/** The metrics a training-versus-validation figure can show. */
export type TrainValMetric = "loss" | "accuracy" | "crossentropy";

const TRAIN_VAL_FIELDS: Record<TrainValMetric, [Metric, Metric]> = {
  loss: ["loss", "val_loss"],
  accuracy: ["accuracy", "val_accuracy"],
  crossentropy: ["crossentropy", "val_crossentropy"],
};

const LABELS: Record<Metric, string> = {
  loss: "training loss",
  val_loss: "validation loss",
  accuracy: "training accuracy",
  val_accuracy: "validation accuracy",
  crossentropy: "training cross-entropy (no penalty)",
  val_crossentropy: "validation cross-entropy (no penalty)",
};

/**
 * Which fields to plot for a loss-like metric. Plain runs record no separate cross-entropy because
 * their loss is the cross-entropy; regularized runs record it because Keras's loss adds the penalty.
 */
function resolveFields(
  history: History,
  metric: TrainValMetric,
  plain: boolean,
): { fields: [Metric, Metric]; plainUsed: boolean } {
  if ((metric === "crossentropy" || (metric === "loss" && plain)) && hasPlainCrossentropy(history)) {
    return { fields: TRAIN_VAL_FIELDS.crossentropy, plainUsed: true };
  }
  return { fields: TRAIN_VAL_FIELDS[metric === "crossentropy" ? "loss" : metric], plainUsed: false };
}

function format(value: number): string {
  return Math.abs(value) >= 100 || value === 0 ? value.toPrecision(4) : value.toFixed(4);
}

export interface TrainVsValOptions {
  title?: string;
  /** Name for a bare History (default "run"). */
  name?: string;
}

/**
 * Training (solid) against validation (dashed) for one run and metric, the gap between them shaded,
 * the best epoch (minimum validation loss) starred and the final gap written on the figure.
 * "crossentropy" plots the plain cross-entropy when the run recorded it, else its loss (the same
 * thing for an unregularized model).
 */
export function plotTrainVsVal(run: RunSource, metric: TrainValMetric, options: TrainVsValOptions = {}): Figure {
  const where = "plotTrainVsVal";
  if (!(metric in TRAIN_VAL_FIELDS)) {
    throw new Error(`${where}: metric must be "loss", "accuracy" or "crossentropy", got ${JSON.stringify(metric)}.`);
  }
  const r = toRun(run, options.name ?? "run", where);
  const { fields, plainUsed } = resolveFields(r.history, metric, false);
  const [trainField, valField] = fields;
  checkHistory(r, ["val_loss", trainField, valField], where);
  const color = colorFor(r.name);
  const train = seriesOf(r.history, trainField);
  const val = seriesOf(r.history, valField);
  const mode = modeFor(train.x.length);
  const isAccuracy = metric === "accuracy";
  const note = seedNote(r);
  const data: ScatterTrace[] = [
    curve(`${LABELS[trainField]}${note}`, train.x, train.y, color, "solid", mode),
    {
      ...curve(`${LABELS[valField]}${note}`, val.x, val.y, color, "dash", mode),
      // Shades the generalization gap: Plotly fills from this trace to the previous one (training), in
      // grey, so it is not mistaken for the seeds' band (the run's colour).
      fill: "tonexty",
      fillcolor: GAP_FILL,
    },
    // The seeds' min–max bands come after the pair, so the gap fill above still reaches the training curve.
    ...bandTraces(r, trainField, color),
    ...bandTraces(r, valField, color),
  ];
  const noteMissing = metric === "crossentropy" && !plainUsed ? " (no penalty recorded: loss shown)" : "";
  const label = metric === "crossentropy" ? "cross-entropy" : metric;
  const layout = baseLayout(options.title ?? `Training vs validation ${label} — ${r.name}${note}${noteMissing}`);
  layout.xaxis = epochAxis(r.history.epoch.length);
  layout.yaxis = valueAxis(
    plainUsed ? "Cross-entropy (no penalty)" : label[0].toUpperCase() + label.slice(1),
    isAccuracy,
  );
  layout.annotations = [];
  layout.shapes = [];

  // The best epoch is the lowest validation loss's: starred on a loss figure. On an accuracy figure it is
  // not the best accuracy's epoch (shuffled labels: far from it), so no star there.
  const best = isAccuracy ? null : bestEpochOf(r.history);
  if (best !== null) {
    const y = val.y[best.index];
    layout.shapes.push({
      type: "line",
      x0: best.epoch,
      x1: best.epoch,
      y0: 0,
      y1: 1,
      xref: "x",
      yref: "paper",
      line: { color: "#555", dash: "dot", width: 1 },
    });
    if (y !== null) {
      data.push({
        type: "scatter",
        name: plotlyText(
          `best epoch ${best.epoch} (min ${best.field === "val_crossentropy" ? "validation cross-entropy" : "validation loss"} ${format(best.valLoss)}${note ? ", of the mean" : ""})`,
        ),
        x: [best.epoch],
        y: [y],
        mode: "markers",
        marker: { color, size: 14, symbol: "star", line: { color: "#222", width: 1 } },
      });
    }
  }
  // The final gap, written where the two curves end (last epoch where both are finite).
  for (let i = train.x.length - 1; i >= 0; i--) {
    const t = train.y[i];
    const v = val.y[i];
    if (t !== null && v !== null) {
      layout.annotations.push({
        text: `gap at epoch ${train.x[i]}: ${v - t >= 0 ? "+" : ""}${isAccuracy ? `${((v - t) * 100).toFixed(1)} pts` : format(v - t)}`,
        x: train.x[i],
        y: (t + v) / 2,
        xref: "x",
        yref: "y",
        showarrow: true,
        arrowhead: 0,
        // Up and to the left of the curves' ends, clear of the lines and the best-epoch star.
        ax: -70,
        ay: -45,
        xanchor: "right",
        font: { color: "#333", size: 12 },
        bgcolor: "rgba(255, 255, 255, 0.8)",
      });
      break;
    }
  }
  addDivergence(layout, r.name, firstBreak(train.brokenAt, val.brokenAt), color);
  return { data, layout, config: { ...DEFAULT_CONFIG } };
}

/** The metrics runs can be compared on. */
export type CompareMetric = "val_loss" | "loss" | "val_accuracy" | "accuracy" | "crossentropy" | "val_crossentropy";

export interface CompareOptions {
  /** Also draw the training curves (solid; validation dashed), as the TF "Overfit and underfit" tutorial. */
  training?: boolean;
  /** For loss metrics, use the plain cross-entropy instead of Keras's penalty-inflated loss where recorded. */
  plainCrossentropy?: boolean;
  /** EMA smoothing factor in [0, 1) (TensorBoard's slider; 0 = off). The raw curve stays, faint. */
  smooth?: number;
  /** Log-scaled epoch axis: early epochs, where most of the change happens, get more room. */
  logEpochs?: boolean;
  title?: string;
}

const COMPARE_METRICS: readonly CompareMetric[] = [
  "val_loss",
  "loss",
  "val_accuracy",
  "accuracy",
  "crossentropy",
  "val_crossentropy",
];

/**
 * Several runs on one metric, one colour per run (colorFor), validation dashed and training solid.
 * "crossentropy"/"val_crossentropy", or `plainCrossentropy` on a loss, compare fairly: runs that
 * recorded the plain cross-entropy show it, the others (plain models) show their loss, which is the
 * same quantity for them.
 */
export function plotRuns(runs: RunsInput, metric: CompareMetric, options: CompareOptions = {}): Figure {
  const where = "plotRuns";
  if (!COMPARE_METRICS.includes(metric)) {
    throw new Error(
      `${where}: metric must be one of ${COMPARE_METRICS.map((m) => `"${m}"`).join(", ")}, got ${JSON.stringify(metric)}.`,
    );
  }
  const smooth = options.smooth ?? 0;
  if (!(typeof smooth === "number" && smooth >= 0 && smooth < 1)) {
    throw new Error(
      `${where}: options.smooth must be a number in [0, 1) (0 = off, 0.6 = TensorBoard's default), got ${String(options.smooth)}.`,
    );
  }
  const list = toRuns(runs, where);
  const isValidation = metric.startsWith("val_");
  const base = (isValidation ? metric.slice(4) : metric) as TrainValMetric;
  const wantPlain = base === "crossentropy" || (base === "loss" && options.plainCrossentropy === true);
  const isAccuracy = base === "accuracy";

  const data: ScatterTrace[] = [];
  const layout = baseLayout("");
  let anyPlain = false;
  for (const run of list) {
    const { fields, plainUsed } = resolveFields(run.history, wantPlain ? "crossentropy" : base, false);
    anyPlain ||= plainUsed;
    const drawn: Metric[] = options.training ? [fields[0], fields[1]] : [isValidation ? fields[1] : fields[0]];
    checkHistory(run, drawn, where);
    const color = colorFor(run.name);
    const breaks: (number | null)[] = [];
    for (const field of drawn) {
      const series = seriesOf(run.history, field);
      breaks.push(series.brokenAt);
      const dash = field.startsWith("val_") ? "dash" : "solid";
      const note = seedNote(run);
      const name = options.training
        ? `${run.name} (${field.startsWith("val_") ? "validation" : "training"})${note}`
        : `${run.name}${note}`;
      const mode = modeFor(series.x.length);
      data.push(...bandTraces(run, field, color, { smooth }));
      if (smooth > 0) {
        // The raw curve stays visible but faint, so smoothing never hides what happened.
        data.push({
          type: "scatter",
          name: plotlyText(`${name} raw`),
          x: series.x,
          y: series.y,
          mode: "lines",
          line: { color, dash, width: 1 },
          opacity: 0.3,
          showlegend: false,
          legendgroup: plotlyText(run.name),
          hoverinfo: "skip",
        });
      }
      data.push({
        ...curve(plotlyText(name), series.x, smooth > 0 ? smoothSeries(series.y, smooth) : series.y, color, dash, mode),
        legendgroup: plotlyText(run.name),
      });
    }
    addDivergence(layout, run.name, firstBreak(...breaks), color);
  }

  const quantity = wantPlain && anyPlain ? "cross-entropy (no penalty)" : base === "crossentropy" ? "loss" : base;
  const label = options.training
    ? `Training and validation ${quantity}`
    : `${isValidation ? "Validation" : "Training"} ${quantity}`;
  const names = list.map((r) => r.name).join(" vs ");
  const smoothNote = smooth > 0 ? ` (smoothed, factor ${smooth})` : "";
  layout.title = { text: plotlyText(options.title ?? `${label}: ${names}${smoothNote}`) };
  layout.xaxis = epochAxis(Math.max(...list.map((run) => run.history.epoch.length)), options.logEpochs);
  layout.yaxis = valueAxis(label, isAccuracy);
  return { data, layout, config: { ...DEFAULT_CONFIG } };
}

export interface ProgressOptions {
  /** Planned epochs (default history.params.epochs): the x axis is fixed so the figure does not jump. */
  epochs?: number;
  /** For a group of seeds (`trainSeeds`): how many, and their min–max per metric so far; `history` is then their mean. */
  seeds?: number;
  bands?: Partial<Record<Metric, Band>>;
}

/**
 * The live figure redrawn after every epoch: loss (left) and accuracy (right), training solid,
 * validation dashed. Unlike the other figures it accepts a partial history (metrics still missing
 * are simply not drawn yet), because it is drawn while training runs. For a group of seeds it draws
 * their mean with the min–max band, labelled as such, like the figures drawn after the run.
 */
export function trainingProgress(name: string, history: History, options: ProgressOptions = {}): Figure {
  const color = colorFor(name);
  const epochs = history.epoch.map((e) => e + 1);
  const planned = options.epochs ?? history.params?.epochs ?? epochs.length;
  const seeds = options.seeds ?? 1;
  const note = seeds > 1 ? ` (mean of ${seeds} seeds${options.bands ? ", band: min–max" : ""})` : "";
  const data: ScatterTrace[] = [];
  const panels: [Metric, Metric, string, string][] = [
    ["loss", "val_loss", "x", "y"],
    ["accuracy", "val_accuracy", "x2", "y2"],
  ];
  for (const [trainField, valField, xaxis, yaxis] of panels) {
    for (const field of [trainField, valField]) {
      const values = history.history[field];
      if (!Array.isArray(values)) continue;
      const n = Math.min(values.length, epochs.length);
      const y = values.slice(0, n).map(finiteOrNull);
      const band = seeds > 1 ? options.bands?.[field] : undefined;
      if (band) data.push(...bandOfTraces(name, field, band, epochs.slice(0, n), color, { xaxis, yaxis }));
      data.push({
        ...curve(
          `${LABELS[field]}${note}`,
          epochs.slice(0, n),
          y,
          color,
          field === valField ? "dash" : "solid",
          "lines+markers",
        ),
        xaxis,
        yaxis,
      });
    }
  }
  const last = epochs.length === 0 ? 0 : epochs[epochs.length - 1];
  const layout = baseLayout(`${name}${seeds > 1 ? ` (mean of ${seeds} seeds)` : ""} — epoch ${last} of ${planned}`);
  const range: [number, number] = [0.5, Math.max(planned, last) + 0.5];
  const dtick = Math.max(planned, last) <= 10 ? { dtick: 1 } : {};
  layout.xaxis = { title: { text: "Epoch" }, domain: [0, 0.45], range, tickformat: "d", anchor: "y", ...dtick };
  layout.yaxis = { title: { text: "Loss" }, anchor: "x" };
  layout.xaxis2 = { title: { text: "Epoch" }, domain: [0.55, 1], range, tickformat: "d", anchor: "y2", ...dtick };
  layout.yaxis2 = { title: { text: "Accuracy" }, anchor: "x2", tickformat: ACCURACY_TICKS };
  layout.height = seeds > 1 ? 480 : 400;
  // A shorter figure: the legend needs more room below the axis titles.
  layout.legend = { orientation: "h", x: 0, y: -0.3, yanchor: "top", traceorder: "normal" };
  layout.margin = { l: 70, r: 30, t: 60, b: 80 };
  return { data, layout, config: { ...DEFAULT_CONFIG } };
}

export interface SizeSweepOptions {
  /** Log-scaled epoch axis (default true): the early minima of large models get room. */
  logEpochs?: boolean;
  title?: string;
}

/**
 * "Size sweep at a glance": several runs' validation cross-entropy (plain, no penalty, where
 * recorded) on one figure, by default on a log epoch axis, each run's best epoch starred on its
 * (mean) curve. SeedGroups are drawn as mean + min–max band. Larger models reach their minimum
 * earlier and climb faster; this one figure shows it for every size.
 */
export function plotSizeSweep(runs: RunsInput, options: SizeSweepOptions = {}): Figure {
  const where = "plotSizeSweep";
  const list = toRuns(runs, where);
  const figure = plotRuns(list, "val_crossentropy", {
    logEpochs: options.logEpochs ?? true,
    title: options.title ?? `Validation cross-entropy by model: ${list.map((r) => r.name).join(", ")}`,
  });
  for (const run of list) {
    const best = bestEpochOf(run.history);
    if (best === null) continue;
    figure.data.push({
      type: "scatter",
      name: plotlyText(`${run.name}: best epoch ${best.epoch} (${format(best.valLoss)})`),
      x: [best.epoch],
      y: [best.valLoss],
      mode: "markers",
      marker: { color: colorFor(run.name), size: 13, symbol: "star", line: { color: "#222", width: 1 } },
      legendgroup: plotlyText(run.name),
    });
  }
  return figure;
}
