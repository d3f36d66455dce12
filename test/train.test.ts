import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/system/backend";
import { loadArrays } from "../lib/data/mnist";
import { flattenImages, toDenseMatrix } from "../lib/data/vectorize";
import { createRng } from "../lib/system/random";
import * as runCache from "../lib/runs/runCache";
import { buildModel, variant, variants } from "../lib/lesson/models";
import { dispose, Run, train, TrainOptions } from "../lib/runs/train";
import { randomMultiHot } from "./helpers/randomData";
import type { DenseMatrix, History, MultiHotMatrix } from "../lib/types";

const quiet: TrainOptions = { verbose: 0, cache: false };

beforeAll(async () => {
  await initBackend({ report: false });
});

/** The first `n` MNIST training images, flattened and scaled to [0, 1], with their labels. */
function mnistSlice(n: number): { x: DenseMatrix; y: Uint8Array } {
  const { train: t } = loadArrays();
  const x = flattenImages({ images: t.images.subarray(0, n * 784), count: n, rows: 28, cols: 28 });
  return { x, y: t.labels.subarray(0, n) };
}

/** Mean binary cross-entropy of the model's predictions on dense rows (computed in JavaScript). */
function bceOfPredictions(run: Run, x: DenseMatrix, y: ArrayLike<number>): number {
  const p = tf.tidy(() =>
    (run.model.predict(tf.tensor2d(x.data, [x.rows, x.cols]), { batchSize: 512 }) as tf.Tensor).dataSync(),
  );
  let sum = 0;
  for (let i = 0; i < x.rows; i++) {
    const q = Math.min(Math.max(p[i], 1e-7), 1 - 1e-7);
    sum += y[i] === 1 ? -Math.log(q) : -Math.log(1 - q);
  }
  return sum / x.rows;
}

function rowsOf(x: DenseMatrix, start: number, end: number): DenseMatrix {
  return { kind: "dense", rows: end - start, cols: x.cols, data: x.data.subarray(start * x.cols, end * x.cols) };
}

describe("train: Keras-shaped history", () => {
  it("records loss, accuracy, val_loss, val_accuracy per epoch, Keras's params and log lines", async () => {
    const { x, y } = randomMultiHot(300, 80, 1);
    const lines: string[] = [];
    const seen: [number, number][] = [];
    const run = await train(variants.imdb.original, x, y, {
      epochs: 3,
      batchSize: 64,
      validationSplit: 0.4,
      seed: 3,
      cache: false,
      log: (line) => lines.push(line),
      onEpochEnd: [(epoch, h) => void seen.push([epoch, h.history.loss.length]), () => undefined],
    });
    const h = run.history;
    expect(Object.keys(h.history).sort()).toEqual(["accuracy", "loss", "val_accuracy", "val_loss"]);
    for (const series of Object.values(h.history)) expect(series).toHaveLength(3);
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(h.params).toEqual({ epochs: 3, batchSize: 64, samples: 180, validationSamples: 120, steps: 3 });
    expect(seen).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(
      /^Epoch 3\/3 - \d+\.\d\ds - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$/,
    );
    expect(h.history.loss[2]).toBeLessThan(h.history.loss[0]);
    expect(run).toMatchObject({
      name: "original",
      fromCache: false,
      backend: tf.getBackend(),
      options: { epochs: 3, batchSize: 64, seed: 3 },
    });
    expect(run.stopReason).toBeUndefined();
    dispose(run);
  });

  it("records the plain cross-entropy beside the penalized loss for regularized runs", async () => {
    const { x, y } = randomMultiHot(200, 60, 2);
    const run = await train(variants.imdb.l1l2, x, y, {
      ...quiet,
      epochs: 2,
      batchSize: 50,
      validationSplit: 0.5,
      seed: 1,
    });
    const h = run.history.history;
    expect(Object.keys(h).sort()).toEqual([
      "accuracy",
      "crossentropy",
      "loss",
      "val_accuracy",
      "val_crossentropy",
      "val_loss",
    ]);
    // val_loss − val_crossentropy is the penalty at the final weights: l1·Σ|W| + l2·ΣW² over the hidden kernels.
    const weights = run.model.getWeights();
    const penalty = [0, 2].reduce(
      (s, i) => s + Array.from(weights[i].dataSync()).reduce((a, w) => a + 0.001 * Math.abs(w) + 0.001 * w * w, 0),
      0,
    );
    expect(h.val_loss![1] - h.val_crossentropy![1]).toBeCloseTo(penalty, 4);
    for (let e = 0; e < 2; e++) expect(h.loss[e]).toBeGreaterThan(h.crossentropy![e]);
    dispose(run);
  });
});

