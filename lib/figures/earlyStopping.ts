/**
 * Early stopping on a figure: the monitored validation curve of the stopped run, where training
 * stopped, which epoch's weights it kept (restore_best_weights), and, when given, the same
 * configuration trained for every epoch, so the reader sees what stopping avoided. Plain data.
 */
import { colorFor } from "./colors";
import { fail } from "../check";
import type { History, RunLike } from "../types";
import { checkHistory, seriesOf } from "./history";
import {
  DEFAULT_CONFIG,
  type Figure,
  type PlotlyAnnotation,
  type PlotlyShape,
  plotlyText,
  type ScatterTrace,
} from "./plotly";

/** What the figure needs of a run trained with `earlyStopping` (what `train` returns). */
export interface EarlyStoppedRun extends RunLike {
  options: {
    epochs: number;
    earlyStopping?: { patience: number; restoreBestWeights?: boolean; monitor?: "val_loss" | "val_crossentropy" };
  };
  /** "early stopping" when early stopping ended it (what `train` sets). */
  stoppedBy?: string;
}

/** Where a run stopped and what it kept. Epochs are 1-based, as on the plots. */
export interface EarlyStopPoints {
  monitor: "val_loss" | "val_crossentropy";
  patience: number;
  /** True when early stopping ended training before `options.epochs`. */
  stopped: boolean;
  /** The last epoch trained. */
  stoppedAt: number;
  /** The epoch whose weights the model holds: the best one when restored, else the last one trained. */
  kept: number;
  /** The epoch of the lowest monitored value (the one early stopping measured patience from). */
  best: number;
  /** The monitored value at `best`. */
  bestValue: number;
}

/** The monitored series: val_crossentropy is only recorded for regularized runs; without a penalty it equals val_loss. */
function monitored(
  history: History,
  monitor: EarlyStopPoints["monitor"],
): { field: "val_loss" | "val_crossentropy"; values: number[] } {
  if (monitor === "val_crossentropy" && history.history.val_crossentropy)
    return { field: "val_crossentropy", values: history.history.val_crossentropy };
  return { field: "val_loss", values: history.history.val_loss ?? [] };
}

/** Reads from a run trained with `earlyStopping` where it stopped and which epoch's weights it kept. */
export function earlyStoppingPoints(run: EarlyStoppedRun): EarlyStopPoints {
  const where = "earlyStoppingPoints";
  const es = run?.options?.earlyStopping;
  if (!es)
    fail(
      where,
      "run",
      run?.name ?? run,
      "it was not trained with earlyStopping; pass the run train(…, { earlyStopping: { patience } }) returned",
    );
  checkHistory(run, ["val_loss"], where);
  const monitor = es.monitor ?? "val_loss";
  const { values } = monitored(run.history, monitor);
  let best = -1;
  values.forEach((v, i) => {
    if (Number.isFinite(v) && (best < 0 || v < values[best])) best = i;
  });
  if (best < 0)
    fail(
      where,
      `${monitor} of "${run.name}"`,
      "no finite value",
      "the run diverged before early stopping could measure anything",
    );
  const stoppedAt = run.history.epoch.length;
  const stopped = run.stoppedBy === "early stopping";
  const kept = stopped && es.restoreBestWeights ? best + 1 : stoppedAt;
  return { monitor, patience: es.patience, stopped, stoppedAt, kept, best: best + 1, bestValue: values[best] };
}

export interface EarlyStoppingFigureOptions {
  /** The same configuration trained for every epoch without early stopping (drawn grey, dotted). */
  full?: RunLike;
  title?: string;
}

function verticalLine(x: number, color: string, dash: "dot" | "dash"): PlotlyShape {
  return { type: "line", x0: x, x1: x, y0: 0, y1: 1, xref: "x", yref: "paper", line: { color, dash, width: 1.5 } };
}

function note(text: string, x: number, y: number, color: string, xanchor: "left" | "right"): PlotlyAnnotation {
  return {
    text: plotlyText(text),
    x,
    y,
    xref: "x",
    yref: "paper",
    showarrow: false,
    xanchor,
    yanchor: "top",
    font: { color, size: 12 },
    bgcolor: "rgba(255, 255, 255, 0.85)",
  };
}

