/**
 * The learner's lesson tools on plain data: fewer training rows against the same validation rows,
 * the measures exercises and sweeps read, the sweep lines (their words follow the numbers), the
 * figures of the data and of the sweeps (plain Plotly data a slider can restyle), and the closing
 * summary filled from recorded runs of the lesson.
 */
import { withFixedValidation } from "../lib/data/subsets";
import { plotDigits, plotExtraChannels, plotReview } from "../lib/figures/data";
import { plotCapacity, plotSweepSlider } from "../lib/figures/sweeps";
import type { HeatmapTrace, ScatterTrace } from "../lib/figures/plotly";
import { plotLessonTable, lessonTableRows } from "../lib/reading/lessonTable";
import { diagnose } from "../lib/reading/diagnose";
import { explainLine } from "../lib/reading/curves";
import { wordOfId } from "../lib/data/imdb";
import { roughPercent as formatPercent } from "../lib/format";
import { measure, measureSeeds } from "../lib/reading/measures";
import { variants } from "../lib/lesson/models";
import { groupRuns } from "../lib/runs/seeds";
import { capacityLine, moreDataLine, strengthLine } from "../lib/reading/sweeps";
import { sweepSpec, type Sweep, type SweepKind } from "../lib/lesson/sweeps";
import { splitRows } from "../lib/training/options";
import type { DenseMatrix, History, MultiHotMatrix, RunLike, SeedGroup } from "../lib/types";
import type { Run } from "../lib/runs/train";
import { recordedGroup, recordedRun } from "./helpers/recordedHistories";

function history(val: number[], train: number[], valAcc = val.map(() => 0.8)): History {
  return {
    history: { loss: train, accuracy: train.map(() => 0.9), val_loss: val, val_accuracy: valAcc },
    epoch: val.map((_, i) => i),
    params: { epochs: val.length, batchSize: 512, samples: 15000, validationSamples: 10000, steps: 30 },
  };
}

/** A SeedGroup of runs with the given validation curves (training curve: a falling line). */
function group(name: string, vals: number[][]): SeedGroup<Run> {
  const runs = vals.map((v) => ({
    name,
    history: history(
      v,
      v.map((_, i) => 0.5 / (i + 1)),
    ),
  }));
  return groupRuns(
    name,
    runs,
    vals.map((_, i) => 42 + i),
  ) as unknown as SeedGroup<Run>;
}

function sweep(kind: SweepKind, values: number[], curves: number[][][]): Sweep {
  return { kind, values, groups: curves.map((c, i) => group(`${kind} ${values[i]}`, c)) };
}

describe("withFixedValidation", () => {
  const rows = 25000;
  const x: MultiHotMatrix = {
    kind: "multihot",
    rows,
    cols: 10,
    ids: Array.from({ length: rows }, (_, i) => Int32Array.of(i % 10)),
  };
  const y = Float32Array.from({ length: rows }, (_, i) => i);

  it.each([5000, 10000, 1, 777, 14999])(
    "keeps the same 10,000 validation rows with the first %i training rows",
    (n) => {
      const d = withFixedValidation(x, y, n, 0.4);
      const { nTrain, nVal } = splitRows(d.x.rows, d.validationSplit);
      expect([nTrain, nVal]).toEqual([n, 10000]);
      expect(Array.from(d.y.subarray(0, n))).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(Array.from(d.y.subarray(n))).toEqual(Array.from({ length: 10000 }, (_, i) => 15000 + i));
      expect(d.x.ids[n]).toBe(x.ids[15000]);
    },
  );

  it("returns the data itself, with the same split, for every training row (so the run is the cached one)", () => {
    const d = withFixedValidation(x, y, 15000, 0.4);
    expect(d.x).toBe(x);
    expect(d.validationSplit).toBe(0.4);
  });

  it("copies the rows of a dense matrix", () => {
    const dense: DenseMatrix = {
      kind: "dense",
      rows: 5,
      cols: 2,
      data: Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]),
    };
    const d = withFixedValidation(dense, [0, 1, 2, 3, 4], 1, 0.4);
    expect(Array.from(d.x.data)).toEqual([0, 0, 3, 3, 4, 4]);
    expect(splitRows(3, d.validationSplit)).toEqual({ nTrain: 1, nVal: 2 });
  });

  it("refuses more training rows than the split leaves, saying how many there are", () => {
    expect(() => withFixedValidation(x, y, 20000, 0.4)).toThrow(/trainRows = 20000.*at most the 15000 training rows/);
    expect(() => withFixedValidation(x, y.subarray(1), 10, 0.4)).toThrow(/one label per row/);
    expect(() => withFixedValidation(x, y, 10, 0)).toThrow(/validationSplit = 0/);
  });
});