describe("train: Keras semantics", () => {
  it("holds out the LAST rows for validation, before shuffling", async () => {
    // The first 80% of rows are all negative, the last 20% all positive: if validation is the last
    // 20%, the model never sees a positive and gets every validation row wrong.
    const { x } = randomMultiHot(250, 40, 4);
    const y = Float32Array.from({ length: 250 }, (_, i) => (i >= 200 ? 1 : 0));
    const run = await train(variants.imdb.tiny, x, y, {
      ...quiet,
      epochs: 2,
      batchSize: 25,
      validationSplit: 0.2,
      seed: 5,
    });
    expect(run.history.params.samples).toBe(200);
    expect(run.history.params.validationSamples).toBe(50);
    expect(run.history.history.accuracy[1]).toBe(1);
    expect(run.history.history.val_accuracy![1]).toBe(0);
    dispose(run);
  });

  it("gives the returned model the trained weights: its predictions reproduce val_loss (no dropout at inference)", async () => {
    const { x, y } = randomMultiHot(300, 60, 6);
    const run = await train(variants.imdb.dropout, x, y, {
      ...quiet,
      epochs: 3,
      batchSize: 32,
      validationSplit: 0.3,
      seed: 2,
    });
    const dense = toDenseMatrix(x);
    const val = rowsOf(dense, 210, 300);
    expect(bceOfPredictions(run, val, y.subarray(210))).toBeCloseTo(run.history.history.val_loss![2], 4);
    dispose(run);
  });

  it("learns real MNIST: mnist.small on 3,000 images reaches ~85% validation accuracy, the same with sparse pixel input", async () => {
    const { x, y } = mnistSlice(3000);
    const dense = await train(variants.mnist.small, x, y, {
      ...quiet,
      epochs: 3,
      batchSize: 128,
      validationSplit: 0.2,
      seed: 1,
    });
    const sparse = await train(variants.mnist.small, x, y, {
      ...quiet,
      epochs: 3,
      batchSize: 128,
      validationSplit: 0.2,
      seed: 1,
      denseInput: "sparse",
    });
    const h = dense.history.history;
    expect(h.val_accuracy![2]).toBeGreaterThan(0.8);
    expect(h.val_loss![2]).toBeLessThan(h.val_loss![0]);
    // The sparse first layer sums the same products in another order: equal to float precision.
    ["loss", "accuracy", "val_loss", "val_accuracy"].forEach((k) => {
      const a = h[k as keyof History["history"]]!;
      const b = sparse.history.history[k as keyof History["history"]]!;
      a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 4));
    });
    dispose(dense);
    dispose(sparse);
  });
});

describe("train: multi-hot and dense input", () => {
  it("give the same history (dense validation above 16 MB is uploaded chunk by chunk, multi-hot once)", async () => {
    const { x, y } = randomMultiHot(2600, 2048, 14);
    const opts = { ...quiet, epochs: 2, batchSize: 256, validationSplit: 0.8, seed: 3 };
    const sparse = await train(variants.imdb.tiny, x, y, opts);
    const dense = await train(variants.imdb.tiny, toDenseMatrix(x), y, opts);
    for (const key of ["loss", "accuracy", "val_loss", "val_accuracy"] as const) {
      dense.history.history[key]!.forEach((v, i) => expect(v).toBeCloseTo(sparse.history.history[key]![i], 5));
    }
    dispose(sparse);
    dispose(dense);
  });
});

