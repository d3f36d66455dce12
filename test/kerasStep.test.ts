/**
 * Step for step against Keras itself (tensorflow-cpu + keras, pinned in requirements.txt): for each
 * variant of the lesson, fitlab trains one epoch on small data (the first 2,048 training rows) from
 * seeded initial weights; Keras (reference/keras/step.py) starts from the SAME weights, trains the
 * SAME batches in the same order with `train_on_batch`, and the per-batch loss (penalty included)
 * and the weights after the epoch must agree within TOLERANCE.
 *
 * This checks, against Keras's own code: the sparse first layer (IMDB) and the dense one (MNIST),
 * RMSprop (Keras's rho 0.9 and epsilon 1e-7 inside the square root), the L1/L2 penalties, the loss
 * reduction (mean over the batch), the article's models as runs.py writes them, and that Keras's
 * `validation_split` keeps the same training rows as fitlab's.
 *
 * Where fitlab and Keras differ on purpose, and so what this test does not compare:
 *  - the shuffle: Keras draws each epoch's order from its own random stream; here Keras is given
 *    fitlab's order (captured through the loop's `batchEnd` hook). Curve for curve across seeds
 *    (kerasCurves.test.ts) is where the two streams meet.
 *  - dropout: masks come from different random streams, so dropout is off on both sides (the
 *    dropout variants reduce to their network without it; their Dropout layers are still built).
 *  - the initial weights: both use glorot-uniform with zero biases, from different generators;
 *    here fitlab's are exported to Keras.
 *  - L1's dither: RMSprop moves every weight the L1 penalty pulls toward 0 by about lr per step,
 *    so such weights oscillate around 0, and a float-rounding difference can flip one's sign. On
 *    the full IMDB data (FITLAB_KERAS_ROWS=25000, one epoch, 30 batches) imdb.l1's losses still
 *    agree to 9.3e-6 but 2 of its 160,305 weights end on opposite sides of 0 (±0.00097); on the
 *    2,048 rows here none does.
 *  - nb5's noise channels and shuffled labels draw from different streams (only the zero channels,
 *    which are deterministic, are compared); nb5's learning rate 1.0 is left out: the loss explodes
 *    by design there, and float rounding differences grow without bound.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/system/backend";
import { withExtraColumns } from "../lib/data/chapter5";
import { patchWasmMatMul } from "../lib/engine/matmulPatch";
import { buildModel, optimizerSettings, variant, type ModelSpec } from "../lib/lesson/models";
import { lessonSettings } from "../lib/lesson/settings";
import { denseParams, fitLoop, type BatchRecord } from "../lib/training/loop";
import { checkCall } from "../lib/training/options";
import { fingerprintOf, lessonArrays, SMALL_ROWS, writeArrays, type Arrays } from "../scripts/kerasExport";
import { runKeras } from "./helpers/keras";

/**
 * |fitlab − Keras| ≤ RELATIVE · max(|Keras|, floor), per batch loss (floor FLOOR) and per weight
 * (floor FLOOR · lr / 0.001). Below the floor a value is compared absolutely: weights that start
 * near 0. For weights it scales with the learning rate because a float-rounding difference in a
 * gradient moves a weight by a fraction of an RMSprop step, and a step is proportional to the
 * learning rate (at most lr / sqrt(1 − rho) ≈ 3.2 · lr): at lr 0.01 (nb5.lrlow) 17 of 407,050
 * weights differed by about 1.2e-6, 1.2e-4 of 0.01 but 1.2e-5 of 0.1.
 */
const RELATIVE = 1e-4;
const FLOOR = 1e-2;

interface Case {
  id: string;
  /** The run of reference/keras/runs.py whose article model Keras builds. */
  run: string;
  spec: ModelSpec;
  data: "mnist" | "imdb";
  /** nb5's zero channels: 784 zero columns appended on both sides. */
  edit?: "zeros";
  parts?: 1 | 2;
}