describe("measure", () => {
  it("reads the minimum, its epoch, the rise (the trend's end above the minimum) and the final training loss", () => {
    // 12 epochs: the trend line runs through the last 8, a straight climb 0.20 → 0.34 with one spike
    // (0.5 at epoch 10) that moves neither the line nor the rise; the last epoch alone would say 70%.
    const val = [0.5, 0.3, 0.2, 0.22, 0.24, 0.26, 0.28, 0.3, 0.32, 0.5, 0.36, 0.34];
    const m = measure({
      name: "r",
      history: history(
        val,
        val.map((_, i) => 0.6 / (i + 1)),
        val.map((_, i) => (i === 2 ? 0.88 : 0.8)),
      ),
    });
    expect(m.bestEpoch).toBe(3);
    expect(m.minValLoss).toBe(0.2);
    expect(m.trendEpochs).toBe(8);
    expect(m.endValLoss).toBeCloseTo(0.38, 12);
    expect(m.rise).toBeCloseTo(0.9, 12);
    expect(m.lastValLoss).toBe(0.34);
    expect(m.finalTrainLoss).toBeCloseTo(0.05, 12);
    expect(m.maxValAccuracy).toBe(0.88);
  });

  it("gives the diagnosis's rise and explain's percentage for the same run (one rise for the whole lesson)", () => {
    for (const name of ["imdb.original", "imdb.l2", "imdb.dropout", "imdb.smaller", "mnist.large"]) {
      const run = recordedGroup(name);
      const m = measure(run);
      expect(m.rise).toBe(diagnose(run).rise);
      expect(explainLine(run)).toContain(`ends ${formatPercent(m.rise)} above the minimum`);
    }
  });

  it("is never below zero, and a run shorter than the trend's 8 epochs fits its line through all of them", () => {
    const m = measure(history([0.5, 0.4, 0.3], [0.5, 0.4, 0.3]));
    expect(m.trendEpochs).toBe(3);
    expect(m.rise).toBe(0);
  });

  it("keeps the last epoch's values as they are", () => {
    const m = measure({
      name: "r",
      history: history([0.5, 0.3, 0.2, 0.25, 0.3], [0.6, 0.4, 0.3, 0.2, 0.1], [0.7, 0.8, 0.88, 0.87, 0.86]),
    });
    expect(m.lastValLoss).toBe(0.3);
    expect(m.finalTrainLoss).toBe(0.1);
    expect(m.maxValAccuracy).toBe(0.88);
  });

  it("prefers the plain cross-entropy of a regularized run", () => {
    const h = history([0.6, 0.5], [0.7, 0.6]);
    h.history.val_crossentropy = [0.4, 0.3];
    h.history.crossentropy = [0.35, 0.25];
    expect(measure(h)).toMatchObject({ minValLoss: 0.3, finalTrainLoss: 0.25 });
  });

  it("measures each seed of a group", () => {
    const g = group("g", [
      [0.3, 0.2, 0.4],
      [0.3, 0.25, 0.2],
    ]);
    expect(measureSeeds(g).map((m) => m.bestEpoch)).toEqual([2, 3]);
  });

  it("refuses a history without validation", () => {
    const h = history([0.1], [0.1]);
    delete h.history.val_loss;
    expect(() => measure(h)).toThrow(/validationSplit > 0/);
  });
});

