/**
 * The data of the book's chapter 5 experiments (Chollet, *Deep Learning with Python*, 2nd ed.), as
 * plain Features and labels that `train`, `trainSeeds` and `evaluate` take:
 * - 5.1.1: MNIST with 784 extra columns of uniform noise, or of zeros (`withExtraColumns`);
 * - 5.1.2: MNIST with its training labels randomly permuted (`shuffledLabels`).
 * Everything random is drawn from a seed, so a notebook re-run gives the same data (and the same cache key).
 */
import { fail, integerIn } from "../check";
import { createRng, shuffleInPlace } from "../system/random";
import type { DenseMatrix } from "../types";
import { loadArrays, type MnistOptions } from "./mnist";
import { flattenImages } from "./vectorize";

/** Features and labels of one split: x [rows, 784] scaled to [0, 1], y [rows] class ids. */
export interface LabeledData {
  x: DenseMatrix;
  y: Float32Array;
}

export interface MnistFeaturesOptions extends MnistOptions {
  /** Keep the first `trainSamples` training images (default all 60,000). */
  trainSamples?: number;
  /** Keep the first `testSamples` test images (default all 10,000). */
  testSamples?: number;
}

function firstRows(split: ReturnType<typeof loadArrays>["train"], n: number): LabeledData {
  const x = flattenImages({
    images: split.images.subarray(0, n * split.rows * split.cols),
    count: n,
    rows: split.rows,
    cols: split.cols,
  });
  return { x, y: Float32Array.from(split.labels.subarray(0, n)) };
}

/**
 * MNIST as the book prepares it (`reshape((60000, 28 * 28)).astype("float32") / 255`), as plain
 * arrays: `{ train: { x [n, 784], y [n] }, test: { x [m, 784], y [m] } }`.
 */
export function loadMnistFeatures(options: MnistFeaturesOptions = {}): { train: LabeledData; test: LabeledData } {
  const { trainSamples, testSamples, ...mnistOptions } = options;
  const { train, test } = loadArrays(mnistOptions);
  const nTrain = integerIn(
    "loadMnistFeatures",
    "trainSamples",
    trainSamples ?? train.count,
    1,
    train.count,
    `at most the ${train.count} training images`,
  );
  const nTest = integerIn(
    "loadMnistFeatures",
    "testSamples",
    testSamples ?? test.count,
    1,
    test.count,
    `at most the ${test.count} test images`,
  );
  return { train: firstRows(train, nTrain), test: firstRows(test, nTest) };
}

export type ExtraColumns = "noise" | "zeros";

export interface ExtraColumnsOptions {
  /** How many columns to append; default x.cols (784 for MNIST, as the book). */
  columns?: number;
  /** Seeds the noise (ignored for zeros). Default 0. */
  seed?: number;
}

/**
 * x with `columns` extra columns appended to every row: uniform noise in [0, 1) ("noise", the book's
 * `np.random.random((len(train_images), 784))`) or zeros ("zeros", `np.zeros(...)`). Returns a new
 * [rows, x.cols + columns] matrix; x is not modified.
 */
export function withExtraColumns(x: DenseMatrix, kind: ExtraColumns, options: ExtraColumnsOptions = {}): DenseMatrix {
  const where = "withExtraColumns";
  if (!x || x.kind !== "dense") fail(where, "x", x, "it must be a DenseMatrix (e.g. loadMnistFeatures().train.x)");
  if (kind !== "noise" && kind !== "zeros") fail(where, "kind", kind, 'it must be "noise" or "zeros"');
  const extra = integerIn(
    where,
    "options.columns",
    options.columns ?? x.cols,
    1,
    100_000,
    "how many columns to append, e.g. 784",
  );
  const seed = integerIn(where, "options.seed", options.seed ?? 0, 0, 2 ** 32 - 1, "an integer seed for the noise");
  const cols = x.cols + extra;
  const data = new Float32Array(x.rows * cols);
  const rng = createRng(seed);
  for (let r = 0; r < x.rows; r++) {
    data.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), r * cols);
    if (kind === "noise") for (let c = x.cols; c < cols; c++) data[r * cols + c] = rng.next();
  }
  return { kind: "dense", rows: x.rows, cols, data };
}

/**
 * The labels in a random order (the book's `random_train_labels = train_labels[:]; np.random.shuffle(...)`):
 * the same multiset of classes, each now attached to an unrelated image. A new array; `labels` is not modified.
 */
export function shuffledLabels(labels: ArrayLike<number>, seed = 0): Float32Array {
  const where = "shuffledLabels";
  if (!labels || typeof labels.length !== "number" || labels.length < 1)
    fail(where, "labels", labels, "it must be a non-empty array of labels");
  integerIn(where, "seed", seed, 0, 2 ** 32 - 1, "an integer seed for the permutation");
  const order = new Int32Array(labels.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  shuffleInPlace(order, createRng(seed));
  const out = new Float32Array(labels.length);
  for (let i = 0; i < out.length; i++) out[i] = labels[order[i]];
  return out;
}