describe("train: reproducibility", () => {
  it("gives identical histories for the same seed and different ones for another seed", async () => {
    const { x, y } = randomMultiHot(200, 50, 7);
    const opts = { ...quiet, epochs: 3, batchSize: 32, validationSplit: 0.25 };
    const runs = [];
    for (const seed of [11, 11, 12]) runs.push(await train(variants.imdb.dropout, x, y, { ...opts, seed }));
    expect(runs[1].history).toEqual(runs[0].history);
    expect(runs[2].history.history.loss).not.toEqual(runs[0].history.history.loss);
    runs.forEach(dispose);
  });

  it("draws and records a seed when none is given", async () => {
    const { x, y } = randomMultiHot(100, 30, 8);
    const a = await train(variants.imdb.tiny, x, y, { ...quiet, epochs: 1, batchSize: 20 });
    const b = await train(variants.imdb.tiny, x, y, { ...quiet, epochs: 1, batchSize: 20, seed: a.options.seed });
    expect(Number.isInteger(a.options.seed)).toBe(true);
    expect(b.history).toEqual(a.history);
    dispose(a);
    dispose(b);
  });
});

describe("train: stopping", () => {
  it("stops at the epoch whose loss becomes NaN or infinite, keeping the history (TerminateOnNaN)", async () => {
    const { x, y } = mnistSlice(600);
    const lines: string[] = [];
    // A learning rate of 1e30 overflows the weights to ±Infinity within a few steps.
    const run = await train(variant("mnist.large", { learningRate: 1e30 }), x, y, {
      epochs: 5,
      batchSize: 32,
      validationSplit: 0.2,
      seed: 1,
      cache: false,
      log: (l) => lines.push(l),
    });
    expect(run.stopReason).toMatch(
      /^the loss became (NaN|Infinity) at epoch 1, batch \d+ of 15; training stopped there \(as Keras's TerminateOnNaN\)/,
    );
    expect(run.stoppedBy).toBe("non-finite loss");
    expect(run.history.epoch).toEqual([0]);
    expect(run.history.history.loss[0]).not.toBeLessThan(Infinity);
    expect(lines.some((l) => l.includes("TerminateOnNaN"))).toBe(true);
    dispose(run);
  });

  it("stops early when val_loss stops improving and restores the best epoch's weights", async () => {
    // Random labels: the model can only memorize, so validation loss rises after the first epochs.
    const { x } = randomMultiHot(400, 120, 9);
    const rng = createRng(1);
    const y = Float32Array.from({ length: 400 }, () => (rng.next() < 0.5 ? 1 : 0));
    const run = await train(variants.imdb.larger, x, y, {
      ...quiet,
      epochs: 30,
      batchSize: 32,
      validationSplit: 0.25,
      seed: 4,
      earlyStopping: { patience: 2, restoreBestWeights: true },
    });
    const vl = run.history.history.val_loss!;
    const best = vl.indexOf(Math.min(...vl));
    expect(vl.length).toBeLessThan(30);
    expect(vl.length).toBe(best + 1 + 2);
    expect(run.stopReason).toMatch(
      new RegExp(
        `since epoch ${best + 1} .*: early stopping ended training; restored the weights of epoch ${best + 1}$`,
      ),
    );
    expect(run.stoppedBy).toBe("early stopping");
    const val = rowsOf(toDenseMatrix(x), 300, 400);
    expect(bceOfPredictions(run, val, y.subarray(300))).toBeCloseTo(vl[best], 4);
    dispose(run);
  });

  it("stops early on the plain validation cross-entropy of a regularized run when asked", async () => {
    const { x } = randomMultiHot(400, 120, 9);
    const rng = createRng(1);
    const y = Float32Array.from({ length: 400 }, () => (rng.next() < 0.5 ? 1 : 0));
    const run = await train(variants.imdb.l2, x, y, {
      ...quiet,
      epochs: 30,
      batchSize: 32,
      validationSplit: 0.25,
      seed: 4,
      earlyStopping: { patience: 2, monitor: "val_crossentropy" },
    });
    const ce = run.history.history.val_crossentropy!;
    const best = ce.indexOf(Math.min(...ce));
    expect(ce.length).toBe(best + 1 + 2);
    expect(run.stopReason).toMatch(
      new RegExp(`^val_crossentropy has not improved .* since epoch ${best + 1} .*: early stopping ended training$`),
    );
    expect(run.stoppedBy).toBe("early stopping");
    dispose(run);
  });

  it("trains on every row with validationSplit 0: a history without val_* series", async () => {
    const { x, y } = randomMultiHot(200, 60, 3);
    const run = await train(variants.imdb.l2, x, y, {
      ...quiet,
      epochs: 2,
      batchSize: 32,
      validationSplit: 0,
      seed: 1,
    });
    expect(Object.keys(run.history.history).sort()).toEqual(["accuracy", "crossentropy", "loss"]);
    expect(run.history.params.samples).toBe(200);
    expect(run.history.params.validationSamples).toBe(0);
    expect(run.history.history.loss[1]).toBeLessThan(run.history.history.loss[0]);
    dispose(run);
    await expect(
      train(variants.imdb.tiny, x, y, { ...quiet, validationSplit: 0, earlyStopping: { patience: 2 } }),
    ).rejects.toThrow(/early stopping watches validation values/);
  });
});

describe("train: tensor hygiene", () => {
  it("adds only the model's weights, and stays flat over 10 repeated runs once models are disposed", async () => {
    const { x, y } = randomMultiHot(120, 40, 10);
    const before = tf.memory();
    for (let i = 0; i < 10; i++) {
      const run = await train(variants.imdb.tiny, x, y, { ...quiet, epochs: 2, batchSize: 16, seed: i });
      expect(tf.memory().numTensors).toBe(before.numTensors + 4);
      dispose(run);
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numBytes).toBe(before.numBytes);
    }
  });

  it("trains a hand-built tf.Sequential in place without adding tensors", async () => {
    const { x, y } = randomMultiHot(100, 30, 11);
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 5, activation: "relu", inputShape: [30] }),
        tf.layers.dropout({ rate: 0.2 }),
        tf.layers.dense({ units: 1, activation: "sigmoid" }),
      ],
    });
    const before = tf.memory().numTensors;
    const first = Array.from(model.getWeights()[0].dataSync());
    const run = await train(model, x, y, { ...quiet, epochs: 2, batchSize: 10, seed: 1 });
    expect(run.model).toBe(model);
    expect(Array.from(model.getWeights()[0].dataSync())).not.toEqual(first);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe("train: bad input fails before training, naming field, value and range", () => {
  const { x, y } = randomMultiHot(50, 20, 12);
  it.each<[string, () => Promise<unknown>, RegExp]>([
    [
      "epochs 0",
      () => train(variants.imdb.tiny, x, y, { ...quiet, epochs: 0 }),
      /epochs = 0; it must be an integer ≥ 1/,
    ],
    [
      "epochs 2.5",
      () => train(variants.imdb.tiny, x, y, { ...quiet, epochs: 2.5 }),
      /epochs = 2\.5; it must be an integer ≥ 1/,
    ],
    [
      "batchSize 0",
      () => train(variants.imdb.tiny, x, y, { ...quiet, batchSize: 0 }),
      /batchSize = 0; it must be an integer ≥ 1/,
    ],
    [
      "validationSplit -0.1",
      () => train(variants.imdb.tiny, x, y, { ...quiet, validationSplit: -0.1 }),
      /validationSplit = -0.1; it must be in \[0, 1\)/,
    ],
    [
      "validationSplit 1",
      () => train(variants.imdb.tiny, x, y, { ...quiet, validationSplit: 1 }),
      /validationSplit = 1; it must be in \[0, 1\)/,
    ],
    [
      "validationSplit leaving no training rows",
      () => train(variants.imdb.tiny, x, y, { ...quiet, validationSplit: 0.99 }),
      /validationSplit = 0\.99; with 50 rows it leaves 0 for training and 50 for validation/,
    ],
    [
      "validationSplit leaving no validation rows",
      () => train(variants.imdb.tiny, x, y, { ...quiet, validationSplit: 1e-17 }),
      /leaves 50 for training and 0 for validation/,
    ],
    [
      "seed",
      () => train(variants.imdb.tiny, x, y, { ...quiet, seed: -1 }),
      /seed = -1; it must be an integer in \[0, 2\^32\)/,
    ],
    [
      "patience",
      () => train(variants.imdb.tiny, x, y, { ...quiet, earlyStopping: { patience: 0 } }),
      /earlyStopping\.patience = 0; it must be an integer ≥ 1/,
    ],
    [
      "unknown option",
      () => train(variants.imdb.tiny, x, y, { ...quiet, batch_size: 32 } as TrainOptions),
      /options\.batch_size = 32; not an option/,
    ],
    ["x/y length", () => train(variants.imdb.tiny, x, y.subarray(0, 40), quiet), /y\.length = 40; x has 50 rows/],
    [
      "binary label 2",
      () =>
        train(
          variants.imdb.tiny,
          x,
          Float32Array.from(y, (v, i) => (i === 3 ? 2 : v)),
          quiet,
        ),
      /y\[3\] = 2; binary_crossentropy needs labels 0 or 1/,
    ],
    [
      "class 10",
      () =>
        train(
          variants.mnist.small,
          { kind: "dense", rows: 2, cols: 784, data: new Float32Array(1568) },
          [1, 10],
          quiet,
        ),
      /y\[1\] = 10; .*labels in \[0, 9\]/,
    ],
    [
      "input width",
      () => train({ ...variants.imdb.tiny, inputDim: 10000 }, x, y, quiet),
      /x width = 20; the model takes 10000 input features/,
    ],
    [
      "dense data length",
      () => train(variants.imdb.tiny, { kind: "dense", rows: 3, cols: 4, data: new Float32Array(5) }, [0, 1, 0], quiet),
      /x\.data\.length = 5; .*needs a Float32Array of 12 values/,
    ],
    [
      "column id",
      () => train(variants.imdb.tiny, { kind: "multihot", rows: 1, cols: 5, ids: [Int32Array.from([7])] }, [1], quiet),
      /x\.ids\[0\]\[0\] = 7; column ids must be in \[0, 5\)/,
    ],
    [
      "bad spec",
      () => train({ ...variants.imdb.tiny, hidden: [{ units: -4 }] }, x, y, quiet),
      /hidden\[0\]\.units = -4; it must be a positive integer/,
    ],
  ])("%s", async (_label, call, message) => {
    expect.assertions(2);
    const before = tf.memory().numTensors;
    await expect(call()).rejects.toThrow(message);
    // Nothing was built or trained: no tensor left behind.
    expect(tf.memory().numTensors).toBe(before);
  });

  it("checks the input width of a given model", async () => {
    const model = buildModel(variants.imdb.tiny, 25, { seed: 1 });
    await expect(train(model, x, y, quiet)).rejects.toThrow(/x width = 20; the model takes 25 input features/);
    model.dispose();
  });
});