describe("the sweep lines say what the numbers show", () => {
  it("more data: a lower minimum and a smaller rise, in the seeds that show it", () => {
    const s = sweep(
      "samples",
      [5000, 15000],
      [
        [
          [0.4, 0.35, 0.5],
          [0.41, 0.36, 0.52],
        ],
        [
          [0.35, 0.3, 0.33],
          [0.36, 0.31, 0.32],
        ],
      ],
    );
    const line = moreDataLine(s);
    expect(line).toContain(
      "5,000 / 15,000 training reviews against the same 10,000 validation reviews (mean of 2 seeds)",
    );
    expect(line).toMatch(/the minimum is lower \(in 2 of 2 seeds lower\)/);
    expect(line).toContain("An epoch is 30 / 30 weight updates.");
    expect(line).toMatch(/the rise after it by epoch 3 lower \(in 2 of 2 seeds smaller\)/);
  });

  it("more data compared at equal training: each run read at the epoch where it has made as many updates as the fewest reviews' whole run", () => {
    const s = sweep(
      "samples",
      [5000, 15000],
      [[[0.4, 0.35, 0.36, 0.37, 0.38, 0.39]], [[0.35, 0.3, 0.33, 0.5, 0.6, 0.7]]],
    );
    s.groups[0].history.params.steps = 10;
    s.groups[1].history.params.steps = 30;
    const line = moreDataLine(s);
    expect(line).toContain("An epoch is 10 / 30 weight updates.");
    // 6 epochs of 10 updates = 60 = 2 epochs of 30: by then the 15,000-review run is still at its minimum.
    expect(line).toMatch(
      /At equal training, about 60 weight updates \(epoch 6 \/ 2\), the rise after the minimum so far is \d+% \/ 0%\./,
    );
    // At epoch 6 it has risen far more than the 5,000-review run: the unequal comparison says the opposite.
    expect(line).toMatch(/the rise after it by epoch 6 higher/);
  });

  it("more data that does not help is said so", () => {
    const s = sweep("samples", [5000, 15000], [[[0.3, 0.3]], [[0.4, 0.4]]]);
    expect(moreDataLine(s)).toMatch(/the minimum is higher \(in 0 of 1 seed lower\)/);
  });

  it("capacity: the spread of the best validation cross-entropies, and where both curves end at the narrowest and the widest", () => {
    const s = sweep("width", [4, 16, 512], [[[0.3, 0.29]], [[0.28, 0.3]], [[0.3, 0.5]]]);
    const line = capacityLine(s);
    expect(line).toContain(
      "Best validation cross-entropy (each seed's lowest, averaged over 1 seed, as the figure draws it) from 0.280 (16 units) to 0.300 (512 units), a spread of 0.020.",
    );
    expect(line).toContain("the validation cross-entropy 0.290 and 0.500.");
  });

  it("capacity: the line's minima are the figure's (the mean of the seeds' minima, not the minimum of the mean curve)", () => {
    // Two seeds lowest at different epochs: their minima average 0.25; the mean curve never goes below 0.3.
    const s = sweep(
      "width",
      [4, 16],
      [
        [
          [0.2, 0.4],
          [0.4, 0.3],
        ],
        [
          [0.35, 0.36],
          [0.36, 0.35],
        ],
      ],
    );
    expect(capacityLine(s)).toContain("from 0.250 (4 units) to 0.350 (16 units)");
    const best = (plotCapacity(s).data as ScatterTrace[]).find((t) =>
      t.name.startsWith("best validation cross-entropy ("),
    )!;
    expect((best.y as number[]).map((v) => v.toFixed(3))).toEqual(["0.250", "0.350"]);
  });

  it("strength: each value's minimum and rise, and where the curve ends within 10% of its minimum", () => {
    const s = sweep("l2", [0, 0.001], [[[0.3, 0.45]], [[0.31, 0.32]]]);
    const line = strengthLine(s);
    expect(line).toContain("0: 0.300 (50%), 0.001: 0.310 (3%)");
    expect(line).toContain("The lowest minimum is at L2 0; the rise is under 10% at 0.001.");
    expect(line).toContain("Exercise 4.1's goal (a rise under 10% with a minimum ≤ 0.31) is met here at 0.001.");
  });

  it("strength: says when no value meets exercise 4.1's goal, and the smallest rise there is", () => {
    const s = sweep("dropout", [0, 0.7], [[[0.3, 0.45]], [[0.33, 0.34]]]);
    expect(strengthLine(s)).toContain(
      "No value here meets exercise 4.1's goal (a rise under 10% with a minimum ≤ 0.31); the smallest rise is 3%, at 0.7.",
    );
  });
});

