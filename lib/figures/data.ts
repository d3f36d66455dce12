/**
 * Pictures of the data as plain Plotly figures: a grid of MNIST digits with their labels, one image
 * with its extra channels (noise or zeros, chapter 5.1.1), and one review beside its multi-hot
 * vector. Images are heatmaps of values in [0, 1] (dark ink on white), row 0 at the top. No I/O:
 * the caller passes the arrays (`mnist.loadArrays()`, `withExtraColumns`, `vectorizeSequences`).
 */
import type { DenseMatrix, MultiHotMatrix } from "../types";
import { DEFAULT_CONFIG, plotlyText, wrapWords, type Figure, type PlotlyAnnotation, type PlotlyShape } from "./plotly";

/** Ink on paper: 0 white, 1 black. */
const INK: [number, string][] = [
  [0, "#ffffff"],
  [1, "#000000"],
];
const GAP = 2;

/** Rounds to two decimals: the figure's JSON stays small and the picture is the same. */
const round2 = (v: number) => Math.round(v * 100) / 100;

/** Tiles of h × w values laid out in `columns` columns with GAP empty (null) cells between them. */
function mosaic(
  tiles: ((r: number, c: number) => number)[],
  h: number,
  w: number,
  columns: number,
  gap = GAP,
): (number | null)[][] {
  const rows = Math.ceil(tiles.length / columns);
  const z: (number | null)[][] = Array.from({ length: rows * (h + gap) - gap }, () =>
    Array<number | null>(columns * (w + gap) - gap).fill(null),
  );
  tiles.forEach((pixel, t) => {
    const top = Math.floor(t / columns) * (h + gap);
    const left = (t % columns) * (w + gap);
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) z[top + r][left + c] = round2(pixel(r, c));
  });
  return z;
}

function imageLayout(
  title: string,
  z: (number | null)[][],
  annotations: PlotlyAnnotation[],
  height: number,
): Figure["layout"] {
  const hidden = { showgrid: false, zeroline: false, showticklabels: false, ticks: "" as const };
  return {
    title: { text: plotlyText(title) },
    xaxis: { ...hidden, range: [-0.5, z[0].length - 0.5] },
    yaxis: { ...hidden, autorange: "reversed", scaleanchor: "x" },
    annotations,
    height,
    margin: { l: 20, r: 20, t: 60, b: 20 },
    hovermode: "closest",
  };
}

export interface DigitsOptions {
  /** How many images (default 24), from `start` (default 0). */
  count?: number;
  start?: number;
  /** Images per row (default 8). */
  columns?: number;
}

/**
 * A grid of MNIST digits, each labelled with its class above it. `split` is what `mnist.loadArrays()`
 * returns per split: `images` count × rows × cols pixels 0..255 (or a DenseMatrix of [0, 1] values
 * with 784 columns and `labels` beside it).
 */
export function plotDigits(
  split: { images: ArrayLike<number>; labels: ArrayLike<number>; rows?: number; cols?: number; count?: number },
  options: DigitsOptions = {},
): Figure {
  const h = split.rows ?? 28;
  const w = split.cols ?? 28;
  const size = h * w;
  const total = split.count ?? Math.floor(split.images.length / size);
  const count = options.count ?? 24;
  const start = options.start ?? 0;
  const columns = options.columns ?? 8;
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(start) && start >= 0 && start + count <= total)) {
    throw new Error(
      `plotDigits: images ${start}..${start + count - 1} asked for, but the split has ${total} images (0..${total - 1}); lower count or start.`,
    );
  }
  if (!(Number.isInteger(columns) && columns >= 1))
    throw new Error(`plotDigits: columns = ${String(columns)}; it must be a positive integer such as 8.`);
  // Pixels 0..255 (uint8) or already scaled to [0, 1].
  let peak = 0;
  for (let i = start * size; i < (start + count) * size; i++) peak = Math.max(peak, split.images[i]);
  const scale = peak > 1 ? 255 : 1;
  const tiles = Array.from(
    { length: count },
    (_, t) => (r: number, c: number) => split.images[(start + t) * size + r * w + c] / scale,
  );
  const z = mosaic(tiles, h, w, columns);
  const annotations: PlotlyAnnotation[] = Array.from({ length: count }, (_, t) => ({
    text: String(split.labels[start + t]),
    x: (t % columns) * (w + GAP) + w - 3,
    y: Math.floor(t / columns) * (h + GAP) + 3,
    showarrow: false,
    font: { color: "#d62728", size: 14 },
  }));
  const rows = Math.ceil(count / columns);
  return {
    data: [
      {
        type: "heatmap",
        name: "digits",
        z,
        colorscale: INK,
        zmin: 0,
        zmax: 1,
        showscale: false,
        hovertemplate: "pixel %{z}<extra></extra>",
      },
    ],
    layout: imageLayout(
      `MNIST: training images ${start}–${start + count - 1} with their labels (red)`,
      z,
      annotations,
      80 + rows * 110,
    ),
    config: { ...DEFAULT_CONFIG },
  };
}

/**
 * Chapter 5.1.1's inputs, one row of each: the image with its 784 noise columns, and with its 784
 * zero columns, each drawn as two 28 × 28 squares side by side (the digit, then its extra channels).
 * `noise` and `zeros` are `withExtraColumns(x, "noise" | "zeros")`.
 */
