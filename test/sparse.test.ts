/**
 * The fast path computes the same mathematics as the plain layers: the sparse first layer equals
 * Dense on the dense input (outputs and gradients, with L1/L2), the one-pass RMSprop equals
 * tf.train.rmsprop, and the patched transposed matMul equals the product.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/system/backend";
import { batchMaker, disposeInputBatch, InputBatch } from "../lib/engine/batches";
import { patchWasmMatMul } from "../lib/engine/matmulPatch";
import { crossEntropy, DenseParams, forwardLogits, penalty, uploadLabels, variablesOf } from "../lib/engine/network";
import { createRng, glorotUniform } from "../lib/system/random";
import { createRmsprop } from "../lib/engine/rmsprop";
import { SparseRows, sparseMatMul, uploadSparseRows, disposeSparseTensors } from "../lib/engine/sparseMatMul";
import type { DenseMatrix, MultiHotMatrix } from "../lib/types";

beforeAll(async () => {
  await initBackend({ report: false });
  patchWasmMatMul();
});

/** A random multi-hot matrix; `emptyRows` are left without ids (incl. trailing ones). */
function randomMultiHot(rows: number, cols: number, seed: number, emptyRows: number[] = []): MultiHotMatrix {
  const rng = createRng(seed);
  const ids = Array.from({ length: rows }, (_, r) => {
    if (emptyRows.includes(r)) return new Int32Array(0);
    const set = new Set<number>();
    const n = 1 + Math.floor(rng.next() * cols * 0.3);
    for (let k = 0; k < n; k++) set.add(Math.floor(rng.next() * cols));
    return Int32Array.from([...set].sort((a, b) => a - b));
  });
  return { kind: "multihot", rows, cols, ids };
}

