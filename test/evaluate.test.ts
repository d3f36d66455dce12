/**
 * evaluate() against a hand computation on real data (MNIST softmax, IMDB sigmoid with an L2
 * penalty), on groups of seeds, after early stopping's restore, and its errors.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/system/backend";
import { loadMnistFeatures } from "../lib/data/chapter5";
import { loadData } from "../lib/data/imdb";
import { toDenseMatrix, vectorizeSequences } from "../lib/data/vectorize";
import { evaluate } from "../lib/runs/evaluate";
import { variant, variants } from "../lib/lesson/models";
import { dispose, train, type Run, type TrainOptions } from "../lib/runs/train";
import { trainSeeds } from "../lib/runs/trainSeeds";
import type { DenseMatrix, MultiHotMatrix } from "../lib/types";

const quiet: TrainOptions = { verbose: 0, cache: false };
const runs: Run[] = [];
afterAll(() => runs.forEach(dispose));

beforeAll(async () => {
  await initBackend({ report: false });
});

/** Mean cross-entropy and accuracy computed by hand from the model's own predict(). */
function byHand(
  model: tf.Sequential,
  x: DenseMatrix,
  y: ArrayLike<number>,
): { crossentropy: number; accuracy: number } {
  const p = tf.tidy(() => (model.predict(tf.tensor2d(x.data, [x.rows, x.cols])) as tf.Tensor).dataSync());
  const classes = p.length / x.rows;
  let ce = 0;
  let correct = 0;
  for (let i = 0; i < x.rows; i++) {
    if (classes === 1) {
      const q = Math.min(Math.max(p[i], 1e-7), 1 - 1e-7);
      ce -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
      if ((p[i] > 0.5 ? 1 : 0) === y[i]) correct++;
    } else {
      const row = Array.from(p.subarray(i * classes, (i + 1) * classes));
      ce -= Math.log(row[y[i]]);
      if (row.indexOf(Math.max(...row)) === y[i]) correct++;
    }
  }
  return { crossentropy: ce / x.rows, accuracy: correct / x.rows };
}

describe("evaluate on MNIST (softmax)", () => {
  const { train: t, test } = loadMnistFeatures({ trainSamples: 1000, testSamples: 700 });
  let run: Run;
  beforeAll(async () => {
    run = await train(variants.mnist.small, t.x, t.y, { ...quiet, epochs: 6, batchSize: 64, seed: 3 });
    runs.push(run);
  });

  it("equals the hand computation from model.predict on the 700 test images", () => {
    const e = evaluate(run, test.x, test.y);
    const hand = byHand(run.model, test.x, test.y);
    expect(e.samples).toBe(700);
    expect(e.accuracy).toBe(hand.accuracy);
    expect(e.crossentropy).toBeCloseTo(hand.crossentropy, 5);
    expect(e.loss).toBe(e.crossentropy); // no penalty
    expect(e.accuracy).toBeGreaterThan(0.7); // it learned something: the check is not of a constant model
  });

  it("does not depend on the batch size", () => {
    const big = evaluate(run, test.x, test.y);
    const small = evaluate(run, test.x, test.y, { batchSize: 33 });
    expect(small.accuracy).toBe(big.accuracy);
    expect(small.loss).toBeCloseTo(big.loss, 5);
  });

  it("takes a tensor and an Int32 label tensor too", () => {
    const x = tf.tensor2d(test.x.data, [test.x.rows, test.x.cols]);
    const y = tf.tensor1d(Int32Array.from(test.y), "int32");
    expect(evaluate(run, x, y).accuracy).toBe(evaluate(run, test.x, test.y).accuracy);
    tf.dispose([x, y]);
  });

  it("averages a group of seeds, keeping each seed's evaluation", async () => {
    const group = await trainSeeds(variants.mnist.small, t.x, t.y, {
      ...quiet,
      epochs: 1,
      batchSize: 128,
      seeds: [1, 2],
    });
    runs.push(...group.seedRuns);
    const e = evaluate(group, test.x, test.y);
    const each = group.seedRuns.map((r) => evaluate(r, test.x, test.y));
    expect(e.seeds).toEqual(each);
    expect(e.accuracy).toBeCloseTo((each[0].accuracy + each[1].accuracy) / 2, 12);
    expect(e.loss).toBeCloseTo((each[0].loss + each[1].loss) / 2, 12);
  });

  it("refuses data of the wrong width, naming both widths", () => {
    const wide: DenseMatrix = { kind: "dense", rows: 2, cols: 1568, data: new Float32Array(2 * 1568) };
    expect(() => evaluate(run, wide, [0, 1])).toThrow("evaluate: x width = 1568; the model takes 784 input features");
  });

  it("refuses labels outside the model's classes and of the wrong length", () => {
    const two: DenseMatrix = { kind: "dense", rows: 2, cols: 784, data: test.x.data.slice(0, 2 * 784) };
    expect(() => evaluate(run, two, [3, 10])).toThrow(
      "evaluate: y[1] = 10; this model has 10 classes; labels must be integers in [0, 9]",
    );
    expect(() => evaluate(run, two, [3])).toThrow("evaluate: y.length = 1; x has 2 rows");
  });

  it("refuses bad options and things that are not runs", () => {
    expect(() => evaluate(run, test.x, test.y, { batchSize: 0 })).toThrow(
      /options.batchSize = 0; it must be an integer in 1\.\./,
    );
    expect(() => evaluate(run, test.x, test.y, { batch: 5 } as never)).toThrow(/options.batch = 5; not an option/);
    expect(() => evaluate({ name: "x", history: run.history } as never, test.x, test.y)).toThrow(/pass a finished run/);
  });
});

