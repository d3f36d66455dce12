/**
 * fitlab's curves over Keras's (lib/reading/kerasReference.ts): for each run, fitlab's seed mean (solid) with
 * its min–max band and Keras's (dotted) with its band, in the run's lesson colour. Plain data.
 */
import { colorFor } from "./colors";
import type { SeedGroup } from "../types";
import { plotRuns, type CompareMetric } from "./curves";
import { plotlyText, type Figure, type ScatterTrace } from "./plotly";

export interface ReferencePair {
  /** The fixture name, e.g. "imdb.original". */
  run: string;
  fitlab: SeedGroup;
  keras: SeedGroup;
}

/**
 * Validation cross-entropy (no penalty; default) or accuracy of each pair, fitlab over Keras.
 * Traces are compareRuns's; only their colour (the run's, on both sides) and dash (fitlab solid,
 * Keras dotted) change, so the bands and hover text stay the ones every lesson figure has.
 */
export function plotKerasReference(
  pairs: ReferencePair[],
  options: { metric?: Extract<CompareMetric, "val_crossentropy" | "val_accuracy">; title?: string } = {},
): Figure {
  if (!Array.isArray(pairs) || pairs.length === 0)
    throw new Error(
      "plotKerasReference: pass at least one { run, fitlab, keras } pair (loadRecorded gives the groups).",
    );
  const metric = options.metric ?? "val_crossentropy";
  const groups = pairs.flatMap((p) => [p.fitlab, p.keras]);
  const label = metric === "val_accuracy" ? "validation accuracy" : "validation cross-entropy";
  const fig = plotRuns(groups, metric, {
    title:
      options.title ??
      `fitlab (solid) over Keras (dotted), ${label}: ${pairs.map((p) => p.run.split(".").pop()).join(", ")}`,
  });
  const styleOf = new Map<string, { color: string; dash: "solid" | "dot" }>();
  for (const p of pairs) {
    const color = colorFor(p.run.split(".").pop()!);
    styleOf.set(plotlyText(p.fitlab.name), { color, dash: "solid" });
    styleOf.set(plotlyText(p.keras.name), { color, dash: "dot" });
  }
  for (const trace of fig.data as ScatterTrace[]) {
    const style = trace.legendgroup !== undefined ? styleOf.get(trace.legendgroup) : undefined;
    if (!style || !trace.line) continue;
    const band = trace.line.width === 0;
    trace.line = { ...trace.line, color: style.color, ...(band ? {} : { dash: style.dash }) };
    if (trace.marker)
      trace.marker = {
        ...trace.marker,
        color: style.color,
        ...(style.dash === "dot" ? { symbol: "circle-open" } : {}),
      };
    if (trace.fillcolor) trace.fillcolor = withAlpha(style.color, style.dash === "dot" ? 0.1 : 0.2);
  }
  return fig;
}

function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