describe("the sweeps reuse the lesson's own specs, so their runs come from the run cache", () => {
  it.each([
    ["width", 4, variants.imdb.smaller],
    ["width", 16, variants.imdb.original],
    ["width", 512, variants.imdb.larger],
    ["l2", 0, variants.imdb.original],
    ["dropout", 0, variants.imdb.original],
  ] as const)("%s %p is the catalogue's spec", (kind, value, spec) => {
    expect(sweepSpec(kind, value)).toBe(spec);
  });

  it("L2 0.002 and dropout 0.5 equal notebook 4's variants", () => {
    expect(sweepSpec("l2", 0.002)).toEqual({ ...variants.imdb.l2, optimizer: { name: "rmsprop" } });
    expect(sweepSpec("dropout", 0.5)).toEqual({ ...variants.imdb.dropout, optimizer: { name: "rmsprop" } });
  });
});

describe("pictures of the data", () => {
  const count = 10;
  const images = Uint8Array.from({ length: count * 784 }, (_, i) => (Math.floor(i / 784) * 20 + (i % 784)) % 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);

  it("plotDigits: one heatmap of the images in [0, 1] and each label above its image", () => {
    const f = plotDigits({ images, labels, rows: 28, cols: 28, count }, { count: 6, columns: 3 });
    const z = (f.data[0] as HeatmapTrace).z;
    expect(f.data).toHaveLength(1);
    expect(z).toHaveLength(2 * 28 + 2);
    expect(z[0]).toHaveLength(3 * 28 + 2 * 2);
    expect(z[0][0]).toBeCloseTo(images[0] / 255, 2);
    expect(z[28 + 2][0]).toBeCloseTo(images[3 * 784] / 255, 2); // second row starts with image 3
    expect(z[0][28]).toBeNull(); // the gap between images
    expect(f.layout.annotations?.map((a) => a.text)).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect(f.layout.yaxis?.autorange).toBe("reversed");
  });

  it("plotDigits refuses images the split does not have", () => {
    expect(() => plotDigits({ images, labels, count }, { count: 8, start: 5 })).toThrow(
      /images 5\.\.12 asked for, but the split has 10 images/,
    );
  });

  it("plotExtraChannels: the digit beside its noise channels, and beside its zero channels", () => {
    const noise: DenseMatrix = {
      kind: "dense",
      rows: 1,
      cols: 1568,
      data: Float32Array.from({ length: 1568 }, (_, i) => (i < 784 ? 0.5 : 0.25)),
    };
    const zeros: DenseMatrix = {
      kind: "dense",
      rows: 1,
      cols: 1568,
      data: Float32Array.from({ length: 1568 }, (_, i) => (i < 784 ? 0.5 : 0)),
    };
    const z = (plotExtraChannels(noise, zeros).data[0] as HeatmapTrace).z;
    expect([z[0][0], z[0][36], z[36][0], z[36][36], z[0][30]]).toEqual([0.5, 0.25, 0.5, 0, null]);
    expect(() => plotExtraChannels(noise, { ...zeros, cols: 784 })).toThrow(/zeros has 784 columns; expected 1568/);
  });

  it("plotReview: a mark at every column that is 1, the word on hover, the text above", () => {
    const x: MultiHotMatrix = { kind: "multihot", rows: 1, cols: 10000, ids: [Int32Array.of(1, 14, 9999)] };
    const f = plotReview(x, 0, { text: "? this film was just brilliant", wordOf: (j) => `w${j}` });
    const t = f.data[0] as ScatterTrace;
    expect(t.x).toEqual([1, 14, 9999]);
    expect(t.text).toEqual(["w1", "w14", "w9999"]);
    expect(f.layout.title?.text).toContain("3 of 10,000 columns are 1 (0.03%)");
    expect(f.layout.annotations?.[0].text).toContain("this film was just brilliant");
    expect(() => plotReview(x, 1)).toThrow(/row = 1; x has rows 0\.\.0/);
  });

  it("wordOfId names Keras's reserved ids 0–3 instead of decodeReview's \"?\"", () => {
    const index = { the: 1, and: 2 };
    expect([0, 1, 2, 3].map((j) => wordOfId(j, index))).toEqual([
      "(reserved: padding)",
      "(reserved: start of review)",
      "(reserved: a word outside the vocabulary)",
      "(reserved: unused)",
    ]);
    expect(wordOfId(4, index)).toBe("the");
    expect(() => wordOfId(-1, index)).toThrow(/word ids are integers ≥ 0/);
  });
});

