import * as tf from "@tensorflow/tfjs";
import { colorFor, LESSON_COLORS, variantKey, withAlpha } from "../lib/figures/colors";
import { GAP_FILL } from "../lib/figures/curves";
import { diagnose } from "../lib/reading/diagnose";
import {
  plotRuns,
  formatResultRow,
  histogram,
  plotSizeSweep,
  RESULTS_COLUMNS,
  plotTrainVsVal,
  plotValLossAndAcc,
  smoothSeries,
  resultRows,
  plotResultsTable,
  trainingProgress,
  plotWeights,
  type BarTrace,
  type Figure,
  type ScatterTrace,
  type TableTrace,
} from "../lib/figures";
import type { History, RunLike } from "../lib/types";
import { initBackend } from "../lib/system/backend";
import { groupRuns } from "../lib/runs/seeds";
import { recordedGroup, recordedRun } from "./helpers/recordedHistories";

// The weight-histogram tests build real models: on fitlab's backend, as users do.
beforeAll(() => initBackend({ report: false }));

/** A history with the given per-epoch metrics; epochs 0-based from `first`. */
function makeHistory(metrics: Partial<History["history"]> & Pick<History["history"], "loss">, first = 0): History {
  const n = metrics.loss.length;
  return {
    history: {
      accuracy: metrics.accuracy ?? metrics.loss.map((l) => 1 - l / 2),
      val_loss: metrics.val_loss ?? metrics.loss.map((l) => l + 0.1),
      val_accuracy: metrics.val_accuracy ?? metrics.loss.map((l) => 0.9 - l / 4),
      ...metrics,
    },
    epoch: Array.from({ length: n }, (_, i) => first + i),
    params: { epochs: first + n, batchSize: 512, samples: 15000, validationSamples: 10000, steps: 30 },
  };
}

const overfit: RunLike = {
  name: "original",
  history: makeHistory({
    loss: [0.6, 0.4, 0.3, 0.2, 0.1],
    val_loss: [0.5, 0.4, 0.3, 0.35, 0.45],
    accuracy: [0.7, 0.8, 0.85, 0.9, 0.95],
    val_accuracy: [0.75, 0.8, 0.86, 0.85, 0.84],
  }),
};
const regularized: RunLike = {
  name: "l2",
  history: makeHistory({
    loss: [0.9, 0.7, 0.6, 0.55, 0.5],
    val_loss: [0.8, 0.65, 0.55, 0.5, 0.48],
    crossentropy: [0.6, 0.45, 0.35, 0.3, 0.28],
    val_crossentropy: [0.5, 0.4, 0.33, 0.3, 0.29],
  }),
};

function scatter(figure: Figure): ScatterTrace[] {
  return figure.data.filter((t): t is ScatterTrace => t.type === "scatter");
}