export function plotExtraChannels(
  noise: DenseMatrix,
  zeros: DenseMatrix,
  options: { row?: number; side?: number } = {},
): Figure {
  const row = options.row ?? 0;
  const side = options.side ?? 28;
  for (const [name, m] of [
    ["noise", noise],
    ["zeros", zeros],
  ] as const) {
    if (!m || m.kind !== "dense")
      throw new Error(`plotExtraChannels: ${name} must be a DenseMatrix from withExtraColumns(x, "${name}").`);
    if (m.cols !== 2 * side * side)
      throw new Error(
        `plotExtraChannels: ${name} has ${m.cols} columns; expected ${2 * side * side} (${side}×${side} pixels plus as many extra channels).`,
      );
    if (!(Number.isInteger(row) && row >= 0 && row < m.rows))
      throw new Error(`plotExtraChannels: row = ${String(row)}; ${name} has rows 0..${m.rows - 1}.`);
  }
  const half = side * side;
  const gap = 8; // room for the lower pair's labels
  const tile = (m: DenseMatrix, offset: number) => (r: number, c: number) =>
    m.data[row * m.cols + offset + r * side + c];
  const z = mosaic([tile(noise, 0), tile(noise, half), tile(zeros, 0), tile(zeros, half)], side, side, 2, gap);
  const label = (text: string, x: number, y: number): PlotlyAnnotation => ({
    text,
    x,
    y,
    showarrow: false,
    yanchor: "bottom",
    font: { size: 13 },
  });
  const at = (i: number) => i * (side + gap) + (side - 1) / 2;
  const annotations = [
    label("the digit", at(0), -1),
    label("+ 784 noise channels", at(1), -1),
    label("the same digit", at(0), side + gap - 1),
    label("+ 784 zero channels", at(1), side + gap - 1),
  ];
  // A thin frame around each square: the zero channels are white on white without it.
  const frame = (i: number, j: number): PlotlyShape => ({
    type: "rect",
    x0: j * (side + gap) - 0.5,
    x1: j * (side + gap) + side - 0.5,
    y0: i * (side + gap) - 0.5,
    y1: i * (side + gap) + side - 0.5,
    line: { color: "#999", width: 1 },
  });
  const layout = imageLayout(
    `Training image ${row} as the two models see it: with noise channels (top), with zero channels (bottom)`,
    z,
    annotations,
    600,
  );
  layout.shapes = [frame(0, 0), frame(0, 1), frame(1, 0), frame(1, 1)];
  return {
    data: [
      {
        type: "heatmap",
        name: "inputs",
        z,
        colorscale: INK,
        zmin: 0,
        zmax: 1,
        showscale: false,
        hovertemplate: "value %{z}<extra></extra>",
      },
    ],
    layout,
    config: { ...DEFAULT_CONFIG },
  };
}

export interface ReviewOptions {
  /** The review decoded to words (e.g. `imdb.decodeReview(trainData[row], wordIndex)`), shown above the strip. */
  text?: string;
  /** The word column j stands for, shown when hovering its mark (e.g. `(j) => imdb.decodeReview([j], wordIndex)`). */
  wordOf?: (column: number) => string;
  /** Characters of `text` shown (default 600). */
  maxChars?: number;
}

/**
 * One review as the model sees it: its words (above), and its row of the multi-hot matrix as a
 * strip of all `x.cols` columns with a mark at every column that is 1 (hover a mark for its word).
 */
export function plotReview(x: MultiHotMatrix, row: number, options: ReviewOptions = {}): Figure {
  if (!x || x.kind !== "multihot")
    throw new Error("plotReview: x must be a MultiHotMatrix (vectorizeSequences(trainData, 10000)).");
  if (!(Number.isInteger(row) && row >= 0 && row < x.rows))
    throw new Error(`plotReview: row = ${String(row)}; x has rows 0..${x.rows - 1}.`);
  const ids = Array.from(x.ids[row]);
  const maxChars = options.maxChars ?? 600;
  const text = options.text ?? "";
  const shown = text.length > maxChars ? `${text.slice(0, maxChars)} …` : text;
  const lines = wrapWords(shown, 110);
  // The words on top, the strip below them: the strip's axis takes the bottom STRIP pixels of the plot area.
  const STRIP = 110;
  const textHeight = lines.length ? 18 * lines.length + 20 : 0;
  const annotations: PlotlyAnnotation[] = lines.length
    ? [
        {
          text: lines.map(plotlyText).join("<br>"),
          x: 0,
          y: 1,
          xref: "paper",
          yref: "paper",
          xanchor: "left",
          yanchor: "top",
          align: "left",
          showarrow: false,
          font: { size: 12, family: "monospace" },
        },
      ]
    : [];
  return {
    data: [
      {
        type: "scatter",
        name: `the ${ids.length} ones of row ${row}`,
        x: ids,
        y: ids.map(() => 0),
        mode: "markers",
        marker: { symbol: "line-ns-open", size: 40, color: "#1f77b4", line: { color: "#1f77b4", width: 1 } },
        ...(options.wordOf
          ? { text: ids.map((j) => options.wordOf!(j)), hovertemplate: "column %{x}: %{text}<extra></extra>" }
          : { hovertemplate: "column %{x}<extra></extra>" }),
      },
    ],
    layout: {
      title: {
        text: plotlyText(
          `Review ${row} and its multi-hot vector: ${ids.length} of ${x.cols.toLocaleString("en-US")} columns are 1 (${((100 * ids.length) / x.cols).toFixed(2)}%)`,
        ),
      },
      xaxis: {
        title: { text: `Column = word id (0 … ${x.cols - 1}; frequent words have small ids)` },
        range: [-50, x.cols + 50],
        zeroline: false,
        showgrid: false,
      },
      yaxis: {
        range: [-1, 1],
        showticklabels: false,
        showgrid: false,
        zeroline: true,
        ticks: "",
        domain: [0, STRIP / (STRIP + textHeight)],
      },
      annotations,
      height: 60 + 60 + STRIP + textHeight,
      margin: { l: 20, r: 20, t: 60, b: 60 },
      showlegend: false,
      hovermode: "closest",
    },
    config: { ...DEFAULT_CONFIG },
  };
}