function densify(m: MultiHotMatrix): DenseMatrix {
  const data = new Float32Array(m.rows * m.cols);
  m.ids.forEach((ids, r) => ids.forEach((c) => (data[r * m.cols + c] = 1)));
  return { kind: "dense", rows: m.rows, cols: m.cols, data };
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe("sparseMatMul", () => {
  it.each([
    ["multi-hot rows", false, []],
    ["multi-hot rows with empty rows in the middle and at the end", false, [2, 10, 11]],
    ["weighted rows (values)", true, [0, 11]],
  ])("equals matMul on the dense input, forward and gradient: %s", (_label, weighted, empty) => {
    const rows = 12;
    const cols = 40;
    const units = 7;
    const m = randomMultiHot(rows, cols, 3, empty as number[]);
    const rng = createRng(9);
    const values = weighted ? m.ids.map((ids) => Float32Array.from(ids, () => rng.next() * 2 - 1)) : undefined;
    const dense = densify(m);
    const batch: SparseRows = { rows, cols, ids: new Int32Array(0), rowOf: new Int32Array(0) };
    const ids: number[] = [];
    const rowOf: number[] = [];
    const vals: number[] = [];
    m.ids.forEach((row, r) =>
      row.forEach((c, k) => {
        ids.push(c);
        rowOf.push(r);
        if (values) {
          vals.push(values[r][k]);
          dense.data[r * cols + c] = values[r][k];
        }
      }),
    );
    batch.ids = Int32Array.from(ids);
    batch.rowOf = Int32Array.from(rowOf);
    if (values) batch.values = Float32Array.from(vals);
    const before = tf.memory().numTensors;
    const sparse = uploadSparseRows(batch);
    const x = tf.tensor2d(dense.data, [rows, cols]);
    const w = tf.tensor2d(glorotUniform(cols, units, createRng(1)), [cols, units]);
    const dy = tf.randomNormal([rows, units], 0, 1, "float32", 5);

    const ySparse = sparseMatMul(sparse, w);
    const yDense = tf.matMul(x, w);
    expect(ySparse.shape).toEqual([rows, units]);
    expect(maxAbsDiff(ySparse, yDense)).toBeLessThan(1e-5);

    const gSparse = tf.grad((k: tf.Tensor) => sparseMatMul(sparse, k as tf.Tensor2D))(w, dy);
    const gDense = tf.grad((k: tf.Tensor) => tf.matMul(x, k as tf.Tensor2D))(w, dy);
    expect(gSparse.shape).toEqual([cols, units]);
    expect(maxAbsDiff(gSparse, gDense)).toBeLessThan(1e-5);
    // The gradient is not trivially zero: every used column has a row.
    expect(tf.tidy(() => tf.sum(tf.abs(gDense)).dataSync()[0])).toBeGreaterThan(0);

    tf.dispose([x, w, dy, ySparse, yDense, gSparse, gDense]);
    disposeSparseTensors(sparse);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("the whole network on sparse vs dense input", () => {
  /** Two copies of the same weights, as the trainer sees them. */
  function makeLayers(cols: number, reg: { l1: number; l2: number }): DenseParams[] {
    const rng = createRng(21);
    const sizes = [cols, 8, 6, 1];
    return sizes.slice(1).map((units, i) => ({
      kernel: tf.tidy(() =>
        tf.variable(tf.tensor2d(glorotUniform(sizes[i], units, rng), [sizes[i], units])),
      ) as tf.Variable<tf.Rank.R2>,
      bias: tf.tidy(() =>
        tf.variable(tf.tensor1d(Float32Array.from({ length: units }, () => rng.next() * 0.1))),
      ) as tf.Variable<tf.Rank.R1>,
      activation: "relu" as const,
      l1: i < 2 ? reg.l1 : 0,
      l2: i < 2 ? reg.l2 : 0,
      dropout: 0,
    }));
  }

  it.each([
    ["no penalty", { l1: 0, l2: 0 }],
    ["L2", { l1: 0, l2: 0.002 }],
    ["L1", { l1: 0.001, l2: 0 }],
    ["L1 + L2", { l1: 0.001, l2: 0.001 }],
  ])("gives the same loss, penalty and gradients for every weight (%s)", (_label, reg) => {
    const cols = 60;
    const m = randomMultiHot(20, cols, 4);
    const labels = Float32Array.from({ length: 20 }, (_, i) => i % 2);
    const before = tf.memory().numTensors;
    const layers = makeLayers(cols, reg);
    const inputs: InputBatch[] = [batchMaker(m).make(0, 20), batchMaker(densify(m)).make(0, 20)];
    expect(inputs.map((b) => b.kind)).toEqual(["sparse", "dense"]);
    const target = uploadLabels(labels, "binary_crossentropy", 1, 0, 20);
    const results = inputs.map((input) =>
      tf.variableGrads(() => {
        const ce = crossEntropy(forwardLogits(layers, input, { training: true }), target.target, "binary_crossentropy");
        const p = penalty(layers);
        return p ? tf.add(ce, p) : ce;
      }, variablesOf(layers)),
    );
    const [sparse, dense] = results;
    expect(Math.abs(sparse.value.dataSync()[0] - dense.value.dataSync()[0])).toBeLessThan(1e-5);
    for (const v of variablesOf(layers))
      expect(maxAbsDiff(sparse.grads[v.name], dense.grads[v.name])).toBeLessThan(1e-5);
    if (reg.l1 || reg.l2) {
      // The penalty is Keras's: l1·Σ|W| + l2·ΣW² over the regularized kernels.
      const expected = layers.slice(0, 2).reduce((s, l) => {
        const w = Array.from(l.kernel.dataSync());
        return s + w.reduce((a, x) => a + reg.l1 * Math.abs(x) + reg.l2 * x * x, 0);
      }, 0);
      expect(tf.tidy(() => penalty(layers)!.dataSync()[0])).toBeCloseTo(expected, 5);
    }
    results.forEach((r) => tf.dispose([r.value, ...Object.values(r.grads)]));
    inputs.forEach(disposeInputBatch);
    target.target.dispose();
    tf.dispose(variablesOf(layers));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("one-pass RMSprop", () => {
  it("matches tf.train.rmsprop(0.001, 0.9, 0, 1e-7) over several steps", () => {
    const before = tf.memory().numTensors;
    const init = tf.randomNormal([30, 5], 0, 1, "float32", 2);
    // tf.variable(t) keeps t's buffer but not t: tidy frees the wrapper tensor.
    const a = tf.tidy(() => tf.variable(init.clone()));
    const b = tf.tidy(() => tf.variable(init.clone()));
    const fused = createRmsprop({ learningRate: 0.001, rho: 0.9, epsilon: 1e-7 });
    const reference = createRmsprop({ learningRate: 0.001, rho: 0.9, epsilon: 1e-7 }, { fused: false });
    for (let step = 0; step < 5; step++) {
      const g = tf.randomNormal([30, 5], 0, step + 1, "float32", 10 + step);
      fused.apply([a], [g]);
      reference.apply([b], [g]);
      g.dispose();
    }
    expect(maxAbsDiff(a, init)).toBeGreaterThan(1e-3); // it moved
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
    fused.dispose();
    reference.dispose();
    tf.dispose([init, a, b]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("never writes into a buffer another tensor shares (a clone keeps its values)", () => {
    const v = tf.tidy(() => tf.variable(tf.ones([4, 3])));
    const snapshot = tf.clone(v);
    const g = tf.ones([4, 3]);
    const opt = createRmsprop({ learningRate: 0.1, rho: 0.9, epsilon: 1e-7 });
    opt.apply([v], [g]);
    expect(Array.from(snapshot.dataSync())).toEqual(new Array(12).fill(1));
    expect(v.dataSync()[0]).toBeLessThan(1);
    tf.dispose([v, snapshot, g]);
  });
});

describe("the wasm transposed-matMul patch", () => {
  it.each([
    [false, true],
    [true, false],
    [true, true],
  ])("gives the same product for transposeA=%s, transposeB=%s, and is idempotent", (ta, tb) => {
    expect(patchWasmMatMul()).toBe(tf.getBackend() === "wasm");
    expect(patchWasmMatMul()).toBe(tf.getBackend() === "wasm");
    const a = tf.randomNormal(ta ? [6, 5] : [5, 6], 0, 1, "float32", 1);
    const b = tf.randomNormal(tb ? [4, 6] : [6, 4], 0, 1, "float32", 2);
    const at = ta ? tf.transpose(a) : a;
    const bt = tb ? tf.transpose(b) : b;
    // Reference product in JavaScript from the plain layouts.
    const A = at.arraySync() as number[][];
    const B = bt.arraySync() as number[][];
    const expected = A.map((row) => B[0].map((_, j) => row.reduce((s, x, k) => s + x * B[k][j], 0)));
    const got = tf.matMul(a, b, ta, tb);
    expect(got.shape).toEqual([5, 4]);
    const diff = Math.max(
      ...(got.arraySync() as number[][]).flatMap((row, i) => row.map((x, j) => Math.abs(x - expected[i][j]))),
    );
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([a, b, at, bt, got]);
  });
});
