/**
 * Figures of a sweep (lib/lesson/sweeps.ts) as plain Plotly data: the capacity curve (best validation
 * cross-entropy and final training loss against width, log axis, seeds as bands) and a slider figure
 * whose steps redraw one precomputed run's training and validation curves against a baseline's, so it
 * moves in any viewer that runs plotly.js, with no kernel. No I/O.
 */
import { withAlpha } from "./colors";
import { seedStats, type Measures } from "../reading/measures";
import { lessonValue, type Sweep } from "../lesson/sweeps";
import type { RunLike } from "../types";
import { plotRuns } from "./curves";
import { DEFAULT_CONFIG, plotlyText, type Figure, type PlotlySliderStep, type ScatterTrace } from "./plotly";

function checkSweep(sweep: Sweep, where: string): void {
  if (
    !sweep ||
    !Array.isArray(sweep.groups) ||
    !Array.isArray(sweep.values) ||
    sweep.groups.length !== sweep.values.length ||
    sweep.groups.length === 0
  ) {
    throw new Error(
      `${where}: pass the sweep trainSweep returns ({ kind, values, groups }), got ${sweep === null ? "null" : typeof sweep}.`,
    );
  }
}

/** Mean, lowest and highest over the seeds of one measure, per sweep value (measures.ts's seedStats, which capacityLine reads too). */
function sweepStats(
  sweep: Sweep,
  pick: (m: Measures) => number,
): { mean: number[]; low: number[]; high: number[]; seeds: number[] } {
  const per = sweep.groups.map((g) => seedStats(g, pick));
  return {
    mean: per.map((p) => p.mean),
    low: per.map((p) => p.low),
    high: per.map((p) => p.high),
    seeds: per.map((p) => p.seeds),
  };
}

/**
 * The capacity curve: for each width of a "width" sweep, the best validation cross-entropy (the
 * minimum over epochs), the validation and the training cross-entropy at the last epoch, each as
 * the mean over the seeds with a min–max band (a width trained with one seed has no band), on a log
 * width axis: what more capacity buys on new data, and what it buys on the training data.
 */
export function plotCapacity(sweep: Sweep): Figure {
  checkSweep(sweep, "plotCapacity");
  if (sweep.kind !== "width")
    throw new Error(`plotCapacity: the sweep varies "${sweep.kind}"; pass a "width" sweep (trainSweep("width", …)).`);
  const x = sweep.values;
  const data: ScatterTrace[] = [];
  const lines: [string, string, "solid" | "dash" | "dot", (m: Measures) => number][] = [
    ["best validation cross-entropy", "#d62728", "dash", (m) => m.minValLoss],
    ["final validation cross-entropy", "#ff7f0e", "dot", (m) => m.lastValLoss],
    ["final training cross-entropy", "#1f77b4", "solid", (m) => m.finalTrainLoss],
  ];
  for (const [name, color, dash, pick] of lines) {
    const s = sweepStats(sweep, pick);
    const common = {
      type: "scatter" as const,
      x,
      mode: "lines" as const,
      line: { color, width: 0 },
      showlegend: false,
      legendgroup: name,
      hoverinfo: "skip" as const,
    };
    data.push({ ...common, name: `${name} min`, y: s.low });
    data.push({ ...common, name: `${name} max`, y: s.high, fill: "tonexty", fillcolor: withAlpha(color, 0.18) });
    data.push({
      type: "scatter",
      name: `${name} (mean over seeds, band: min–max)`,
      x,
      y: s.mean,
      mode: "lines+markers",
      line: { color, dash, width: 2 },
      marker: { color, size: 7 },
      legendgroup: name,
      text: s.seeds.map((n) => `${n} seed${n === 1 ? "" : "s"}`),
      hovertemplate: "%{x} units: %{y:.3f} (%{text})",
    });
  }
  return {
    data,
    layout: {
      title: { text: "Capacity: validation and training cross-entropy by width (Dense(n) × 2)" },
      xaxis: {
        title: { text: "Units in each hidden layer (log scale)" },
        type: "log",
        tickvals: x,
        ticktext: x.map(String),
      },
      // Log scale: the training cross-entropy falls by orders of magnitude across the widths.
      yaxis: { title: { text: "Cross-entropy (no penalty), log scale" }, type: "log" },
      height: 460,
      margin: { l: 70, r: 40, t: 60, b: 50 },
      legend: { orientation: "h", x: 0, y: -0.18, yanchor: "top" },
      hovermode: "closest",
    },
    config: { ...DEFAULT_CONFIG },
  };
}