describe("colorFor", () => {
  it("gives each of the lesson's eleven variants its own fixed colour", () => {
    const names = [
      "small",
      "large",
      "tiny",
      "original",
      "smaller",
      "larger",
      "l2",
      "l1",
      "l1l2",
      "dropout",
      "l2dropout",
    ];
    const colors = names.map(colorFor);
    expect(new Set(colors).size).toBe(names.length);
    names.forEach((name) => expect(colorFor(name)).toBe(LESSON_COLORS[name]));
  });

  it("matches catalog names and spellings of the same variant", () => {
    expect(variantKey("imdb.l1l2")).toBe("l1l2");
    expect(colorFor("imdb.l1l2")).toBe(colorFor("L1+L2"));
    expect(colorFor("mnist.small")).toBe(colorFor("small"));
  });

  it("derives a deterministic #rrggbb colour for other names", () => {
    expect(colorFor("my experiment")).toMatch(/^#[0-9a-f]{6}$/);
    expect(colorFor("my experiment")).toBe(colorFor("my experiment"));
    expect(colorFor("run A")).not.toBe(colorFor("run B"));
  });
});

describe("plotValLossAndAcc", () => {
  it("draws validation loss dashed and validation accuracy solid against the history's epochs", () => {
    const figure = plotValLossAndAcc(overfit);
    const [loss, acc] = scatter(figure);
    expect(figure.data).toHaveLength(2);
    expect(loss.name).toBe("validation loss");
    expect(acc.name).toBe("validation accuracy");
    expect(loss.x).toEqual([1, 2, 3, 4, 5]);
    expect(loss.y).toEqual(overfit.history.history.val_loss);
    expect(acc.y).toEqual(overfit.history.history.val_accuracy);
    expect(loss.line?.dash).toBe("dash");
    expect(acc.line?.dash).toBe("solid");
    expect(acc.yaxis).toBe("y2");
    expect(figure.layout.title?.text).toContain("original");
    expect(figure.layout.xaxis?.title?.text).toBe("Epoch");
    expect(figure.layout.yaxis?.title?.text).toMatch(/loss/i);
    expect(figure.layout.yaxis2?.title?.text).toMatch(/accuracy/i);
  });

  it("stacks loss above accuracy on one shared epoch axis, never two y axes over one another (issue 22, item 14)", () => {
    const figure = plotValLossAndAcc(overfit);
    const [loss, acc] = scatter(figure);
    expect(loss.xaxis ?? "x").toBe("x");
    expect(acc.xaxis ?? "x").toBe("x");
    expect(figure.layout.yaxis2?.overlaying).toBeUndefined();
    const [lo1, hi1] = figure.layout.yaxis!.domain!;
    const [lo2, hi2] = figure.layout.yaxis2!.domain!;
    expect(hi2).toBeLessThan(lo1); // accuracy below, loss above, apart
    expect([lo2, hi1]).toEqual([0, 1]);
    expect(figure.layout.xaxis?.anchor).toBe("y2");
  });

  it("refuses the old secondAxis option with what to pass instead", () => {
    expect(() => plotValLossAndAcc(overfit, { secondAxis: true } as never)).toThrow(
      /secondAxis is gone.*layout: "stacked".*"one axis"/,
    );
    expect(() => plotValLossAndAcc(overfit, { layout: "twin" } as never)).toThrow(
      /layout must be "stacked" or "one axis", got "twin"/,
    );
  });

  it("takes the epochs from the history, not 1..20 (a run resumed at epoch 10)", () => {
    const resumed = makeHistory({ loss: [0.3, 0.2, 0.1] }, 10);
    expect(scatter(plotValLossAndAcc(resumed))[0].x).toEqual([11, 12, 13]);
  });

  it("accepts a bare History and can share one axis as the article does", () => {
    const figure = plotValLossAndAcc(overfit.history, { layout: "one axis", name: "small" });
    expect(scatter(figure)[1].yaxis).toBeUndefined();
    expect(figure.layout.yaxis?.title?.text).toBe("Accuracy / loss");
    expect(figure.layout.yaxis2).toBeUndefined();
    expect(scatter(figure)[0].line?.color).toBe(colorFor("small"));
  });
});

describe("plotTrainVsVal", () => {
  it("draws training solid, validation dashed, and shades the gap", () => {
    const [train, val] = scatter(plotTrainVsVal(overfit, "loss"));
    expect(train.name).toBe("training loss");
    expect(val.name).toBe("validation loss");
    expect(train.line?.dash).toBe("solid");
    expect(val.line?.dash).toBe("dash");
    expect(val.fill).toBe("tonexty");
    expect(val.fillcolor).toBe(GAP_FILL);
    expect(train.y).toEqual(overfit.history.history.loss);
  });

  it("marks the best epoch at the true minimum of validation loss", () => {
    const figure = plotTrainVsVal(overfit, "loss");
    const marker = scatter(figure).find((t) => t.mode === "markers");
    expect(marker?.x).toEqual([3]);
    expect(marker?.y).toEqual([0.3]);
    expect(marker?.name).toContain("best epoch 3");
    expect(figure.layout.shapes?.some((s) => s.x0 === 3 && s.x1 === 3)).toBe(true);
  });

  it("puts no best-epoch star on an accuracy figure: the lowest loss's epoch is not the best accuracy's (shuffled labels)", () => {
    const shuffled = recordedRun("nb5.shuffled", 42);
    const figure = plotTrainVsVal(shuffled, "accuracy");
    expect(scatter(figure).filter((t) => t.marker?.symbol === "star")).toHaveLength(0);
    expect(figure.layout.shapes ?? []).toHaveLength(0);
    const va = shuffled.history.history.val_accuracy!;
    const vl = shuffled.history.history.val_loss!;
    expect(va.indexOf(Math.max(...va))).not.toBe(vl.indexOf(Math.min(...vl))); // why: they differ on this run
  });

  it("writes the final gap on the figure", () => {
    const notes = plotTrainVsVal(overfit, "loss").layout.annotations ?? [];
    const gap = notes.find((a) => a.text.startsWith("gap"));
    expect(gap?.text).toBe("gap at epoch 5: +0.3500");
  });

  it("plots the plain cross-entropy arrays for 'crossentropy', and loss when none was recorded", () => {
    const [train, val] = scatter(plotTrainVsVal(regularized, "crossentropy"));
    expect(train.y).toEqual(regularized.history.history.crossentropy);
    expect(val.y).toEqual(regularized.history.history.val_crossentropy);
    const plain = plotTrainVsVal(overfit, "crossentropy");
    expect(scatter(plain)[0].y).toEqual(overfit.history.history.loss);
    expect(plain.layout.title?.text).toContain("loss shown");
  });
});

describe("compareRuns", () => {
  it("draws one dashed validation curve per run, named by the record keys, coloured per run", () => {
    const figure = plotRuns({ original: overfit, l2: regularized }, "val_loss");
    const traces = scatter(figure);
    expect(traces.map((t) => t.name)).toEqual(["original", "l2"]);
    expect(traces.map((t) => t.line?.dash)).toEqual(["dash", "dash"]);
    expect(traces[0].x).toEqual([1, 2, 3, 4, 5]);
    expect(traces[1].y).toEqual(regularized.history.history.val_loss);
  });

  it("keeps each run's colour the same in every figure", () => {
    const compared = scatter(plotRuns([overfit, regularized], "val_accuracy"));
    expect(compared[0].line?.color).toBe(scatter(plotValLossAndAcc(overfit))[0].line?.color);
    expect(compared[1].line?.color).toBe(scatter(plotTrainVsVal(regularized, "loss"))[0].line?.color);
    expect(compared[0].line?.color).not.toBe(compared[1].line?.color);
  });

  it("adds training curves solid with validation dashed when asked", () => {
    const traces = scatter(plotRuns([overfit, regularized], "val_loss", { training: true }));
    expect(traces.map((t) => t.name)).toEqual([
      "original (training)",
      "original (validation)",
      "l2 (training)",
      "l2 (validation)",
    ]);
    expect(traces.map((t) => t.line?.dash)).toEqual(["solid", "dash", "solid", "dash"]);
    expect(traces[0].y).toEqual(overfit.history.history.loss);
  });

  it("compares the plain cross-entropy where recorded (plainCrossentropy or a crossentropy metric)", () => {
    for (const figure of [
      plotRuns([overfit, regularized], "val_loss", { plainCrossentropy: true }),
      plotRuns([overfit, regularized], "val_crossentropy"),
    ]) {
      const [plain, l2] = scatter(figure);
      expect(plain.y).toEqual(overfit.history.history.val_loss); // no penalty: its loss is the cross-entropy
      expect(l2.y).toEqual(regularized.history.history.val_crossentropy);
      expect(figure.layout.yaxis?.title?.text).toContain("cross-entropy");
    }
    const inflated = scatter(plotRuns([overfit, regularized], "val_loss"))[1];
    expect(inflated.y).toEqual(regularized.history.history.val_loss);
  });

  it("smooths with an EMA and keeps the raw curve faint", () => {
    expect(smoothSeries([1, 0, 0, 1], 0.5)).toEqual([1, 0.5, 0.25, 0.625]);
    expect(smoothSeries([1, 2, null, 4, 0], 0.5)).toEqual([1, 1.5, null, 4, 2]);
    expect(smoothSeries([3, 1], 0)).toEqual([3, 1]);
    const traces = scatter(plotRuns([overfit], "val_loss", { smooth: 0.5 }));
    expect(traces).toHaveLength(2);
    expect(traces[0].showlegend).toBe(false);
    expect(traces[0].y).toEqual(overfit.history.history.val_loss);
    expect(traces[1].y).toEqual(smoothSeries(overfit.history.history.val_loss!, 0.5));
  });

  it("scales the epoch axis logarithmically on request", () => {
    expect(plotRuns([overfit], "loss", { logEpochs: true }).layout.xaxis?.type).toBe("log");
    expect(plotRuns([overfit], "loss").layout.xaxis?.type).toBeUndefined();
  });

  it("escapes hostile run names in legends and titles", () => {
    const hostile = "</script><img src=x onerror=alert(1)>";
    const figure = plotRuns({ [hostile]: overfit }, "val_loss");
    expect(scatter(figure)[0].name).toBe("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(figure.layout.title?.text).not.toContain("<");
  });
});

describe("diverged runs", () => {
  const diverged: RunLike = {
    name: "diverged",
    history: makeHistory({
      loss: [0.5, 0.4, NaN, Infinity],
      val_loss: [0.6, 0.5, NaN, NaN],
      val_accuracy: [0.7, 0.75, NaN, NaN],
    }),
  };

  it("breaks the line at NaN (null) and says where the run diverged", () => {
    for (const figure of [
      plotValLossAndAcc(diverged),
      plotTrainVsVal(diverged, "loss"),
      plotRuns([diverged, overfit], "val_loss"),
    ]) {
      const first = scatter(figure)[0];
      expect(first.y.slice(2)).toEqual([null, null]);
      expect(first.y.slice(0, 2).every((v) => typeof v === "number")).toBe(true);
      const notes = (figure.layout.annotations ?? []).map((a) => a.text);
      expect(notes).toContain("diverged diverged at epoch 3");
    }
  });

  it("treats null from a JSON round trip like NaN", () => {
    const fromJson = JSON.parse(JSON.stringify(diverged)) as RunLike;
    expect(scatter(plotValLossAndAcc(fromJson))[0].y).toEqual([0.6, 0.5, null, null]);
  });

  it("draws no note for a healthy run", () => {
    expect(plotValLossAndAcc(overfit).layout.annotations ?? []).toHaveLength(0);
  });
});

describe("bad input", () => {
  it("throws when the history is empty", () => {
    const empty: RunLike = { name: "tiny", history: makeHistory({ loss: [] }) };
    expect(() => plotValLossAndAcc(empty)).toThrow(/run "tiny" has an empty history \(history.epoch is \[\]\)/);
  });

  it("throws naming the run and field when validation metrics are missing", () => {
    const history = makeHistory({ loss: [0.5, 0.4] });
    const { val_loss: _vl, val_accuracy: _va, ...rest } = history.history;
    const noVal = { name: "small", history: { ...history, history: rest } } as unknown as RunLike;
    expect(() => plotValLossAndAcc(noVal)).toThrow(
      /run "small" has no history.history.val_loss \(it recorded: accuracy, loss\).*validationSplit/,
    );
    expect(() => plotRuns([noVal], "val_accuracy")).toThrow(
      /plotRuns: run "small" has no history.history.val_accuracy/,
    );
    expect(() => plotRuns([noVal], "loss")).not.toThrow();
  });

  it("throws naming the field and both lengths when lengths differ", () => {
    const history = makeHistory({ loss: [0.5, 0.4, 0.3] });
    history.history.val_loss = [0.6, 0.5];
    expect(() => plotTrainVsVal({ name: "l1", history }, "loss")).toThrow(
      /run "l1": history.history.val_loss has 2 values but history.epoch has 3/,
    );
  });

  it("throws for a missing epoch array, duplicate names, no runs, bad metric or bad smoothing", () => {
    const noEpoch = {
      name: "x",
      history: { history: overfit.history.history, params: overfit.history.params },
    } as unknown as RunLike;
    expect(() => plotValLossAndAcc(noEpoch)).toThrow(/run "x" has no history.epoch array/);
    expect(() => plotRuns([overfit, overfit], "val_loss")).toThrow(/two runs are named "original"/);
    expect(() => plotRuns([], "val_loss")).toThrow(/no runs given/);
    expect(() => plotRuns([overfit], "val_acc" as never)).toThrow(/metric must be one of .*got "val_acc"/);
    expect(() => plotTrainVsVal(overfit, "mse" as never)).toThrow(
      /metric must be "loss", "accuracy" or "crossentropy", got "mse"/,
    );
    expect(() => plotRuns([overfit], "val_loss", { smooth: 1 })).toThrow(/smooth must be a number in \[0, 1\).*got 1/);
    expect(() => plotValLossAndAcc(42 as never)).toThrow(/expected a run/);
  });
});

describe("results table", () => {
  it("has one row per run with the diagnosis's numbers", () => {
    const rows = resultRows({ original: overfit, l2: regularized.history });
    expect(rows.map((r) => r.name)).toEqual(["original", "l2"]);
    const d = diagnose(overfit.history);
    expect(rows[0]).toEqual({
      name: "original",
      epochs: 5,
      bestEpoch: 3,
      minValLoss: 0.3,
      maxValAccuracy: 0.86,
      finalGap: d.finalGap,
      verdict: d.verdict,
      severity: d.severity,
      cause: d.cause,
      reason: d.reason,
      seeds: 1,
    });
  });

  it("draws a Plotly table with escaped names coloured per run", () => {
    const hostile = "<b>x</b>";
    const figure = plotResultsTable([overfit, { name: hostile, history: regularized.history }]);
    const table = figure.data[0] as TableTrace;
    expect(table.type).toBe("table");
    expect(table.header.values).toHaveLength(RESULTS_COLUMNS.length);
    expect(table.cells.values[0]).toEqual(["original", "&lt;b&gt;x&lt;/b&gt;"]);
    expect(table.cells.values[2]).toEqual(["3", String(diagnose(regularized.history).bestEpoch)]);
    expect((table.cells.font?.color as string[][])[0]).toEqual([colorFor("original"), colorFor(hostile)]);
  });
});

describe("trainingProgress (the live figure)", () => {
  it("draws a partial history on a fixed epoch axis", () => {
    const partial = makeHistory({ loss: [0.6, 0.4] });
    partial.params.epochs = 20;
    const figure = trainingProgress("original", partial);
    expect(figure.data).toHaveLength(4);
    expect(figure.layout.xaxis?.range).toEqual([0.5, 20.5]);
    expect(figure.layout.title?.text).toBe("original — epoch 2 of 20");
    expect(scatter(figure).map((t) => t.line?.dash)).toEqual(["solid", "dash", "solid", "dash"]);
  });

  it("draws a group's mean with its min–max band, labelled, as the figures after the run do (issue 22, item 15)", () => {
    const group = recordedGroup("imdb.original", [1, 2, 3]);
    const figure = trainingProgress("original", group.history, { seeds: 3, bands: group.bands });
    expect(figure.layout.title?.text).toBe("original (mean of 3 seeds) — epoch 20 of 20");
    const lines = scatter(figure).filter((t) => t.showlegend !== false);
    expect(lines.map((t) => t.name)).toEqual(
      ["training loss", "validation loss", "training accuracy", "validation accuracy"].map(
        (n) => `${n} (mean of 3 seeds, band: min–max)`,
      ),
    );
    const bandTraces = scatter(figure).filter((t) => t.showlegend === false);
    expect(bandTraces).toHaveLength(8);
    const valMax = bandTraces.find((t) => t.name === "original validation loss max")!;
    expect(valMax.y).toEqual(group.bands.val_loss!.high);
    expect(valMax.xaxis).toBe("x");
    expect(bandTraces.find((t) => t.name === "original validation accuracy max")!.xaxis).toBe("x2");
    // One seed: no band, no "mean" label.
    expect(scatter(trainingProgress("original", group.history, { seeds: 1 })).map((t) => t.name)[0]).toBe(
      "training loss",
    );
  });
});

describe("weightHistograms", () => {
  it("bins values with edge bins catching values outside the range", () => {
    const h = histogram([-2, -0.5, 0, 0.1, 0.5, 3, NaN], 4, -1, 1);
    expect(h.counts).toEqual([1, 1, 2, 2]); // -2 → first bin, -0.5 starts bin 2, 3 → last bin
    expect(h.centers).toEqual([-0.75, -0.25, 0.25, 0.75]);
    expect(h.total).toBe(6);
    expect(h.skipped).toBe(1);
  });

  it("shows a narrower distribution for shrunk weights, in percent of each model's weights", () => {
    const wide = Float32Array.from({ length: 1000 }, (_, i) => ((i % 100) - 49.5) / 100);
    const narrow = wide.map((v) => v / 10);
    const figure = plotWeights(
      { original: [{ name: "k", values: wide }], l2: [{ name: "k", values: narrow }] },
      { bins: 21 },
    );
    const bars = figure.data as BarTrace[];
    expect(bars).toHaveLength(2);
    bars.forEach((bar) => expect(bar.y.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 6));
    const std = (name: string) => Number(/σ ([0-9.e-]+)/.exec(bars.find((b) => b.name.startsWith(name))!.name)![1]);
    expect(std("l2")).toBeCloseTo(std("original") / 10, 3);
    expect(bars[0].marker?.color).toBe(colorFor("original"));
    expect(bars[0].x).toEqual(bars[1].x); // shared bins
    expect(figure.layout.barmode).toBe("overlay");
  });

  it("reads the kernels of a real model without leaking tensors, and lays out subplots", () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.dense({ units: 2 })],
    });
    const before = tf.memory().numTensors;
    const figure = plotWeights({ original: model, dropout: model }, { layout: "subplots", bins: 11 });
    expect(tf.memory().numTensors).toBe(before);
    const bars = figure.data as BarTrace[];
    // Bars are % of the kernel weights: 3×4 + 4×2 = 20 (biases, 4 + 2 more, excluded), so every bar
    // is a whole number of weights out of 20 and they add up to all 20.
    const weightsPerBar = (bar: BarTrace, total: number) => bar.y.map((percent) => (percent * total) / 100);
    for (const bar of bars) {
      const counts = weightsPerBar(bar, 20);
      counts.forEach((c) => expect(c).toBeCloseTo(Math.round(c), 6));
      expect(counts.reduce((a, c) => a + c, 0)).toBeCloseTo(20, 6);
    }
    expect(bars[1].yaxis).toBe("y2");
    expect(figure.layout.yaxis2?.domain).toBeDefined();
    const firstOnly = plotWeights({ original: model }, { kernels: [1], bins: 5 });
    // kernels: [1] is the second layer's 4×2 = 8 weights alone.
    const second = weightsPerBar(firstOnly.data[0] as BarTrace, 8);
    second.forEach((c) => expect(c).toBeCloseTo(Math.round(c), 6));
    expect(second.reduce((a, c) => a + c, 0)).toBeCloseTo(8, 6);
    expect(() => plotWeights({ original: model }, { kernels: [2] })).toThrow(
      /kernel index 2 is out of range; it has 2 kernels/,
    );
    model.dispose();
  });

  it("reads a run's model, and a group of seeds' first seed's model, as the model itself", () => {
    const first = tf.sequential({
      layers: [tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.dense({ units: 2 })],
    });
    const second = tf.sequential({
      layers: [tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.dense({ units: 2 })],
    });
    const group = { name: "original", seedRuns: [{ model: first }, { model: second }] };
    const direct = plotWeights({ original: first, l2: second }, { kernels: [0] });
    expect(plotWeights({ original: group, l2: { model: second } }, { kernels: [0] })).toEqual(direct);
    expect(plotWeights({ original: group }, { kernels: [0] })).not.toEqual(
      plotWeights({ original: second }, { kernels: [0] }),
    );
    first.dispose();
    second.dispose();
  });

  it("says what the tallest (middle) bar holds beside the share within ±0.001, so the two numbers do not contradict (issue 22, item 16)", () => {
    // L1-like: 60% exactly zero, 20% within ±0.005 (inside the middle bar, outside ±0.001), the rest spread out.
    const values = Float32Array.from({ length: 1000 }, (_, i) =>
      i < 600 ? 0 : i < 800 ? 0.004 * (i % 2 ? 1 : -1) : ((i % 100) - 49.5) / 100,
    );
    const figure = plotWeights({ l1: [{ name: "k", values }] });
    const bar = figure.data[0] as BarTrace;
    const middle = (bar.y.length - 1) / 2;
    expect(Math.max(...bar.y)).toBe(bar.y[middle]);
    const label = bar.name;
    expect(label).toMatch(/60\.0% within ±0\.001/);
    const [, inMiddle, halfWidth] = /, ([\d.]+)% in the middle bar \(±([\d.]+)\)$/.exec(label)!;
    expect(Number(inMiddle)).toBeCloseTo(bar.y[middle], 1);
    expect(Number(halfWidth)).toBeCloseTo(bar.width! / 2, 3);
    expect(Number(inMiddle)).toBeGreaterThan(60);
  });

  it("throws for no models or bad options", () => {
    expect(() => plotWeights({})).toThrow(/no models given/);
    expect(() => plotWeights({ a: [{ name: "k", values: [1, 2] }] }, { bins: 1 })).toThrow(
      /bins must be an integer in \[2, 1000\]/,
    );
    expect(() => plotWeights({ a: [] })).toThrow(/model "a" has no kernel weights/);
    expect(() => plotWeights({ a: [{ name: "k", values: [NaN] }] })).toThrow(/no finite kernel weights/);
  });
});

