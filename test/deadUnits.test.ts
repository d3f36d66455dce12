/**
 * deadUnits: the first-layer ReLU units whose output is zero on every training row, and each unit's
 * share of zero outputs (per label too). Checked against hand-set weights and against TensorFlow.js's
 * own forward pass (relu(x·W + b)) on a seeded model, for multi-hot and dense input.
 */
import * as tf from "@tensorflow/tfjs";
import { deadUnits, deadUnitsLine } from "../lib/reading/deadUnits";
import { buildModel, variant, type ModelSpec } from "../lib/lesson/models";
import { groupRuns } from "../lib/runs/seeds";
import type { History, MultiHotMatrix, DenseMatrix } from "../lib/types";

const spec: ModelSpec = variant("imdb.tiny", { inputDim: 6 });

function history(samples: number): History {
  return {
    history: { loss: [0.5], accuracy: [0.5] },
    epoch: [0],
    params: { epochs: 1, batchSize: 2, samples, validationSamples: 0, steps: 1 },
  };
}

function runWith(kernel: number[], bias: number[], samples: number, name = "tiny") {
  const model = buildModel(spec, 6, { seed: 1 });
  const [k, b, k2, b2] = model.getWeights();
  model.setWeights([tf.tensor2d(kernel, k.shape as [number, number]), tf.tensor1d(bias), k2, b2]);
  return { name, spec, model, history: history(samples) };
}

// 6 words × 4 units. Unit 0 fires on word 0, unit 1 never (all weights negative, bias 0), unit 2 on
// every row (bias 1), unit 3 on word 5 only.
const kernel = [
  [1, -1, 0, 0],
  [0, -1, 0, 0],
  [0, -1, 0, 0],
  [0, -1, 0, 0],
  [0, -1, 0, 0],
  [0, -1, 0, 1],
].flat();
const x: MultiHotMatrix = {
  kind: "multihot",
  rows: 5,
  cols: 6,
  ids: [
    Int32Array.from([0, 1]),
    Int32Array.from([2]),
    Int32Array.from([0, 5]),
    Int32Array.from([3, 4]),
    Int32Array.from([5]),
  ],
};