export interface SliderOptions {
  /** The step shown first (default: the article's value, e.g. L2 0.002 or dropout 0.5, when the sweep has it; else its middle step). */
  active?: number;
  title?: string;
}

/**
 * A slider over the values of an "l2" or "dropout" sweep: each step shows that run's training
 * (solid) and validation (dashed) cross-entropy (mean of its seeds, with a band when it has several)
 * against `baseline`'s, on a fixed y range so moving the slider compares like with like. Every
 * step's traces are in the figure; a step makes its own visible (Plotly.restyle), so it needs no kernel.
 */
export function plotSweepSlider(sweep: Sweep, baseline: RunLike, options: SliderOptions = {}): Figure {
  checkSweep(sweep, "plotSweepSlider");
  if (!baseline || !baseline.history)
    throw new Error("plotSweepSlider: pass the baseline run (e.g. the original model) as the second argument.");
  const article = sweep.values.indexOf(lessonValue(sweep.kind) ?? NaN);
  const active = options.active ?? (article >= 0 ? article : Math.floor(sweep.values.length / 2));
  if (!(Number.isInteger(active) && active >= 0 && active < sweep.values.length)) {
    throw new Error(
      `plotSweepSlider: options.active = ${String(options.active)}; it must be a step index in 0..${sweep.values.length - 1}.`,
    );
  }
  const data: ScatterTrace[] = [];
  const owner: number[] = []; // which step each trace belongs to
  sweep.groups.forEach((group, step) => {
    // A step that is the baseline itself (same name) draws it once.
    const figure = plotRuns(group.name === baseline.name ? [baseline] : [baseline, group], "val_loss", {
      training: true,
      plainCrossentropy: true,
    });
    for (const trace of figure.data as ScatterTrace[]) {
      data.push({ ...trace, visible: step === active, legendgroup: `${trace.legendgroup ?? trace.name}` });
      owner.push(step);
    }
  });
  const ys = data.flatMap((t) => t.y).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const top = Math.max(...ys);
  const label = sweep.kind === "l2" ? "L2 strength" : sweep.kind === "dropout" ? "Dropout rate" : sweep.kind;
  const steps: PlotlySliderStep[] = sweep.values.map((value, step) => ({
    label: String(value),
    method: "restyle",
    args: [{ visible: owner.map((o) => o === step) }],
  }));
  return {
    data,
    layout: {
      title: {
        text: plotlyText(
          options.title ??
            `${label}: training (solid) and validation (dashed) cross-entropy against ${baseline.name}; move the slider`,
        ),
      },
      xaxis: {
        title: { text: "Epoch" },
        tickformat: "d",
        ...(Math.max(...sweep.groups.map((g) => g.history.epoch.length), baseline.history.epoch.length) <= 10
          ? { dtick: 1 }
          : {}),
      },
      yaxis: { title: { text: "Cross-entropy (no penalty)" }, range: [0, top * 1.05] },
      height: 520,
      margin: { l: 70, r: 40, t: 110, b: 50 },
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      hovermode: "x unified",
      sliders: [
        {
          active,
          steps,
          currentvalue: { prefix: `${label}: `, visible: true, xanchor: "left" },
          pad: { t: 50 },
          x: 0,
          len: 1,
        },
      ],
    },
    config: { ...DEFAULT_CONFIG },
  };
}