describe("SeedGroups as bands (recorded full-data histories)", () => {
  const original = recordedGroup("imdb.original", [1, 2, 3]);
  const l2 = recordedGroup("imdb.l2", [1, 2, 3]);

  /** The traces of one run's band: invisible lower edge, then the upper edge filled down to it. */
  function bands(figure: Figure): ScatterTrace[] {
    return scatter(figure).filter((t) => t.showlegend === false && t.hoverinfo === "skip" && /(min|max)$/.test(t.name));
  }

  it("compareRuns draws each group's mean with a min–max band in its colour, and says so in the legend", () => {
    const figure = plotRuns([original, l2], "val_loss", { plainCrossentropy: true });
    const lines = scatter(figure).filter((t) => t.showlegend !== false);
    expect(lines.map((t) => t.name)).toEqual([
      "original (mean of 3 seeds, band: min–max)",
      "l2 (mean of 3 seeds, band: min–max)",
    ]);
    const b = bands(figure);
    expect(b).toHaveLength(4);
    // l2's band is of the plain cross-entropy, the curve drawn: not of Keras's penalized val_loss.
    expect(b[2].y).toEqual(l2.bands.val_crossentropy!.low);
    expect(b[3].y).toEqual(l2.bands.val_crossentropy!.high);
    expect(lines[1].y).toEqual(l2.history.history.val_crossentropy);
    expect(b[3].fill).toBe("tonexty");
    expect(b[3].fillcolor).toBe(withAlpha(colorFor("l2"), 0.18));
    expect(b[0].y).toEqual(original.bands.val_loss!.low);
    // Every band lies around its mean.
    for (let e = 0; e < 20; e++) {
      expect(b[2].y[e] as number).toBeLessThanOrEqual(lines[1].y[e] as number);
      expect(b[3].y[e] as number).toBeGreaterThanOrEqual(lines[1].y[e] as number);
    }
    // A band hides with its run's legend entry.
    expect(b.map((t) => t.legendgroup)).toEqual(["original", "original", "l2", "l2"]);
  });

  it("keeps the group when runs come as a record { name: group }", () => {
    const figure = plotRuns({ first: original, second: l2 }, "val_crossentropy");
    expect(bands(figure)).toHaveLength(4);
    expect(scatter(figure).find((t) => t.showlegend !== false)!.name).toBe("first (mean of 3 seeds, band: min–max)");
  });

  it("draws single runs without bands, as before", () => {
    const single = recordedRun("imdb.original", 42);
    const figure = plotRuns([single], "val_loss");
    expect(bands(figure)).toHaveLength(0);
    expect(scatter(figure)[0].name).toBe("original");
  });

  it("plotTrainVsVal keeps the gap shading between the mean curves, adds both bands, and stars the mean's best epoch", () => {
    const figure = plotTrainVsVal(l2, "crossentropy");
    const traces = scatter(figure);
    expect(traces[0].name).toBe("training cross-entropy (no penalty) (mean of 3 seeds, band: min–max)");
    expect(traces[1].fill).toBe("tonexty"); // the gap: validation mean filled down to the training mean
    expect(bands(figure)).toHaveLength(4);
    // The gap is grey, the seed bands are in the run's colour: two shadings, two colours (issue 22, item 16).
    expect(traces[1].fillcolor).toBe(GAP_FILL);
    for (const b of bands(figure).filter((t) => t.fill)) expect(b.fillcolor).toBe(withAlpha(colorFor("l2"), 0.18));
    const star = traces.find((t) => t.marker?.symbol === "star")!;
    const mean = l2.history.history.val_crossentropy!;
    const best = mean.indexOf(Math.min(...mean));
    expect(star.x).toEqual([best + 1]);
    expect(star.name).toContain("min validation cross-entropy");
    expect(star.name).toContain("of the mean");
  });

  it("plotValLossAndAcc bands loss and accuracy, the accuracy band on the accuracy panel", () => {
    const figure = plotValLossAndAcc(original);
    const b = bands(figure);
    expect(b).toHaveLength(4);
    expect(b.filter((t) => t.yaxis === "y2")).toHaveLength(2);
    expect(figure.layout.title?.text).toContain("mean of 3 seeds");
  });

  it("plotSizeSweep puts every run's validation cross-entropy on a log epoch axis with its best epoch starred", () => {
    const tiny = recordedGroup("imdb.tiny", [1, 2, 3]);
    const figure = plotSizeSweep([tiny, original]);
    expect(figure.layout.xaxis?.type).toBe("log");
    expect(bands(figure)).toHaveLength(4);
    const stars = scatter(figure).filter((t) => t.marker?.symbol === "star");
    expect(stars.map((t) => t.x[0])).toEqual(
      [tiny, original].map((g) => {
        const v = g.history.history.val_loss!;
        return v.indexOf(Math.min(...v)) + 1;
      }),
    );
  });

  it("result rows carry the seeds, the mean's verdict with its severity, and the plain minimum", () => {
    const rows = resultRows([original, l2]);
    expect(rows.map((r) => r.seeds)).toEqual([3, 3]);
    expect(rows[1].minValLoss).toBe(Math.min(...l2.history.history.val_crossentropy!));
    expect(rows[1].minValLoss).toBeLessThan(Math.min(...l2.history.history.val_loss!));
    expect(rows.map((r) => [r.verdict, r.severity])).toEqual([
      ["overfitting", "strong"],
      ["overfitting", "mild"],
    ]);
    const cells = formatResultRow(rows[1]);
    expect(cells[RESULTS_COLUMNS.indexOf("Seeds")]).toBe("3");
    expect(cells[RESULTS_COLUMNS.indexOf("Verdict")]).toBe("overfitting (mild)");
  });

  it("a group of one seed is drawn without a band: one seed has no spread", () => {
    const one = groupRuns("original", [recordedRun("imdb.original", 42)], [42]);
    const fig = plotRuns([one], "val_loss");
    expect(bands(fig)).toEqual([]);
    expect(fig.data).toHaveLength(1);
  });
});
