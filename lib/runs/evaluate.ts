/**
 * `evaluate(run, x, y)`: Keras's `model.evaluate(x, y)` for a finished run — the loss (the
 * cross-entropy plus any L1/L2 penalty, as Keras reports it) and the accuracy on data the model
 * may never have seen, e.g. the test set of the book's workflow ("choose on validation, score once
 * on test"). It runs on the trainer's fast path: batches built in JavaScript, multi-hot rows through
 * the sparse first layer, no dropout.
 */
import * as tf from "@tensorflow/tfjs";
import { fail, integerIn } from "../check";
import { batchMaker, disposeInputBatch } from "../engine/batches";
import { type DenseParams, evaluateBatch, penaltyValue, uploadLabels } from "../engine/network";
import { type ModelSpec, specFromModel } from "../lesson/models";
import { denseParams } from "../training/loop";
import { isSeedGroup } from "./seeds";
import type { Features, RunLike, SeedGroup } from "../types";
import type { Run } from "./train";

/** What `evaluate` returns. */
export interface Evaluation {
  /** Keras's loss: the mean cross-entropy plus the L1/L2 penalty (equal to `crossentropy` without one). */
  loss: number;
  accuracy: number;
  /** The plain mean cross-entropy. */
  crossentropy: number;
  /** Rows evaluated. */
  samples: number;
  /** For a group of seeds: each seed's evaluation, in seed order (the fields above are their means). */
  seeds?: Evaluation[];
}

export interface EvaluateOptions {
  /**
   * Rows per batch; default 2048. Keras's default is 32, but predicting/evaluating at 32 measured
   * 6–11× slower than large batches on these wide inputs; the result does not depend on it.
   */
  batchSize?: number;
}

/** What `evaluate`, `deadUnits` and the like need of a finished run: its spec and trained model (a `Run` has them). */
export type TrainedRun = RunLike & Pick<Run, "spec" | "model">;

const WHERE = "evaluate";

/** The Dense layers of a trained model as the fast path reads them (evaluation never applies dropout). */
function layersOf(model: tf.Sequential, spec: ModelSpec): DenseParams[] {
  const dense = model.layers.filter((l) => l.getClassName() === "Dense").length;
  const expected = spec.hidden.length + 1;
  if (dense !== expected) {
    fail(
      WHERE,
      "model",
      `${dense} Dense layers`,
      `its spec "${spec.name ?? "model"}" has ${expected}; pass the run that train() returned`,
    );
  }
  return denseParams(model, spec);
}

function toFeatures(x: Features | tf.Tensor): Features {
  if (x instanceof tf.Tensor) {
    if (x.rank !== 2)
      fail(WHERE, "x", `a tensor of shape [${x.shape.join(", ")}]`, "it must be rank 2: [samples, features]");
    const [rows, cols] = x.shape as [number, number];
    return { kind: "dense", rows, cols, data: Float32Array.from(x.dataSync()) };
  }
  if (!x || typeof x !== "object" || (x.kind !== "dense" && x.kind !== "multihot")) {
    fail(WHERE, "x", x, "it must be a DenseMatrix, a MultiHotMatrix or a rank-2 tensor");
  }
  if (x.kind === "dense" && (!(x.data instanceof Float32Array) || x.data.length !== x.rows * x.cols)) {
    fail(
      WHERE,
      "x.data.length",
      x.data?.length,
      `a DenseMatrix of ${x.rows} × ${x.cols} needs a Float32Array of ${x.rows * x.cols} values`,
    );
  }
  if (x.kind === "multihot" && (!Array.isArray(x.ids) || x.ids.length !== x.rows)) {
    fail(WHERE, "x.ids.length", x.ids?.length, `a MultiHotMatrix of ${x.rows} rows needs ${x.rows} id arrays`);
  }
  if (x.rows < 1) fail(WHERE, "x.rows", x.rows, "there must be at least one row to evaluate");
  return x;
}

function toLabels(y: tf.Tensor | ArrayLike<number>, rows: number, spec: ModelSpec): Float32Array {
  let values: Float32Array;
  if (y instanceof tf.Tensor) {
    if (!(y.rank === 1 || (y.rank === 2 && y.shape[1] === 1)))
      fail(WHERE, "y", `a tensor of shape [${y.shape.join(", ")}]`, "it must be [samples] or [samples, 1]");
    values = Float32Array.from(y.dataSync());
  } else if (y && typeof (y as ArrayLike<number>).length === "number") {
    values = Float32Array.from(y as ArrayLike<number>);
  } else {
    return fail(WHERE, "y", y, "it must be an array or tensor of labels");
  }
  if (values.length !== rows)
    fail(WHERE, "y.length", values.length, `x has ${rows} rows; x and y must have the same length`);
  const binary = spec.loss === "binary_crossentropy";
  const classes = spec.output.units;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (binary ? v !== 0 && v !== 1 : !(Number.isInteger(v) && v >= 0 && v < classes)) {
      fail(
        WHERE,
        `y[${i}]`,
        v,
        binary
          ? "a sigmoid model needs labels 0 or 1"
          : `this model has ${classes} classes; labels must be integers in [0, ${classes - 1}]`,
      );
    }
  }
  return values;
}

