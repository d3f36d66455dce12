/**
 * Final models scored once on the test set: for each, the validation accuracy that chose it beside
 * its test accuracy, as grouped bars. Plain data; reads the records `finalModelRecord` builds.
 */
import { fail } from "../check";
import type { RunLike } from "../types";
import { DEFAULT_CONFIG, type Figure, plotlyText } from "./plotly";

/** The validation accuracy at the chosen epoch (`test.epochs`, else the last) and the test accuracy, per final model. */
export function testVsValidation(runs: RunLike[]): { name: string; validation: number; test: number }[] {
  if (!Array.isArray(runs) || runs.length === 0)
    fail("testVsValidation", "runs", runs, "pass the final models' records (finalModelRecord)");
  return runs.map((run, i) => {
    const va = run?.history?.history.val_accuracy;
    if (!run?.test || !va || va.length === 0) {
      fail(
        "testVsValidation",
        `runs[${i}]`,
        run?.name ?? run,
        "it needs validation accuracy and a test score: build it with finalModelRecord(name, choice, evaluate(…))",
      );
    }
    const at = Math.min(run.test.epochs ?? va.length, va.length) - 1;
    return { name: run.name, validation: va[at], test: run.test.accuracy };
  });
}

/** Grouped bars: validation accuracy (what chose the model) and test accuracy (scored once), per final model. */
export function plotTestVsValidation(runs: RunLike[], options: { title?: string } = {}): Figure {
  const rows = testVsValidation(runs);
  const names = rows.map((r) => plotlyText(r.name));
  const x = rows.map((_, i) => i);
  const bar = (name: string, y: number[], color: string) => ({
    type: "bar" as const,
    name,
    x,
    y,
    marker: { color },
    hovertemplate: "%{y:.2%}<extra></extra>",
  });
  const low = Math.min(...rows.flatMap((r) => [r.validation, r.test]));
  return {
    data: [
      bar(
        "validation accuracy (chose the model)",
        rows.map((r) => r.validation),
        "#7f9fbf",
      ),
      bar(
        "test accuracy (scored once)",
        rows.map((r) => r.test),
        "#1f4e79",
      ),
    ],
    layout: {
      title: { text: plotlyText(options.title ?? "Final models: validation vs test accuracy") },
      barmode: "group",
      height: 420,
      margin: { l: 70, r: 30, t: 60, b: 80 },
      legend: { orientation: "h", x: 0, y: -0.15, yanchor: "top" },
      xaxis: { tickvals: x, ticktext: names },
      yaxis: { title: { text: "Accuracy" }, tickformat: ".1%", range: [Math.max(0, low - 0.05), 1] },
    },
    config: { ...DEFAULT_CONFIG },
  };
}