describe("deadUnits", () => {
  it("counts a unit dead only when its output is 0 on every training row, and gives each unit's share of zero outputs", () => {
    const run = runWith(kernel, [0, 0, 1, 0], 4);
    const [c] = deadUnits(run, x);
    expect(c).toMatchObject({ name: "tiny", dead: 1, units: 4, indices: [1], rows: 4 });
    // Rows 0–3 (the 5th is validation): unit 0 fires on rows 0 and 2, unit 3 on row 2.
    expect(c.zeroShare).toEqual([0.5, 1, 0, 0.75]);
    run.model.dispose();
  });

  it("reads only the training rows by default (the validation split takes the last ones), or the rows asked for", () => {
    const run = runWith(kernel, [0, 0, 1, 0], 4);
    expect(deadUnits(run, x, { rows: 5 })[0].zeroShare).toEqual([0.6, 1, 0, 0.6]);
    expect(() => deadUnits(run, x, { rows: 6 })).toThrow(/rows = 6; an integer 1\.\.5/);
    run.model.dispose();
  });

  it("splits the zero shares by label", () => {
    const run = runWith(kernel, [0, 0, 1, 0], 4);
    const [c] = deadUnits(run, x, { labels: [1, 0, 1, 0, 1] });
    expect(c.zeroShareByLabel).toEqual({ 0: [1, 1, 0, 1], 1: [0, 1, 0, 0.5] });
    expect(deadUnitsLine([c], { labelNames: { 0: "negative", 1: "positive" } })).toBe(
      "tiny: 1 of 4 first-layer units is dead (unit 1: output 0 on all 4 training rows); each unit outputs 0 on 50%, 100%, 0% and 75% of them (negative: 100%, 100%, 0% and 100%; positive: 0%, 100%, 0% and 50%).",
    );
    run.model.dispose();
  });

  it("agrees with TensorFlow.js's relu(x·W + b) on a seeded model, for multi-hot and dense input", () => {
    const wide = variant("imdb.original", { inputDim: 50 });
    const model = buildModel(wide, 50, { seed: 7 });
    const rows = 200;
    const ids: Int32Array[] = [];
    let s = 12345;
    const rand = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let r = 0; r < rows; r++)
      ids.push(
        Int32Array.from([...new Set(Array.from({ length: 8 }, () => Math.floor(rand() * 50)))].sort((a, b) => a - b)),
      );
    const multi: MultiHotMatrix = { kind: "multihot", rows, cols: 50, ids };
    const data = new Float32Array(rows * 50);
    ids.forEach((row, r) => row.forEach((id) => (data[r * 50 + id] = 1)));
    const dense: DenseMatrix = { kind: "dense", rows, cols: 50, data };
    const [k, b] = model.getWeights();
    const out = tf.tidy(
      () => tf.relu(tf.add(tf.matMul(tf.tensor2d(data, [rows, 50]), k as tf.Tensor2D), b)).arraySync() as number[][],
    );
    const expected = Array.from({ length: 16 }, (_, j) => out.filter((row) => row[j] === 0).length / rows);
    const run = { name: "original", spec: wide, model, history: history(rows) };
    for (const input of [multi, dense]) {
      const [c] = deadUnits(run, input);
      c.zeroShare.forEach((v, j) => expect(v).toBeCloseTo(expected[j], 10));
      expect(c.dead).toBe(expected.filter((v) => v === 1).length);
    }
    model.dispose();
  });

  it("gives one count per seed of a group, named with its seed", () => {
    const a = runWith(kernel, [0, 0, 1, 0], 4);
    const b = runWith(kernel, [5, 5, 5, 5], 4);
    const group = groupRuns("tiny", [a, b], [5, 6]);
    const counts = deadUnits(group, x);
    expect(counts.map((c) => [c.name, c.dead])).toEqual([
      ["tiny (seed 5)", 1],
      ["tiny (seed 6)", 0],
    ]);
    expect(deadUnitsLine(counts).split("\n")[1]).toBe(
      "tiny (seed 6): no unit is dead on all 4 training rows; each unit outputs 0 on 0%, 0%, 0% and 0% of them.",
    );
    // A run passed beside a group that holds its seed counts once; another seed adds a count.
    const again = { ...runWith(kernel, [0, 0, 1, 0], 4, "tiny, seed 6"), options: { seed: 6 } };
    const other = { ...again, name: "tiny, seed 7", options: { seed: 7 } };
    expect(deadUnits([group, again, other], x).map((c) => c.name)).toEqual([
      "tiny (seed 5)",
      "tiny (seed 6)",
      "tiny, seed 7",
    ]);
    again.model.dispose();
    a.model.dispose();
    b.model.dispose();
  });

  it("throws, saying what to pass, for a model without a ReLU first layer, data of the wrong width, or a disposed model", () => {
    const run = runWith(kernel, [0, 0, 1, 0], 4);
    const narrow: MultiHotMatrix = { kind: "multihot", rows: 1, cols: 5, ids: [Int32Array.from([0])] };
    expect(() => deadUnits(run, narrow)).toThrow(/x width = 5; the model's first layer takes 6 inputs/);
    const tanh = { ...run, spec: { ...spec, hidden: [{ ...spec.hidden[0], activation: "tanh" as const }] } };
    expect(() => deadUnits(tanh, x)).toThrow(/dead units are ReLU units/);
    expect(() => deadUnits({ name: "x" } as never, x)).toThrow(/pass a finished run/);
    run.model.dispose();
    expect(() => deadUnits(run, x)).toThrow(/count dead units before dispose\(run\)/);
  });
});