function evaluateModel(
  model: tf.Sequential,
  spec: ModelSpec,
  x: Features,
  y: tf.Tensor | ArrayLike<number>,
  batchSize: number,
): Evaluation {
  const width = (model.inputs[0]?.shape?.[1] as number | undefined) ?? spec.inputDim;
  if (width !== undefined && x.cols !== width) {
    fail(
      WHERE,
      "x width",
      x.cols,
      `the model takes ${width} input features; evaluate it on data prepared the same way as its training data`,
    );
  }
  const labels = toLabels(y, x.rows, spec);
  const layers = layersOf(model, spec);
  const maker = batchMaker(x);
  let ceSum = 0;
  let correct = 0;
  for (let start = 0; start < x.rows; start += batchSize) {
    const end = Math.min(start + batchSize, x.rows);
    const input = maker.make(start, end);
    const target = uploadLabels(labels, spec.loss, spec.output.units, start, end);
    try {
      const r = evaluateBatch(layers, input, target, spec.loss);
      ceSum += r.crossentropySum;
      correct += r.correct;
    } finally {
      disposeInputBatch(input);
      target.target.dispose();
    }
  }
  const crossentropy = ceSum / x.rows;
  return { loss: crossentropy + penaltyValue(layers), accuracy: correct / x.rows, crossentropy, samples: x.rows };
}

function trainedParts(run: unknown, at: string): { model: tf.Sequential; spec: ModelSpec } {
  if (run instanceof tf.Sequential) return { model: run, spec: specFromModel(run) };
  const r = run as Partial<TrainedRun> | null;
  if (!r || typeof r !== "object" || !(r.model instanceof tf.Sequential) || !r.spec) {
    fail(
      WHERE,
      at,
      run,
      "pass a finished run (what train() returns), a group of seeds (trainSeeds) or a tf.Sequential",
    );
  }
  try {
    r.model.getWeights(); // throws "… is already disposed" after dispose(run)
  } catch {
    fail(WHERE, at, `run "${r.name}"`, "its model was disposed; evaluate before dispose(run)");
  }
  return { model: r.model, spec: r.spec };
}

/**
 * Loss and accuracy of a finished run's model on x [samples, features] and y [samples] (class ids,
 * or 0/1 for a sigmoid model), as Keras's `model.evaluate`. For a group of seeds, each seed's model
 * is evaluated and the fields are the means (each seed's in `seeds`). Throws, naming the problem,
 * on data of the wrong width or labels outside the model's classes.
 */
export function evaluate(
  run: TrainedRun | SeedGroup<TrainedRun> | tf.Sequential,
  x: Features | tf.Tensor,
  y: tf.Tensor | ArrayLike<number>,
  options: EvaluateOptions = {},
): Evaluation {
  if (!options || typeof options !== "object") fail(WHERE, "options", options, "it must be { batchSize? }");
  for (const key of Object.keys(options))
    if (key !== "batchSize")
      fail(
        WHERE,
        `options.${key}`,
        (options as Record<string, unknown>)[key],
        "not an option; known options: batchSize",
      );
  const batchSize = integerIn(
    WHERE,
    "options.batchSize",
    options.batchSize ?? 2048,
    1,
    1_000_000,
    "rows per batch, e.g. 2048",
  );
  const features = toFeatures(x);
  if (!(run instanceof tf.Sequential) && run && typeof run === "object" && isSeedGroup(run)) {
    const seeds = run.seedRuns.map((r, i) => {
      const { model, spec } = trainedParts(r, `seedRuns[${i}]`);
      return evaluateModel(model, spec, features, y, batchSize);
    });
    const mean = (f: (e: Evaluation) => number): number => seeds.reduce((s, e) => s + f(e), 0) / seeds.length;
    return {
      loss: mean((e) => e.loss),
      accuracy: mean((e) => e.accuracy),
      crossentropy: mean((e) => e.crossentropy),
      samples: features.rows,
      seeds,
    };
  }
  const { model, spec } = trainedParts(run, "run");
  return evaluateModel(model, spec, features, y, batchSize);
}