const ALL_CASES: Case[] = [
  { id: "mnist.small", run: "mnist.small", spec: variant("mnist.small"), data: "mnist" },
  { id: "mnist.large", run: "mnist.large", spec: variant("mnist.large"), data: "mnist" },
  // The full-data mnist.large computes each step as two half-batch gradients summed (training/steps.ts).
  { id: "mnist.large.twoparts", run: "mnist.large", spec: variant("mnist.large"), data: "mnist", parts: 2 },
  { id: "nb5.zeros", run: "nb5.zeros", spec: variant("mnist.dense512"), data: "mnist", edit: "zeros" },
  { id: "nb5.lrlow", run: "nb5.lrlow", spec: variant("mnist.dense512", { learningRate: 0.01 }), data: "mnist" },
  ...(["tiny", "original", "smaller", "larger", "l2", "l1", "l1l2"] as const).map((v): Case => ({
    id: `imdb.${v}`,
    run: `imdb.${v}`,
    spec: variant(`imdb.${v}`),
    data: "imdb",
  })),
  { id: "imdb.dropout.off", run: "imdb.dropout", spec: variant("imdb.dropout", { dropout: 0 }), data: "imdb" },
  { id: "imdb.l2dropout.off", run: "imdb.l2dropout", spec: variant("imdb.l2dropout", { dropout: 0 }), data: "imdb" },
];

/** FITLAB_KERAS_CASES=nb5.lrlow,imdb.l2 runs only those cases (when looking into one). */
const only = process.env.FITLAB_KERAS_CASES?.split(",");
const CASES = only ? ALL_CASES.filter((c) => only.includes(c.id)) : ALL_CASES;
/** FITLAB_KERAS_ROWS=25000 replays more rows than the small export (when looking into a difference on full data). */
const ROWS = process.env.FITLAB_KERAS_ROWS ? Number(process.env.FITLAB_KERAS_ROWS) : SMALL_ROWS;

interface FitlabSide {
  batches: BatchRecord[];
  nTrain: number;
  weights: Float32Array;
}

