/**
 * Weight distributions: histograms of the kernel weights of a plain and a regularized model side by
 * side, so the reader sees L2 pull the weights towards zero and L1 pile many of them exactly there.
 * Histograms are binned here (shared bins for all models), not by Plotly: the IMDB first layer alone
 * has 160,000 weights, which would add megabytes of JSON to the notebook per figure.
 */
import type { LayersModel } from "@tensorflow/tfjs";
import { colorFor } from "./colors";
import {
  DEFAULT_CONFIG,
  type BarTrace,
  type Figure,
  type PlotlyAnnotation,
  type PlotlyLayout,
  plotlyText,
} from "./plotly";

/** Weights given directly: e.g. one entry per layer kernel. */
export interface WeightSet {
  name: string;
  values: Float32Array | readonly number[];
}

/**
 * A trained model (its kernels are read, not copied into new tensors), a run holding one (`train`), a
 * group of seeds (`trainSeeds`: its first seed's model), or weight sets.
 */
export type WeightSource =
  LayersModel | { model: LayersModel } | { seedRuns: readonly { model: LayersModel }[] } | readonly WeightSet[];

export interface WeightHistogramOptions {
  /** Number of bins shared by all models (default 61: an odd count centres a bin on 0, where L1 piles weights). */
  bins?: number;
  /** "overlay" (default): one panel, translucent bars; "subplots": one panel per model, x shared. */
  layout?: "overlay" | "subplots";
  /** Which kernels of each model, by position among its kernels (0 = first layer); default all. */
  kernels?: "all" | readonly number[];
  /** Clip the x range to ±range (values beyond land in the edge bins); default the largest |w|. */
  range?: number;
  /** Log-scaled y axis: shows the tails when most weights sit in a few central bins. */
  logY?: boolean;
  title?: string;
}

/** Weights within this distance of 0 count as "near zero" in the legend (L1 makes many of them). */
export const NEAR_ZERO = 1e-3;

export interface Histogram {
  /** Bin centres. */
  centers: number[];
  width: number;
  counts: number[];
  /** Values counted (finite ones). */
  total: number;
  /** Non-finite values skipped. */
  skipped: number;
}

/**
 * Counts `values` into `bins` equal bins over [min, max]; values outside go to the edge bins
 * (so clipping the range never drops weights from the percentages).
 */
export function histogram(values: ArrayLike<number>, bins: number, min: number, max: number): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histogram: bins must be an integer ≥ 1, got ${bins}.`);
  if (!(Number.isFinite(min) && Number.isFinite(max) && max > min)) {
    throw new Error(`histogram: need finite min < max, got [${min}, ${max}].`);
  }
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  let total = 0;
  let skipped = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      skipped++;
      continue;
    }
    const b = Math.min(bins - 1, Math.max(0, Math.floor((v - min) / width)));
    counts[b]++;
    total++;
  }
  const centers = counts.map((_, b) => min + (b + 0.5) * width);
  return { centers, width, counts, total, skipped };
}

function isModel(source: WeightSource): source is LayersModel {
  return !Array.isArray(source) && typeof (source as LayersModel).weights !== "undefined";
}

/** The model a run holds, or a group's first seed's; any other source as it is. */
function modelOf(source: WeightSource): LayersModel | readonly WeightSet[] {
  if (source === null || typeof source !== "object" || Array.isArray(source) || isModel(source))
    return source as LayersModel | readonly WeightSet[];
  const group = (source as { seedRuns?: readonly { model?: LayersModel }[] }).seedRuns;
  const model = Array.isArray(group) ? group[0]?.model : (source as { model?: LayersModel }).model;
  return (model ?? source) as LayersModel | readonly WeightSet[];
}

/** The kernel weights of one model as flat arrays (bias vectors excluded: the penalty is on kernels). */
function kernelsOf(name: string, given: WeightSource, which: "all" | readonly number[]): ArrayLike<number>[] {
  const where = `plotWeights: model "${name}"`;
  const source = modelOf(given);
  let kernels: { label: string; read: () => ArrayLike<number> }[];
  if (isModel(source)) {
    kernels = source.weights
      .filter((w) => /kernel/i.test(w.originalName ?? w.name))
      .map((w) => ({
        label: w.name,
        // read() returns the variable's own tensor (no new tensor to dispose); dataSync copies it out.
        read: () => {
          try {
            return w.read().dataSync() as Float32Array;
          } catch (error) {
            throw new Error(
              `${where}: cannot read weight ${w.name} (${(error as Error).message}); was the model disposed?`,
            );
          }
        },
      }));
  } else if (Array.isArray(source)) {
    kernels = source.map((set, i) => {
      if (
        set === null ||
        typeof set !== "object" ||
        !(set.values instanceof Float32Array || Array.isArray(set.values))
      ) {
        throw new Error(`${where}: entry ${i} must be { name: string, values: Float32Array | number[] }.`);
      }
      return { label: set.name, read: () => set.values };
    });
  } else {
    throw new Error(
      `${where}: expected a tf.LayersModel, a run or group of seeds holding one, or an array of { name, values }, got ${typeof source}.`,
    );
  }
  if (kernels.length === 0) {
    throw new Error(`${where} has no kernel weights (a Dense layer's weights are named "…/kernel"); is it built?`);
  }
  const chosen =
    which === "all"
      ? kernels
      : which.map((k) => {
          if (!Number.isInteger(k) || k < 0 || k >= kernels.length) {
            throw new Error(
              `${where}: kernel index ${k} is out of range; it has ${kernels.length} kernels (0 to ${kernels.length - 1}).`,
            );
          }
          return kernels[k];
        });
  return chosen.map((k) => k.read());
}