describe("evaluate on IMDB (sigmoid, L2 penalty)", () => {
  let x: MultiHotMatrix;
  let y: Int32Array;
  let l2: Run;
  beforeAll(async () => {
    const [[trainData, trainLabels]] = await loadData({ numWords: 2000, log: () => {} });
    x = vectorizeSequences(trainData.slice(0, 1500), 2000);
    y = trainLabels.slice(0, 1500);
    l2 = await train(variant("imdb.l2", { l2: 0.002 }), x, y, {
      ...quiet,
      epochs: 3,
      batchSize: 256,
      validationSplit: 0.4,
      seed: 5,
    });
    runs.push(l2);
  });

  it("loss = hand cross-entropy + 0.002 Σ W² of the hidden kernels; accuracy as predict() says", () => {
    const rows: MultiHotMatrix = { kind: "multihot", rows: 600, cols: 2000, ids: x.ids.slice(900) };
    const labels = y.slice(900);
    const e = evaluate(l2, rows, labels);
    const hand = byHand(l2.model, toDenseMatrix(rows), labels);
    const weights = l2.model.getWeights();
    const penalty = 0.002 * (tf.sum(tf.square(weights[0])).dataSync()[0] + tf.sum(tf.square(weights[2])).dataSync()[0]);
    expect(e.accuracy).toBe(hand.accuracy);
    expect(e.crossentropy).toBeCloseTo(hand.crossentropy, 4);
    expect(e.loss).toBeCloseTo(hand.crossentropy + penalty, 4);
    expect(e.loss - e.crossentropy).toBeGreaterThan(0.01);
  });

  it("on the validation rows it reproduces the last epoch's val_loss and val_accuracy", () => {
    const val: MultiHotMatrix = { kind: "multihot", rows: 600, cols: 2000, ids: x.ids.slice(900) };
    const e = evaluate(l2, val, y.slice(900));
    const h = l2.history.history;
    expect(e.accuracy).toBe(h.val_accuracy![2]);
    expect(e.loss).toBeCloseTo(h.val_loss![2], 5);
    expect(e.crossentropy).toBeCloseTo(h.val_crossentropy![2], 5);
  });

  it("after early stopping with restoreBestWeights, scores the kept epoch, not the last", async () => {
    const stopped = await train(variants.imdb.original, x, y, {
      ...quiet,
      epochs: 12,
      batchSize: 128,
      validationSplit: 0.4,
      seed: 5,
      earlyStopping: { patience: 1, restoreBestWeights: true, monitor: "val_crossentropy" },
    });
    runs.push(stopped);
    const h = stopped.history.history;
    const kept = h.val_loss!.indexOf(Math.min(...h.val_loss!));
    expect(stopped.history.epoch.length).toBeLessThan(12); // it did stop early on this small set
    expect(kept).toBeLessThan(stopped.history.epoch.length - 1);
    const e = evaluate(stopped, { kind: "multihot", rows: 600, cols: 2000, ids: x.ids.slice(900) }, y.slice(900));
    expect(e.accuracy).toBe(h.val_accuracy![kept]);
    expect(e.loss).toBeCloseTo(h.val_loss![kept], 5);
  });

  it("refuses a disposed model", async () => {
    const r = await train(variants.imdb.tiny, x, y, { ...quiet, epochs: 1, batchSize: 512, seed: 1 });
    dispose(r);
    expect(() => evaluate(r, x, y)).toThrow(/its model was disposed; evaluate before dispose\(run\)/);
  });
});