/** The largest |a − b| / max(|b|, FLOOR) and where it is. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>, floor = FLOOR): { error: number; at: number } {
  let error = 0;
  let at = -1;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor);
    if (!(e <= error)) [error, at] = [e, i];
  }
  return { error, at };
}

const flat = (ws: tf.Tensor[]): Float32Array => Float32Array.from(ws.flatMap((w) => Array.from(w.dataSync())));

describe("fitlab against Keras, step for step (one epoch on 2,048 rows, same weights, same batches, dropout off)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fitlab-keras-step-"));
  const fitlab = new Map<string, FitlabSide>();
  let keras: {
    keras: string;
    fingerprints: Record<string, string>;
    cases: { id: string; losses: number[]; trainRows: number; weights: string }[];
  };
  const arrays: Partial<Record<Case["data"], Arrays>> = {};

  beforeAll(async () => {
    const backend = await initBackend({ report: false });
    if (backend === "wasm") patchWasmMatMul();
    for (const data of ["mnist", "imdb"] as const) {
      arrays[data] = await lessonArrays(data, ROWS);
      writeArrays(dir, `${data}-small`, arrays[data]!);
    }
    const job: { dir: string; cases: object[] } = { dir, cases: [] };
    for (const c of CASES) {
      const base = arrays[c.data]!;
      const x = c.edit === "zeros" && base.x.kind === "dense" ? withExtraColumns(base.x, "zeros") : base.x;
      const settings = lessonSettings[c.data];
      const net = buildModel(c.spec, x.cols, { seed: 42 });
      const initial = flat(net.getWeights());
      fs.writeFileSync(path.join(dir, `${c.id}.initial.f32`), initial);
      const { input } = checkCall(c.spec, x, base.y, {
        epochs: 1,
        batchSize: settings.batchSize,
        validationSplit: settings.validationSplit,
        seed: 42,
        verbose: 0,
        parts: c.parts,
      });
      const batches: BatchRecord[] = [];
      await fitLoop(denseParams(net, c.spec), input, {
        line: () => undefined,
        epochEnd: () => undefined,
        batchEnd: (b) => batches.push(b),
      });
      fitlab.set(c.id, { batches, nTrain: input.nTrain, weights: flat(net.getWeights()) });
      net.dispose();
      job.cases.push({
        id: c.id,
        run: c.run,
        data: `${c.data}-small`,
        edit: c.edit,
        validationSplit: settings.validationSplit,
        weights: `${c.id}.initial.f32`,
        batches: batches.map((b) => Array.from(b.rows)),
      });
    }
    fs.writeFileSync(path.join(dir, "job.json"), JSON.stringify(job));
    runKeras("step.py", [path.join(dir, "job.json"), path.join(dir, "result.json")]);
    keras = JSON.parse(fs.readFileSync(path.join(dir, "result.json"), "utf8"));
  }, 600_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("Keras reads exactly fitlab's arrays (the sha256 fingerprint of the arrays it trains on)", () => {
    const used = [...new Set(CASES.map((c) => c.data))];
    expect(used.length).toBeGreaterThan(0);
    for (const data of used) expect(keras.fingerprints[`${data}-small`]).toBe(fingerprintOf(arrays[data]!));
  });

  it.each(CASES.map((c) => [c.id, c] as const))(
    "%s: the same training rows, per-batch loss and weights after one epoch",
    (id, c) => {
      const ours = fitlab.get(id)!;
      const theirs = keras.cases.find((k) => k.id === id)!;
      // validation_split: both keep the first floor(rows · (1 − split)) rows for training.
      expect(theirs.trainRows).toBe(ours.nTrain);
      // Every training row exactly once in the epoch.
      const seen = ours.batches.flatMap((b) => Array.from(b.rows)).sort((a, b) => a - b);
      expect(seen).toEqual(Array.from({ length: ours.nTrain }, (_, i) => i));
      const losses = worst(
        ours.batches.map((b) => b.loss),
        theirs.losses,
      );
      const weightFloor = (FLOOR * optimizerSettings(c.spec).learningRate) / 0.001;
      const weights = worst(
        ours.weights,
        new Float32Array(fs.readFileSync(path.join(dir, theirs.weights)).buffer.slice(0)),
        weightFloor,
      );
      expect(theirs.losses).toHaveLength(ours.batches.length);
      if (only) {
        const a = ours.weights;
        const b = new Float32Array(fs.readFileSync(path.join(dir, theirs.weights)).buffer.slice(0));
        const bad = Array.from(a)
          .map((v, i) => [i, v, b[i]])
          .filter(([, v, w]) => Math.abs(v - w) > RELATIVE * Math.max(Math.abs(w), weightFloor));
        console.log(
          `${bad.length} weights off; first: ${JSON.stringify(bad.slice(0, 10))}; losses ${JSON.stringify(ours.batches.map((x) => x.loss))} vs ${JSON.stringify(theirs.losses)}`,
        );
      }
      console.log(
        `${id}: ${ours.batches.length} batches; worst loss error ${losses.error.toExponential(2)}, worst weight error ${weights.error.toExponential(2)} at weight ${weights.at} of ${ours.weights.length}`,
      );
      expect({ id, losses: losses.error <= RELATIVE, weights: weights.error <= RELATIVE }).toEqual({
        id,
        losses: true,
        weights: true,
      });
    },
  );
});

describe("Keras's batch order, epoch by epoch (reference/keras/order.py, about 10 s)", () => {
  type Orders = { keras: string; set_random_seed: number[][][]; "lesson.py": number[][][] };
  let orders: Orders;
  beforeAll(() => {
    orders = JSON.parse(runKeras("order.py", [], 180_000).trim().split("\n").pop()!);
  }, 200_000);
  const rowsOf = (epoch: number[][]) => epoch.flat().sort((a, b) => a - b);
  const trainRows = Array.from({ length: 32 }, (_, i) => i); // 40 rows, validation_split 0.2

  it("seeded with keras.utils.set_random_seed, fit trains every epoch on the same batches in the same order", () => {
    // Why lesson.py unseeds TensorFlow once the weights are drawn: recorded this way, Keras overfit
    // MNIST Dense(128)×2 sooner than fitlab (0.102 against 0.086), which reshuffles every epoch.
    const epochs = orders["set_random_seed"];
    expect(epochs).toHaveLength(3);
    expect(rowsOf(epochs[0])).toEqual(trainRows);
    expect(epochs[1]).toEqual(epochs[0]);
    expect(epochs[2]).toEqual(epochs[0]);
  });

  it("as lesson.py records the fixtures (seeded, then unseeded after the build), every epoch gets a fresh order of the training rows", () => {
    const epochs = orders["lesson.py"];
    expect(epochs).toHaveLength(3);
    for (const e of epochs) expect(rowsOf(e)).toEqual(trainRows);
    expect(epochs[1]).not.toEqual(epochs[0]);
    expect(epochs[2]).not.toEqual(epochs[1]);
  });
});