describe("sweep figures", () => {
  const widths = sweep(
    "width",
    [4, 16, 64],
    [
      [
        [0.3, 0.29],
        [0.31, 0.3],
      ],
      [
        [0.28, 0.3],
        [0.29, 0.31],
      ],
      [[0.3, 0.5]],
    ],
  );

  it("plotCapacity: best and final validation and final training cross-entropy against width on a log axis, bands from the seeds", () => {
    const f = plotCapacity(widths);
    const traces = f.data as ScatterTrace[];
    const best = traces.find((t) => t.name.startsWith("best validation cross-entropy ("))!;
    expect(best.x).toEqual([4, 16, 64]);
    (best.y as number[]).forEach((v, i) => expect(v).toBeCloseTo([0.295, 0.285, 0.3][i], 12));
    const low = traces.find((t) => t.name === "best validation cross-entropy min")!;
    const high = traces.find((t) => t.name === "best validation cross-entropy max")!;
    expect(low.y).toEqual([0.29, 0.28, 0.3]);
    expect(high.y).toEqual([0.3, 0.29, 0.3]);
    const end = traces.find((t) => t.name.startsWith("final validation cross-entropy ("))!;
    (end.y as number[]).forEach((v, i) => expect(v).toBeCloseTo([0.295, 0.305, 0.5][i], 12));
    expect(f.layout.xaxis?.type).toBe("log");
    expect(() => plotCapacity({ ...widths, kind: "l2" })).toThrow(/pass a "width" sweep/);
  });

  it("plotSweepSlider: one step per value; a step shows its own run and the baseline, nothing else", () => {
    const l2 = sweep("l2", [0, 0.001, 0.01], [[[0.3, 0.45]], [[0.31, 0.32]], [[0.35, 0.35]]]);
    const original: RunLike = { ...l2.groups[0], name: "original" };
    const f = plotSweepSlider(l2, original, { active: 1 });
    const slider = f.layout.sliders![0];
    expect(slider.steps.map((s) => s.label)).toEqual(["0", "0.001", "0.01"]);
    expect(slider.active).toBe(1);
    const traces = f.data as ScatterTrace[];
    slider.steps.forEach((step, i) => {
      const visible = (step.args[0] as { visible: boolean[] }).visible;
      expect(visible).toHaveLength(traces.length);
      const shown = traces.filter((_, k) => visible[k]).map((t) => t.name);
      expect(shown.some((n) => n.startsWith(`l2 ${l2.values[i]} (validation)`))).toBe(true);
      expect(shown.some((n) => n.startsWith("original (validation)"))).toBe(true);
      expect(shown.filter((n) => /\(validation\)/.test(n))).toHaveLength(2);
    });
    expect(traces.filter((t) => t.visible).length).toBe(
      traces.filter((_, k) => (slider.steps[1].args[0] as { visible: boolean[] }).visible[k]).length,
    );
    expect(f.layout.yaxis?.range?.[1]).toBeGreaterThanOrEqual(0.45);
    expect(() => plotSweepSlider(l2, original, { active: 3 })).toThrow(/active = 3; it must be a step index in 0\.\.2/);
  });

  it("plotSweepSlider opens at the article's value: L2 0.002 and dropout 0.5 (the middle step when the sweep lacks it)", () => {
    const curves = (n: number) => Array.from({ length: n }, (_, i) => [[0.3 + i / 100, 0.4]]);
    const l2 = sweep("l2", [0, 1e-4, 3e-4, 1e-3, 2e-3, 5e-3, 1e-2], curves(7));
    const dropout = sweep("dropout", [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], curves(8));
    const at = (s: Sweep) => {
      const slider = plotSweepSlider(s, { ...s.groups[0], name: "original" }).layout.sliders![0];
      return slider.steps[slider.active].label;
    };
    expect(at(l2)).toBe("0.002");
    expect(at(dropout)).toBe("0.5");
    expect(at(sweep("l2", [0, 0.001, 0.01], curves(3)))).toBe("0.001");
  });
});