/** Plotly's axis keys: "xaxis" for the first subplot, "xaxis2", "xaxis3", … after it. */
function axisKey(letter: "x" | "y", index: number): `${"x" | "y"}axis${number}` | "xaxis" | "yaxis" {
  return index === 0 ? `${letter}axis` : `${letter}axis${index + 1}`;
}

interface ModelStats {
  name: string;
  values: ArrayLike<number>[];
  count: number;
  std: number;
  meanAbs: number;
  nearZero: number;
  maxAbs: number;
}

function statsOf(name: string, values: ArrayLike<number>[]): ModelStats {
  let count = 0;
  let sum = 0;
  let sumSq = 0;
  let sumAbs = 0;
  let nearZero = 0;
  let maxAbs = 0;
  for (const array of values) {
    for (let i = 0; i < array.length; i++) {
      const v = array[i];
      if (!Number.isFinite(v)) continue;
      count++;
      sum += v;
      sumSq += v * v;
      sumAbs += Math.abs(v);
      if (Math.abs(v) < NEAR_ZERO) nearZero++;
      if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
    }
  }
  const mean = count > 0 ? sum / count : 0;
  const std = count > 0 ? Math.sqrt(Math.max(0, sumSq / count - mean * mean)) : 0;
  return { name, values, count, std, meanAbs: count > 0 ? sumAbs / count : 0, nearZero, maxAbs };
}

/**
 * Histograms of kernel weights, one colour per model (colorFor): e.g.
 * `plotWeights({ original: original, l2: l2, l1: l1 })` (runs or groups of seeds: a group's first seed's model).
 * y = percent of the model's weights per bin, so models of different sizes compare. The legend
 * gives each model's standard deviation and its share of weights within ±0.001 of zero.
 */
