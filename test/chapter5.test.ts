/**
 * Chapter 5's data helpers on the real MNIST files, the final-model selection, the early-stopping and
 * test-vs-validation figures, and the clear errors for bad settings (learning rate, patience).
 */
import { initBackend } from "../lib/system/backend";
import { loadMnistFeatures, shuffledLabels, withExtraColumns } from "../lib/data/chapter5";
import { earlyStoppingPoints, plotEarlyStopping, type EarlyStoppedRun } from "../lib/figures/earlyStopping";
import { plotTestVsValidation, testVsValidation } from "../lib/figures/testScores";
import { countParams, variant, variants } from "../lib/lesson/models";
import { finalModelRecord, selectBest, specOf } from "../lib/runs/select";
import { train } from "../lib/runs/train";
import type { History, RunLike } from "../lib/types";

describe("loadMnistFeatures", () => {
  const { train: t, test } = loadMnistFeatures({ trainSamples: 500, testSamples: 200 });

  it("gives the first images flattened to 784 values in [0, 1], with their labels", () => {
    expect([t.x.rows, t.x.cols, t.x.data.length, t.y.length]).toEqual([500, 784, 500 * 784, 500]);
    expect([test.x.rows, test.y.length]).toEqual([200, 200]);
    expect(t.x.data.reduce((a, b) => Math.min(a, b), Infinity)).toBe(0);
    expect(t.x.data.reduce((a, b) => Math.max(a, b), -Infinity)).toBe(1);
    // The first MNIST training labels, as Keras gives them.
    expect(Array.from(t.y.slice(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(test.y.slice(0, 5))).toEqual([7, 2, 1, 0, 4]);
  });

  it("refuses more samples than MNIST has", () => {
    expect(() => loadMnistFeatures({ trainSamples: 60001 })).toThrow(
      "loadMnistFeatures: trainSamples = 60001; it must be an integer in 1..60000",
    );
  });
});

describe("withExtraColumns", () => {
  const { train: t } = loadMnistFeatures({ trainSamples: 300, testSamples: 1 });

  it.each(["noise", "zeros"] as const)("%s: 784 extra columns after the untouched pixels", (kind) => {
    const x = withExtraColumns(t.x, kind, { seed: 1 });
    expect([x.rows, x.cols]).toEqual([300, 1568]);
    for (const r of [0, 137, 299]) {
      expect(x.data.subarray(r * 1568, r * 1568 + 784)).toEqual(t.x.data.subarray(r * 784, (r + 1) * 784));
    }
    const extra = Array.from({ length: 300 }, (_, r) =>
      Array.from(x.data.subarray(r * 1568 + 784, (r + 1) * 1568)),
    ).flat();
    if (kind === "zeros") {
      expect(extra.every((v) => v === 0)).toBe(true);
    } else {
      // Uniform in [0, 1): mean near 0.5, variance near 1/12, every value in range.
      const mean = extra.reduce((a, b) => a + b, 0) / extra.length;
      const variance = extra.reduce((a, b) => a + (b - mean) ** 2, 0) / extra.length;
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
      expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
      expect(extra.every((v) => v >= 0 && v < 1)).toBe(true);
    }
  });

  it("draws the same noise from the same seed, and other noise from another", () => {
    const a = withExtraColumns(t.x, "noise", { seed: 7 });
    expect(withExtraColumns(t.x, "noise", { seed: 7 }).data).toEqual(a.data);
    expect(withExtraColumns(t.x, "noise", { seed: 8 }).data).not.toEqual(a.data);
  });

  it("refuses a bad kind or column count", () => {
    expect(() => withExtraColumns(t.x, "gaussian" as never)).toThrow(
      'withExtraColumns: kind = "gaussian"; it must be "noise" or "zeros"',
    );
    expect(() => withExtraColumns(t.x, "zeros", { columns: 0 })).toThrow(
      /options.columns = 0; it must be an integer in 1\.\./,
    );
  });
});

describe("shuffledLabels", () => {
  const { train: t } = loadMnistFeatures({ trainSamples: 5000, testSamples: 1 });

  it("keeps every class count, moves most labels, and repeats from a seed", () => {
    const s = shuffledLabels(t.y, 42);
    const counts = (y: ArrayLike<number>) =>
      Array.from({ length: 10 }, (_, c) => Array.from(y).filter((v) => v === c).length);
    expect(counts(s)).toEqual(counts(t.y));
    const same = s.filter((v, i) => v === t.y[i]).length / s.length;
    expect(same).toBeGreaterThan(0.05); // about 10% agree by chance…
    expect(same).toBeLessThan(0.15); // …and no more
    expect(shuffledLabels(t.y, 42)).toEqual(s);
    expect(shuffledLabels(t.y, 43)).not.toEqual(s);
    expect(Array.from(t.y.slice(0, 3))).toEqual([5, 0, 4]); // the input is not modified
  });
});

describe("the chapter-5 model and bad settings", () => {
  beforeAll(async () => {
    await initBackend({ report: false });
  });

  it("mnist.dense512 is the book's Dense(512) → Dense(10): 407,050 parameters, 808,458 with noise channels", () => {
    expect(countParams(variants.mnist.dense512, 784)).toBe(407_050);
    expect(countParams(variants.mnist.dense512, 1568)).toBe(808_458);
  });

  it.each([0, -0.01, NaN])("a learning rate of %p is refused", (lr) => {
    expect(() => variant("mnist.dense512", { learningRate: lr })).toThrow(
      /optimizer.learningRate = .*; it must be a number > 0/,
    );
  });

  it("learning rates 1.0 and 0.01 reach the optimizer settings", () => {
    expect(variant("mnist.dense512", { learningRate: 1 }).optimizer?.learningRate).toBe(1);
    expect(variant("mnist.dense512", { learningRate: 0.01 }).optimizer?.learningRate).toBe(0.01);
  });

  it.each([0, -1, 1.5])("a patience of %p is refused before training", async (patience) => {
    const { train: t } = loadMnistFeatures({ trainSamples: 20, testSamples: 1 });
    await expect(
      train(variants.mnist.small, t.x, t.y, { verbose: 0, cache: false, earlyStopping: { patience } }),
    ).rejects.toThrow(`train: earlyStopping.patience = ${patience}; it must be an integer ≥ 1`);
  });
});

/** A history with given validation cross-entropies (accuracy = 1 − ce/2 so both are known). */
function fakeRun(name: string, valCe: number[], extra: Partial<EarlyStoppedRun> = {}): EarlyStoppedRun {
  const n = valCe.length;
  const history: History = {
    history: {
      loss: valCe.map((v) => v / 2),
      accuracy: valCe.map(() => 0.9),
      val_loss: valCe,
      val_accuracy: valCe.map((v) => 1 - v / 2),
    },
    epoch: valCe.map((_, i) => i),
    params: { epochs: n, batchSize: 512, samples: 100, validationSamples: 50, steps: 1 },
  };
  return { name, history, options: { epochs: 20 }, ...extra };
}

describe("selectBest and finalModelRecord", () => {
  const a = fakeRun("a", [0.5, 0.3, 0.35, 0.4]);
  const b = fakeRun("b", [0.6, 0.4, 0.29, 0.31]);
  const c = fakeRun("c", [NaN, NaN]);

  it("ranks by the lowest validation cross-entropy at any epoch, leaving out runs with none", () => {
    const s = selectBest([a, b, c]);
    expect(s.ranking.map((x) => [x.run.name, x.epoch, x.value])).toEqual([
      ["b", 3, 0.29],
      ["a", 2, 0.3],
    ]);
    expect(s.best.valAccuracy).toBeCloseTo(1 - 0.29 / 2, 12);
  });

  it("reads val_crossentropy before val_loss (a penalty does not count against a regularized run)", () => {
    const reg = fakeRun("reg", [0.9, 0.8]);
    reg.history.history.val_crossentropy = [0.2, 0.25];
    expect(selectBest([a, reg]).best.run.name).toBe("reg");
  });

  it("can choose by the highest validation accuracy", () => {
    expect(selectBest([a, b], "val_accuracy").best.epoch).toBe(3);
  });

  it("refuses runs with no validation values and an empty list", () => {
    const noVal = fakeRun("noval", [0.3]);
    delete noVal.history.history.val_loss;
    expect(() => selectBest([noVal])).toThrow(/runs\[0\] = "noval"; it has no validation values/);
    expect(() => selectBest([])).toThrow(/pass a non-empty array/);
    expect(() => selectBest([c])).toThrow(/none has a finite validation value/);
  });

  it("a final record carries the test scores, the chosen epoch and the chosen run's whole history", () => {
    const best = selectBest([a, b]).best;
    const record = finalModelRecord("final", best, { loss: 0.31, accuracy: 0.87 });
    expect(record.history).toEqual(best.run.history);
    expect(record.test).toEqual({ loss: 0.31, accuracy: 0.87, epochs: 3, from: "b" });
    expect(testVsValidation([record])).toEqual([{ name: "final", validation: 1 - 0.29 / 2, test: 0.87 }]);
    const fig = plotTestVsValidation([record]);
    expect(fig.data.map((t) => (t as { y: number[] }).y)).toEqual([[1 - 0.29 / 2], [0.87]]);
    expect(() => finalModelRecord("final", best, { loss: NaN, accuracy: 0.5 })).toThrow(
      /test = an object; it must be \{ loss, accuracy \}/,
    );
  });

  it("specOf finds the spec of a run or of a group's first seed", () => {
    const spec = variants.imdb.original;
    expect(specOf({ ...a, spec } as RunLike & { spec: typeof spec })).toBe(spec);
    expect(specOf({ ...a, seedRuns: [{ ...b, spec } as RunLike] })).toBe(spec);
    expect(() => specOf(a)).toThrow(/it carries no spec/);
  });
});

describe("earlyStoppingPoints and plotEarlyStopping", () => {
  const stopped = fakeRun("early stopping", [0.5, 0.3, 0.32, 0.35], {
    options: { epochs: 20, earlyStopping: { patience: 2, restoreBestWeights: true, monitor: "val_crossentropy" } },
    stoppedBy: "early stopping",
  });

  it("reads where training stopped and which epoch's weights it kept", () => {
    expect(earlyStoppingPoints(stopped)).toEqual({
      monitor: "val_crossentropy",
      patience: 2,
      stopped: true,
      stoppedAt: 4,
      kept: 2,
      best: 2,
      bestValue: 0.3,
    });
  });

  it("keeps the last epoch without restoreBestWeights, or when it ran every epoch", () => {
    expect(earlyStoppingPoints({ ...stopped, options: { epochs: 20, earlyStopping: { patience: 2 } } }).kept).toBe(4);
    expect(earlyStoppingPoints({ ...stopped, stoppedBy: undefined }).kept).toBe(4);
  });

  it("draws the stop line, the kept-epoch star and the full run", () => {
    const full = fakeRun("original", [0.5, 0.3, 0.32, 0.35, 0.4, 0.45]);
    const fig = plotEarlyStopping(stopped, { full });
    const star = fig.data.find((t) => (t as { name?: string }).name === "kept: epoch 2") as {
      x: number[];
      y: number[];
    };
    expect(star).toMatchObject({ x: [2], y: [0.3] });
    expect((fig.data[0] as { name?: string }).name).toBe("original: validation, every epoch");
    expect(fig.layout.shapes?.[0]).toMatchObject({ x0: 4, x1: 4 });
    expect(fig.layout.annotations?.map((a) => a.text)).toEqual([
      "stopped after epoch 4",
      "patience 2: no better cross-entropy",
    ]);
  });

  it("refuses a run trained without early stopping", () => {
    expect(() => earlyStoppingPoints(fakeRun("plain", [0.4]))).toThrow(/it was not trained with earlyStopping/);
  });
});