describe("the closing summary, from the recorded runs of the lesson", () => {
  const runs = {
    small: recordedGroup("mnist.small"),
    large: recordedGroup("mnist.large"),
    original: recordedGroup("imdb.original"),
    smaller: recordedGroup("imdb.smaller"),
    l2: recordedGroup("imdb.l2"),
    l1: recordedGroup("imdb.l1"),
    dropout: recordedGroup("imdb.dropout"),
  };

  it("fills symptom, cause and remedy with the runs' own numbers", () => {
    const rows = lessonTableRows(runs);
    expect(rows).toHaveLength(3);
    const o = measure(runs.original);
    expect(rows[1].symptom).toContain(
      `its trend over the last 8 epochs ends ${formatPercent(o.rise)} above the minimum`,
    );
    expect(explainLine(runs.original)).toContain(`ends ${formatPercent(o.rise)} above the minimum`);
    expect(rows[0].remedy).toContain(formatPercent(measure(runs.large).maxValAccuracy));
    const table = plotLessonTable(rows);
    expect(table.data[0].type).toBe("table");
  });

  it("gives each row its own cause, with the diagnosis's label beside it", () => {
    const rows = lessonTableRows(runs);
    expect(rows[0].cause).toMatch(/^too little capacity: /);
    expect(rows[1].cause).toMatch(/^training past the best epoch with capacity to spare: /);
    expect(rows[2].cause).toMatch(/^a penalty too strong for the task: it is \d+% of the training loss at the end/);
    expect(rows.filter((r) => r.cause.includes("too little capacity:"))).toHaveLength(1);
    rows.forEach((r, i) =>
      expect(r.cause).toContain(`(diagnosis: ${diagnose([runs.small, runs.original, runs.l1][i]).label})`),
    );
  });

  it("takes the L1 row's cause from the diagnosis: not 'too strong' for a run that is not over-regularized", () => {
    // As L1 on one seed of the thirteen the claims test tries (seed 6, not among the recorded ones): a
    // penalized run whose diagnosis is not over-regularized, here the L2 model.
    const off = recordedRun("imdb.l2", 42);
    expect(diagnose(off).cause).not.toBe("over-regularized");
    const cause = lessonTableRows({ ...runs, l1: off })[2].cause;
    expect(cause).toMatch(
      /^not, in these runs, a penalty too strong: the penalty is \d+% of the training loss at the end \(diagnosis: /,
    );
    expect(cause).toContain(`(diagnosis: ${diagnose(off).label})`);
  });

  it("adds more data to the remedies when the sweep is given, with the updates an epoch is for each size", () => {
    const moreData = sweep("samples", [5000, 15000], [[[0.4, 0.35, 0.5]], [[0.35, 0.3, 0.33]]]);
    moreData.groups[0].history.params.steps = 10;
    const remedy = lessonTableRows({ ...runs, moreData })[1].remedy;
    expect(remedy).toMatch(/^more data: 15,000 reviews instead of 5,000: lowest 0\.300 vs 0\.350/);
    // 3 epochs of 10 updates = 30 = 1 epoch of 30: the 15,000-review run read after its first epoch.
    expect(remedy).toMatch(
      /; at equal training \(30 weight updates\) its curve has risen 0% after its minimum vs \d+% /,
    );
    expect(remedy).toContain("but an epoch of 15,000 reviews is 30 weight updates against 10)");
  });

  it("names a missing run", () => {
    expect(() => lessonTableRows({ ...runs, l1: undefined as unknown as RunLike })).toThrow(
      /lessonTableRows: l1 = undefined; pass the run l1/,
    );
  });
});
