/**
 * The small part of Plotly's figure schema that fitlab's figures use, typed so a typo in a trace
 * fails to compile. Plain JSON data: what `Plotly.newPlot(div, data, layout, config)` takes and what
 * the `application/vnd.plotly.v1+json` MIME bundle carries. (@types/plotly.js is not a dependency:
 * it is large, tied to one plotly.js version, and we need a few dozen fields.)
 */

/** One value on an axis; `null` breaks a line (Plotly draws no segment through it). */
export type Datum = number | string | null;

export type Dash = "solid" | "dash" | "dot" | "dashdot" | "longdash";

export interface PlotlyLine {
  color?: string;
  dash?: Dash;
  width?: number;
}

export interface PlotlyMarker {
  color?: string | string[];
  size?: number;
  symbol?: string;
  opacity?: number;
  line?: { color?: string; width?: number };
}

export interface PlotlyFont {
  color?: string | string[] | string[][];
  size?: number;
  family?: string;
}

export interface ScatterTrace {
  type: "scatter";
  name: string;
  x: Datum[];
  y: Datum[];
  mode: "lines" | "markers" | "lines+markers";
  line?: PlotlyLine;
  marker?: PlotlyMarker;
  xaxis?: string;
  yaxis?: string;
  fill?: "none" | "tonexty" | "tozeroy";
  fillcolor?: string;
  showlegend?: boolean;
  legendgroup?: string;
  connectgaps?: boolean;
  opacity?: number;
  hoverinfo?: "skip" | "all" | "none";
  hovertemplate?: string;
  /** Per-point hover text (e.g. the word a multi-hot column stands for). */
  text?: string[];
  /** false hides the trace until a slider step shows it (figures with `layout.sliders`). */
  visible?: boolean;
}

/** A grid of values drawn as coloured cells (images: z[row][col], row 0 at the top with a reversed y axis). */
export interface HeatmapTrace {
  type: "heatmap";
  name: string;
  z: (number | null)[][];
  colorscale?: string | [number, string][];
  zmin?: number;
  zmax?: number;
  showscale?: boolean;
  xaxis?: string;
  yaxis?: string;
  hoverinfo?: "skip" | "all" | "none";
  hovertemplate?: string;
}

export interface BarTrace {
  type: "bar";
  name: string;
  x: number[];
  y: number[];
  width?: number;
  marker?: PlotlyMarker;
  opacity?: number;
  xaxis?: string;
  yaxis?: string;
  showlegend?: boolean;
  legendgroup?: string;
  hovertemplate?: string;
}

export interface TableTrace {
  type: "table";
  columnwidth?: number[];
  header: {
    values: string[];
    align?: string | string[];
    fill?: { color?: string };
    font?: PlotlyFont;
    height?: number;
  };
  cells: {
    /** Column-major: values[column][row]. */
    values: Datum[][];
    align?: string | string[];
    fill?: { color?: string | string[] | string[][] };
    font?: PlotlyFont;
    height?: number;
  };
}

export type PlotlyTrace = ScatterTrace | BarTrace | TableTrace | HeatmapTrace;

export interface PlotlyAxis {
  title?: { text: string };
  type?: "linear" | "log";
  range?: [number, number];
  rangemode?: "normal" | "tozero" | "nonnegative";
  side?: "left" | "right";
  overlaying?: string;
  anchor?: string;
  domain?: [number, number];
  tickformat?: string;
  /** Category labels on a numeric axis (e.g. one bar group per model). */
  tickvals?: number[];
  ticktext?: string[];
  dtick?: number;
  tick0?: number;
  zeroline?: boolean;
  showgrid?: boolean;
  matches?: string;
  /** "reversed": row 0 of an image at the top. */
  autorange?: boolean | "reversed";
  /** Keep pixels square: the y axis scales with the named axis. */
  scaleanchor?: string;
  showticklabels?: boolean;
  ticks?: "" | "outside" | "inside";
}

export interface PlotlyAnnotation {
  text: string;
  x: number;
  y: number;
  xref?: string;
  yref?: string;
  showarrow?: boolean;
  arrowhead?: number;
  ax?: number;
  ay?: number;
  xanchor?: "left" | "center" | "right" | "auto";
  yanchor?: "top" | "middle" | "bottom" | "auto";
  /** How the lines of a multi-line text align with each other. */
  align?: "left" | "center" | "right";
  font?: PlotlyFont;
  bgcolor?: string;
}

export interface PlotlyShape {
  type: "line" | "rect";
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  xref?: string;
  yref?: string;
  line?: PlotlyLine;
  fillcolor?: string;
  opacity?: number;
  layer?: "above" | "below";
}

export interface PlotlyLayout {
  title?: { text: string };
  xaxis?: PlotlyAxis;
  yaxis?: PlotlyAxis;
  xaxis2?: PlotlyAxis;
  yaxis2?: PlotlyAxis;
  /** Further axes of subplots (xaxis3, yaxis3, …). */
  [axis: `${"x" | "y"}axis${number}`]: PlotlyAxis | undefined;
  annotations?: PlotlyAnnotation[];
  shapes?: PlotlyShape[];
  /** traceorder "normal": Plotly lists filled (stacked) traces in reverse unless told. */
  legend?: {
    orientation?: "h" | "v";
    x?: number;
    y?: number;
    xanchor?: string;
    yanchor?: string;
    traceorder?: "normal" | "reversed" | "grouped";
  };
  showlegend?: boolean;
  barmode?: "overlay" | "group" | "stack";
  bargap?: number;
  height?: number;
  width?: number;
  margin?: { l?: number; r?: number; t?: number; b?: number };
  hovermode?: "x unified" | "closest" | "x" | false;
  /** Sliders whose steps restyle the traces (precomputed runs: no kernel needed to move them). */
  sliders?: PlotlySlider[];
}

/** One step of a slider: `args` is Plotly.restyle's ({ visible: [...] }) or relayout's. */
export interface PlotlySliderStep {
  label: string;
  method: "restyle" | "relayout" | "update";
  args: unknown[];
}

export interface PlotlySlider {
  active: number;
  steps: PlotlySliderStep[];
  currentvalue?: { prefix?: string; visible?: boolean; xanchor?: "left" | "center" | "right" };
  pad?: { t?: number; b?: number; l?: number; r?: number };
  x?: number;
  len?: number;
}

export interface PlotlyConfig {
  responsive?: boolean;
  displaylogo?: boolean;
  displayModeBar?: boolean | "hover";
  staticPlot?: boolean;
}

/** A complete figure: the arguments of `Plotly.newPlot(div, data, layout, config)`. */
export interface Figure {
  data: PlotlyTrace[];
  layout: PlotlyLayout;
  config?: PlotlyConfig;
}

/** The config every fitlab figure uses: resizes with the cell, no Plotly logo. */
export const DEFAULT_CONFIG: PlotlyConfig = { responsive: true, displaylogo: false };

/**
 * Plotly renders names, titles, annotations and table cells through its own small HTML subset
 * (<b>, <br>, <a href>, …) and decodes entities. Escaping &, < and > makes user text (run names,
 * titles) show literally instead of being parsed as markup.
 */
export function plotlyText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The reverse of plotlyText, for plain-text and HTML-title uses of a figure's (escaped) text. */
export function fromPlotlyText(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** Wraps text into lines of at most `width` characters, at spaces (a figure's text has no automatic line breaks). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