/**
 * The stopped run's training and monitored validation curves, a dotted line where training stopped,
 * a star on the kept epoch, the patience window shaded between them, and optionally `options.full`.
 */
export function plotEarlyStopping(run: EarlyStoppedRun, options: EarlyStoppingFigureOptions = {}): Figure {
  const p = earlyStoppingPoints(run);
  const color = colorFor(run.name);
  const { field } = monitored(run.history, p.monitor);
  // Without a penalty val_loss IS the cross-entropy (train records val_crossentropy only for regularized runs).
  const trainField = field === "val_crossentropy" ? "crossentropy" : "loss";
  const label = p.monitor === "val_crossentropy" ? "cross-entropy" : "loss";
  const val = seriesOf(run.history, field);
  const data: ScatterTrace[] = [];
  if (options.full) {
    const fullField = monitored(options.full.history, p.monitor).field;
    checkHistory(options.full, [fullField], "plotEarlyStopping");
    const full = seriesOf(options.full.history, fullField);
    data.push({
      type: "scatter",
      name: plotlyText(`${options.full.name}: validation, every epoch`),
      x: full.x,
      y: full.y,
      mode: "lines+markers",
      line: { color: "#888888", dash: "dot", width: 1.5 },
      marker: { color: "#888888", size: 4 },
    });
  }
  if (run.history.history[trainField]) {
    const tr = seriesOf(run.history, trainField);
    data.push({
      type: "scatter",
      name: plotlyText(`${run.name} (training)`),
      x: tr.x,
      y: tr.y,
      mode: "lines+markers",
      line: { color, dash: "solid", width: 2 },
      marker: { color, size: 5 },
    });
  }
  data.push({
    type: "scatter",
    name: plotlyText(`${run.name} (validation)`),
    x: val.x,
    y: val.y,
    mode: "lines+markers",
    line: { color, dash: "dash", width: 2 },
    marker: { color, size: 5 },
  });
  data.push({
    type: "scatter",
    name: plotlyText(`kept: epoch ${p.kept}`),
    x: [p.kept],
    y: [run.history.history[field]![p.kept - 1]],
    mode: "markers",
    marker: { color: "#000000", size: 14, symbol: "star" },
  });
  const shapes: PlotlyShape[] = [verticalLine(p.stoppedAt, "#444444", "dot")];
  const annotations: PlotlyAnnotation[] = [
    note(
      p.stopped ? `stopped after epoch ${p.stoppedAt}` : `ran all ${p.stoppedAt} epochs`,
      p.stoppedAt,
      1,
      "#444444",
      "left",
    ),
  ];
  if (p.stopped && p.stoppedAt > p.best) {
    shapes.push({
      type: "rect",
      x0: p.best,
      x1: p.stoppedAt,
      y0: 0,
      y1: 1,
      xref: "x",
      yref: "paper",
      fillcolor: "#999999",
      opacity: 0.12,
      layer: "below",
      line: { width: 0 },
    });
    annotations.push(note(`patience ${p.patience}: no better ${label}`, p.best, 0.92, "#444444", "left"));
  }
  const epochs = Math.max(run.history.epoch.length, options.full?.history.epoch.length ?? 0);
  return {
    data,
    layout: {
      title: {
        text: plotlyText(
          options.title ??
            `Early stopping on validation ${label}: ${run.name} kept epoch ${p.kept}, stopped after ${p.stoppedAt}`,
        ),
      },
      height: 460,
      margin: { l: 70, r: 70, t: 60, b: 50 },
      legend: { orientation: "h", x: 0, y: -0.18, yanchor: "top" },
      hovermode: "x unified",
      xaxis: { title: { text: "Epoch" }, tickformat: "d", ...(epochs <= 20 ? { dtick: 1 } : {}) },
      yaxis: { title: { text: `Training and validation ${label}` } },
      shapes,
      annotations,
    },
    config: { ...DEFAULT_CONFIG },
  };
}