describe("train: run cache", () => {
  let dir = "";
  beforeAll(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), "fitlab-train-cache-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reuses a seeded run at once, replaying the epoch callbacks, and retrains when something changes", async () => {
    const { x, y } = randomMultiHot(150, 40, 13);
    const opts: TrainOptions = { verbose: 0, epochs: 3, batchSize: 30, validationSplit: 0.2, seed: 5, cache: { dir } };
    expect(fs.existsSync(dir)).toBe(true);
    const first = await train(variants.imdb.original, x, y, opts);
    expect(first.fromCache).toBe(false);
    const epochs: number[] = [];
    const before = tf.memory().numTensors;
    const second = await train(variants.imdb.original, x, y, {
      ...opts,
      onEpochEnd: (e, h) => void epochs.push(e, h.epoch.length),
    });
    expect(second.fromCache).toBe(true);
    expect(tf.memory().numTensors).toBe(before + 6);
    expect(second.history).toEqual(first.history);
    expect(epochs).toEqual([0, 1, 1, 2, 2, 3]);
    const probe = tf.tensor2d(toDenseMatrix(x).data.subarray(0, 40 * 5), [5, 40]);
    const [p1, p2] = [first, second].map((r) =>
      tf.tidy(() => Array.from((r.model.predict(probe) as tf.Tensor).dataSync())),
    );
    expect(p2).toEqual(p1);

    const edited = await train(variant("imdb.original", { l2: 0.001 }), x, y, opts);
    const longer = await train(variants.imdb.original, x, y, { ...opts, epochs: 4 });
    const forced = await train(variants.imdb.original, x, y, { ...opts, cache: false });
    expect([edited.fromCache, longer.fromCache, forced.fromCache]).toEqual([false, false, false]);
    expect(forced.history).toEqual(first.history);
    const unseeded = await train(variants.imdb.original, x, y, { ...opts, seed: undefined });
    const unseededAgain = await train(variants.imdb.original, x, y, { ...opts, seed: undefined });
    expect([unseeded.fromCache, unseededAgain.fromCache]).toEqual([false, false]);
    probe.dispose();
    [first, second, edited, longer, forced, unseeded, unseededAgain].forEach(dispose);
  });

  it("hashes a tensor's data once for every run on it, and a matrix the caller can edit every time", async () => {
    const { x: dense, y } = mnistSlice(200);
    const opts: TrainOptions = { verbose: 0, epochs: 1, batchSize: 50, validationSplit: 0.2, cache: { dir } };
    const hashes = jest.spyOn(runCache, "fingerprint");
    try {
      // Three seeds of one tensor, then the same again from the cache: its 188 MB (MNIST) hashed once, not six times.
      const xt = tf.tensor2d(dense.data, [dense.rows, dense.cols]);
      const yt = tf.tensor1d(Array.from(y), "int32");
      const trained = await Promise.all(
        [1, 2, 3].map((seed) => train(variants.mnist.small, xt, yt, { ...opts, seed })),
      );
      const cached = await Promise.all([1, 2, 3].map((seed) => train(variants.mnist.small, xt, yt, { ...opts, seed })));
      expect(cached.map((r) => r.fromCache)).toEqual([true, true, true]);
      expect(hashes).toHaveBeenCalledTimes(1);
      // New labels for the same tensor are a new key.
      const relabelled = await train(
        variants.mnist.small,
        xt,
        tf.tensor1d(
          Array.from(y, (v) => (v + 1) % 10),
          "int32",
        ),
        { ...opts, seed: 1 },
      );
      expect(relabelled.fromCache).toBe(false);
      expect(hashes).toHaveBeenCalledTimes(2);
      // A plain matrix is the caller's: edited in place, it trains again instead of serving the old
      // run. (On this thread: on the pool, a matrix the workers copied and that changed since is
      // refused with how to fix it; see the pool tests.)
      const first = await train(variants.mnist.small, dense, y, { ...opts, seed: 7, thread: "thread" });
      dense.data[0] = 0.5;
      const afterEdit = await train(variants.mnist.small, dense, y, { ...opts, seed: 7, thread: "thread" });
      expect([first.fromCache, afterEdit.fromCache]).toEqual([false, false]);
      expect(afterEdit.history).not.toEqual(first.history);
      expect(hashes).toHaveBeenCalledTimes(4);
      tf.dispose([xt, yt]);
      [...trained, ...cached, relabelled, first, afterEdit].forEach(dispose);
    } finally {
      hashes.mockRestore();
    }
  });
});