export function plotWeights(models: Record<string, WeightSource>, options: WeightHistogramOptions = {}): Figure {
  const where = "plotWeights";
  if (models === null || typeof models !== "object" || Array.isArray(models)) {
    throw new Error(`${where}: expected a record { name: model }, e.g. { original: run.model, l2: l2Run.model }.`);
  }
  const names = Object.keys(models);
  if (names.length === 0)
    throw new Error(`${where}: no models given; pass at least one, e.g. { original: run.model }.`);
  const bins = options.bins ?? 61;
  if (!Number.isInteger(bins) || bins < 2 || bins > 1000) {
    throw new Error(`${where}: options.bins must be an integer in [2, 1000], got ${String(options.bins)}.`);
  }
  if (options.range !== undefined && !(Number.isFinite(options.range) && options.range > 0)) {
    throw new Error(
      `${where}: options.range must be a positive number (the x axis spans ±range), got ${String(options.range)}.`,
    );
  }
  const stats = names.map((name) => statsOf(name, kernelsOf(name, models[name], options.kernels ?? "all")));
  for (const s of stats) {
    if (s.count === 0) throw new Error(`${where}: model "${s.name}" has no finite kernel weights (a diverged model?).`);
  }
  // Symmetric bins around 0, shared by all models, so the bars of different models line up.
  const half = options.range ?? Math.max(...stats.map((s) => s.maxAbs), NEAR_ZERO);
  const subplots = options.layout === "subplots";
  const data: BarTrace[] = [];
  const annotations: PlotlyAnnotation[] = [];
  const layout: PlotlyLayout = {
    title: { text: plotlyText(options.title ?? `Kernel weights: ${names.join(" vs ")}`) },
    height: subplots ? Math.max(320, 170 * names.length + 80) : 440,
    margin: { l: 70, r: 30, t: 60, b: 50 },
    legend: { orientation: "h", x: 0, y: -0.22, yanchor: "top" },
    barmode: "overlay",
    bargap: 0,
  };
  stats.forEach((s, i) => {
    let counts = new Array<number>(bins).fill(0);
    let centers: number[] = [];
    let width = 0;
    let total = 0;
    for (const array of s.values) {
      const h = histogram(array, bins, -half, half);
      counts = counts.map((c, b) => c + h.counts[b]);
      centers = h.centers;
      width = h.width;
      total += h.total;
    }
    const color = colorFor(s.name);
    // The middle bar is wider than ±NEAR_ZERO (61 bins over ±0.5: ±0.008), so it holds more weights than
    // "within ±0.001" counts (L1: 97.6% against 87.7%). The label gives both, each with its width.
    const middle = bins % 2 === 1 ? (bins - 1) / 2 : -1;
    const middleText =
      middle >= 0 && width / 2 > NEAR_ZERO
        ? `, ${((100 * counts[middle]) / total).toFixed(1)}% in the middle bar (±${(width / 2).toPrecision(2)})`
        : "";
    const label = `${s.name}: σ ${s.std.toPrecision(3)}, ${((100 * s.nearZero) / s.count).toFixed(1)}% within ±${NEAR_ZERO}${middleText}`;
    const axis = subplots && i > 0 ? String(i + 1) : "";
    data.push({
      type: "bar",
      name: plotlyText(label),
      x: centers,
      y: counts.map((c) => (100 * c) / total),
      width,
      marker: { color },
      opacity: subplots ? 0.85 : 0.55,
      ...(subplots ? { xaxis: `x${axis}`, yaxis: `y${axis}` } : {}),
      hovertemplate: "w ≈ %{x:.4f}: %{y:.2f}% of weights<extra></extra>",
    });
    if (subplots) {
      const gap = 0.06;
      const h = (1 - gap * (names.length - 1)) / names.length;
      const top = 1 - i * (h + gap);
      layout[axisKey("x", i)] = {
        domain: [0, 1],
        anchor: `y${axis}`,
        ...(i > 0 ? { matches: "x" } : {}),
        ...(i === names.length - 1 ? { title: { text: "Weight value" } } : {}),
      };
      layout[axisKey("y", i)] = {
        domain: [Math.max(0, top - h), top],
        anchor: `x${axis}`,
        title: { text: "% of weights" },
        ...(options.logY ? { type: "log" } : {}),
      };
      annotations.push({
        text: plotlyText(label),
        x: 1,
        y: top,
        xref: "paper",
        yref: "paper",
        xanchor: "right",
        yanchor: "top",
        showarrow: false,
        font: { color, size: 13 },
      });
    }
  });
  if (!subplots) {
    layout.xaxis = { title: { text: "Weight value" } };
    layout.yaxis = { title: { text: "% of weights" }, ...(options.logY ? { type: "log" as const } : {}) };
  } else {
    // Each panel's annotation names its model and statistics; a legend would repeat them.
    layout.annotations = annotations;
    layout.showlegend = false;
  }
  return { data, layout, config: { ...DEFAULT_CONFIG } };
}
