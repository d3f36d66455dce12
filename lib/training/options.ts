/**
 * What `train` accepts, checked before any work starts: the options (with their defaults, in one
 * place), the features (a DenseMatrix, a MultiHotMatrix or a rank-2 tensor) and the labels. Every
 * refusal names the field, the value as written (NaN, Infinity) and what is allowed.
 */
import * as tf from "@tensorflow/tfjs";
import { heapView } from "../engine/wasmHeap";
import { checkKnownKeys, fail, integerIn } from "../check";
import type { DenseMode } from "../engine/batches";
import { countParams, specFromModel, validateSpec, type ModelSpec } from "../lesson/models";
import { randomSeed } from "../system/random";
import type { EpochCallback, Features } from "../types";
import type { LoopInput } from "./loop";
import { gradientParts } from "./steps";

export interface EarlyStopping {
  /** Epochs without improvement of the monitored value before training stops (≥ 1). */
  patience: number;
  /** Put back the weights of the best epoch when stopping (Keras `restore_best_weights`). Default false. */
  restoreBestWeights?: boolean;
  /**
   * "val_loss" (default, Keras's: includes any L1/L2 penalty) or "val_crossentropy" (the plain
   * validation cross-entropy, the fair measure for regularized runs; equal to val_loss without a penalty).
   */
  monitor?: "val_loss" | "val_crossentropy";
}

export interface TrainOptions {
  /** The run's display name; default the spec's name (e.g. "original"). */
  name?: string;
  /** Default 20 (the lesson's). */
  epochs?: number;
  /** Default 32 (Keras's); the lesson uses 128 (MNIST) and 512 (IMDB). */
  batchSize?: number;
  /**
   * The last fraction of rows held out for validation, in [0, 1). Default 0.2. Keras's default is
   * no validation, but every curve and diagnosis of the lesson needs validation values; 0 trains on
   * every row with no validation (the final model of the book's workflow), and the history then has
   * no val_* series.
   */
  validationSplit?: number;
  /**
   * Seeds the initial weights, the per-epoch shuffles and the dropout masks: same seed and backend
   * give the same history to the last digit (on a worker thread or on this one). Without a seed a
   * random one is drawn (as Keras gives fresh weights each run); it is recorded in
   * `run.options.seed`, and such runs are not cached.
   */
  seed?: number;
  /**
   * Called on the calling thread after every epoch with the 0-based epoch index (as Keras) and the
   * history so far; awaited in order. A callback that shows its own progress line (a function with
   * the property `showsProgress: true`, as `liveCurves` returns) turns the per-epoch log lines off
   * unless `verbose` is given.
   */
  onEpochEnd?: EpochCallback | EpochCallback[];
  /**
   * 1: one Keras-style line per epoch; 0: silent (warnings such as an exploding loss still print
   * unless verbose is explicitly 0). Default 1, or 0 when an `onEpochEnd` callback has
   * `showsProgress: true` (it shows the progress itself); an explicit `verbose: 1` always prints
   * the full per-epoch log. Typed as a number (0 or 1, checked when training starts) so that a settings
   * object such as `{ ...fit, verbose: 0 }`, whose 0 TypeScript widens to number, needs no `as const`.
   */
  verbose?: number;
  /**
   * Where progress lines go. Default console.log. `kind` says what a line is: an epoch's line, why
   * the run stopped, a warning, or where its epochs came from (the run cache: "cache").
   */
  log?: (line: string, kind: LineKind) => void;
  earlyStopping?: EarlyStopping;
  /**
   * Reuse a stored run with the same spec, options, data, seed, backend and library version.
   * Default true (directory `data/runs`, see runCache.ts); false forces training. Only seeded runs
   * of a spec are cached (an unseeded run is meant to be random; a given model has its own weights).
   * A run asked for more epochs than a stored run of the same settings goes on from that run's
   * last epoch (its weights, optimizer state and random stream are stored with it) and gives the
   * numbers it would have given trained from scratch; early stopping runs always start afresh.
   */
  cache?: boolean | { dir?: string };
  /**
   * How dense input (MNIST) reaches the first layer: "dense" (rows copied, matMul; default) or
   * "sparse" (only the non-zero pixels, weighted segment sums). Same numbers either way; on wasm
   * "sparse" measured 7.6× slower for mnist.small (its `tf.gather` kernel is slow), so it stays
   * opt-in. Multi-hot input always takes the sparse path.
   */
  denseInput?: DenseMode;
  /**
   * Where the model trains. "pool" (default for a spec, on the main thread): on a worker thread of
   * fitlab's training pool (one per core, started on first use), so the notebook kernel stays
   * responsive and runs started together (`Promise.all`) train in parallel; the trained weights
   * come back into `run.model`. "thread": on the calling thread. A `tf.Sequential` passed in always
   * trains on the calling thread, in place (its variables cannot move to another thread and back
   * without replacing them), and so does every run when `FITLAB_WORKERS=0` or inside a worker.
   */
  thread?: "pool" | "thread";
  /**
   * How each step computes its batch's gradient (training/steps.ts). 1: the whole batch at once.
   * 2: as two parts, the first half's gradient and the second half's, summed: the same mathematics,
   * other float rounding (a curve differs from one part's by about 1e-6 relative per step, which
   * can grow over 20 epochs). Default: 2 for a big run on dense input (trainable weights × training
   * rows ≥ 4e9, e.g. mnist.large), else 1. A two-part run can spread its parts over two pool
   * workers (`split`) without changing a number; recorded in `run.options.parts`.
   */
  parts?: 1 | 2;
  /**
   * Where a two-part run (`parts`) trains: its two parts on two pool workers at once
   * (data-parallel, training/dataParallel.ts), or both on one worker, one after the other. The
   * numbers are the same to the last bit either way; only the time differs.
   * "auto" (default): over two workers when the pool has a second worker free as the run starts
   * (no other run waiting or training), else on one. false: always on one. true: always over two
   * when the pool has two workers (waiting for both to be free); a one-part run cannot split (pass
   * `parts: 2`). The run says where it trained in `run.placement`.
   */
  split?: "auto" | boolean;
}

/** The options that determine a run, as recorded in it (plain data). */
export interface RunOptions {
  epochs: number;
  batchSize: number;
  validationSplit: number;
  seed: number;
  earlyStopping?: EarlyStopping;
  denseInput: DenseMode;
  /** Parts of each step's gradient (see TrainOptions.parts): determines the numbers, unlike where they are computed. */
  parts: 1 | 2;
}

/** What a log line is (see TrainOptions.log). */
export type LineKind = "epoch" | "stop" | "warning" | "cache";

const KNOWN = [
  "name",
  "epochs",
  "batchSize",
  "validationSplit",
  "seed",
  "onEpochEnd",
  "verbose",
  "log",
  "earlyStopping",
  "cache",
  "denseInput",
  "thread",
  "parts",
  "split",
] as const;

/** Refuses a bad value: `train: <field> = <value>; <allowed>.` */
export function bad(field: string, value: unknown, allowed: string): never {
  return fail("train", field, value, allowed);
}

/**
 * The run-determining options with their defaults, plus the display name; throws for anything
 * unknown or out of range. `parts` stays as given: its default depends on the model and the data
 * (checkCall resolves it).
 */
export function resolveOptions(options: TrainOptions): Omit<RunOptions, "parts"> & { name?: string; parts?: 1 | 2 } {
  if (options === null || typeof options !== "object")
    bad("options", options, "it must be an object such as { epochs: 20, batchSize: 512 }");
  checkKnownKeys("train", options, KNOWN);
  const epochs = integerIn("train", "epochs", options.epochs ?? 20, 1, Infinity, "e.g. 20");
  const batchSize = integerIn("train", "batchSize", options.batchSize ?? 32, 1, Infinity, "e.g. 128 or 512");
  const validationSplit = options.validationSplit ?? 0.2;
  if (typeof validationSplit !== "number" || !(validationSplit >= 0 && validationSplit < 1)) {
    bad(
      "validationSplit",
      validationSplit,
      "it must be in [0, 1), e.g. 0.2 holds out the last 20% of rows (0: no validation)",
    );
  }
  const seed = options.seed ?? randomSeed();
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) {
    bad("seed", seed, "it must be an integer in [0, 2^32), or absent for a random run");
  }
  if (options.verbose !== undefined && options.verbose !== 0 && options.verbose !== 1)
    bad("verbose", options.verbose, "it must be 0 or 1");
  const es = options.earlyStopping;
  if (es !== undefined) {
    if (!es || typeof es !== "object")
      bad("earlyStopping", es, "it must be { patience, restoreBestWeights?, monitor? }");
    integerIn(
      "train",
      "earlyStopping.patience",
      es.patience,
      1,
      Infinity,
      "epochs without improvement before stopping, e.g. 3",
    );
    if (es.monitor !== undefined && es.monitor !== "val_loss" && es.monitor !== "val_crossentropy") {
      bad("earlyStopping.monitor", es.monitor, 'it must be "val_loss" or "val_crossentropy"');
    }
    if (validationSplit === 0)
      bad("earlyStopping", "set", "early stopping watches validation values; use a validationSplit > 0 with it");
    if (es.restoreBestWeights !== undefined && typeof es.restoreBestWeights !== "boolean") {
      bad("earlyStopping.restoreBestWeights", es.restoreBestWeights, "it must be true or false");
    }
  }
  const denseInput = options.denseInput ?? "dense";
  if (denseInput !== "dense" && denseInput !== "sparse")
    bad("denseInput", denseInput, 'it must be "dense" or "sparse"');
  if (options.name !== undefined && typeof options.name !== "string") bad("name", options.name, "it must be a string");
  if (options.thread !== undefined && options.thread !== "pool" && options.thread !== "thread")
    bad("thread", options.thread, 'it must be "pool" or "thread"');
  if (options.parts !== undefined && options.parts !== 1 && options.parts !== 2)
    bad("parts", options.parts, "it must be 1 or 2 (or absent: 2 for a big run on dense input, else 1)");
  if (options.split !== undefined && options.split !== "auto" && typeof options.split !== "boolean")
    bad("split", options.split, 'it must be "auto", true or false');
  if (options.log !== undefined && typeof options.log !== "function")
    bad("log", options.log, "it must be a function (line: string) => void");
  return {
    name: options.name,
    epochs,
    batchSize,
    validationSplit,
    seed,
    earlyStopping: es
      ? { patience: es.patience, restoreBestWeights: es.restoreBestWeights ?? false, monitor: es.monitor ?? "val_loss" }
      : undefined,
    denseInput,
    ...(options.parts !== undefined ? { parts: options.parts } : {}),
  };
}

/** The `onEpochEnd` option as a checked list. */
export function callbacksOf(options: TrainOptions): EpochCallback[] {
  const cb = options.onEpochEnd;
  if (cb === undefined) return [];
  const list = Array.isArray(cb) ? cb : [cb];
  list.forEach((f, i) => {
    if (typeof f !== "function")
      bad(Array.isArray(cb) ? `onEpochEnd[${i}]` : "onEpochEnd", f, "it must be a function (epoch, history) => void");
  });
  return list;
}

/** True when a callback shows its own progress line (`liveCurves` sets `showsProgress: true` on its callback). */
export function showsProgress(callback: EpochCallback): boolean {
  return (callback as EpochCallback & { showsProgress?: unknown }).showsProgress === true;
}

/**
 * Per-epoch lines: `verbose` when given; otherwise on, unless a callback shows its own progress.
 * `warnings`: whether notes such as an exploding loss are printed (all but an explicit verbose 0).
 */
export function logLevel(
  options: TrainOptions,
  callbacks: EpochCallback[],
): { epochLines: boolean; warnings: boolean } {
  if (options.verbose !== undefined) return { epochLines: options.verbose === 1, warnings: options.verbose === 1 };
  return { epochLines: !callbacks.some(showsProgress), warnings: true };
}

const featuresOfTensor = new WeakMap<tf.Tensor, Features>();
/** Features fitlab made from a tensor: their values are a private copy nobody can change. */
const tensorCopies = new WeakSet<Features>();

/**
 * Whether `x` is fitlab's own copy of a tensor's values (toFeatures), which never changes, so that
 * what is computed from its values (the run cache's data fingerprint) can be kept with it.
 */
export function isImmutableCopy(x: Features): boolean {
  return tensorCopies.has(x);
}

/**
 * A tensor's values as float32 in a SharedArrayBuffer: the form the worker pool shares (training/
 * shared.ts uses it as it is). On wasm, copied straight from the wasm heap: one copy, where
 * `dataSync` and then a shared copy made two. Fresh memory is what costs here: each new 188 MB
 * (MNIST's 60,000 × 784 floats) took 1.2 s on this machine, so this saves that, and 188 MB of the
 * kernel's peak, in every notebook that trains on MNIST.
 */
function sharedValues(x: tf.Tensor): Float32Array {
  // Native TensorFlow trains on this thread (pool.ts): its own dataSync copy serves, shared with no worker.
  if (tf.getBackend() === "tensorflow") {
    const values = x.dataSync();
    return values instanceof Float32Array ? values : Float32Array.from(values);
  }
  const out = new Float32Array(new SharedArrayBuffer(4 * x.size));
  out.set(x.dtype === "float32" ? heapView(x) : x.dataSync());
  return out;
}

/**
 * Features from a plain matrix or a rank-2 tensor (copied out once per tensor), checked for
 * consistency.
 */
export function toFeatures(x: Features | tf.Tensor): Features {
  if (x instanceof tf.Tensor) {
    const known = featuresOfTensor.get(x);
    if (known && !x.isDisposed) return known;
    if (x.rank !== 2) bad("x", `a tensor of shape [${x.shape.join(", ")}]`, "it must be rank 2: [samples, features]");
    const [rows, cols] = x.shape as [number, number];
    const features: Features = { kind: "dense", rows, cols, data: sharedValues(x) };
    featuresOfTensor.set(x, features);
    tensorCopies.add(features);
    return features;
  }
  if (!x || typeof x !== "object") bad("x", x, "it must be a DenseMatrix, a MultiHotMatrix or a rank-2 tensor");
  if (x.kind === "dense") {
    if (!(x.data instanceof Float32Array) || x.data.length !== x.rows * x.cols) {
      bad(
        "x.data.length",
        x.data?.length,
        `a DenseMatrix of ${x.rows} × ${x.cols} needs a Float32Array of ${x.rows * x.cols} values`,
      );
    }
    return x;
  }
  if (x.kind === "multihot") {
    if (!Array.isArray(x.ids) || x.ids.length !== x.rows)
      bad("x.ids.length", x.ids?.length, `a MultiHotMatrix of ${x.rows} rows needs ${x.rows} id arrays`);
    for (let r = 0; r < x.rows; r++) {
      const ids = x.ids[r];
      for (let k = 0; k < ids.length; k++) {
        if (!(ids[k] >= 0 && ids[k] < x.cols))
          bad(`x.ids[${r}][${k}]`, ids[k], `column ids must be in [0, ${x.cols}) (x.cols = ${x.cols})`);
        if (k > 0 && ids[k] <= ids[k - 1])
          bad(
            `x.ids[${r}]`,
            `[${Array.from(ids.slice(0, 8)).join(", ")}…]`,
            "ids of a row must be sorted and unique (use vectorizeSequences)",
          );
      }
    }
    return x;
  }
  return bad("x.kind", (x as { kind?: unknown }).kind, 'it must be "dense" or "multihot"');
}

/** Labels as float32, checked against the loss: 0/1 for binary, class ids in [0, classes) otherwise. */
export function toLabels(y: tf.Tensor | ArrayLike<number>, rows: number, spec: ModelSpec): Float32Array {
  let values: Float32Array;
  if (y instanceof tf.Tensor) {
    const ok = y.rank === 1 || (y.rank === 2 && y.shape[1] === 1);
    if (!ok)
      bad(
        "y",
        `a tensor of shape [${y.shape.join(", ")}]`,
        "it must be [samples] or [samples, 1] (class ids or 0/1 labels)",
      );
    values = Float32Array.from(y.dataSync());
  } else if (y && typeof (y as ArrayLike<number>).length === "number") {
    values = Float32Array.from(y as ArrayLike<number>);
  } else {
    return bad("y", y, "it must be an array or tensor of labels");
  }
  if (values.length !== rows) bad("y.length", values.length, `x has ${rows} rows; x and y must have the same length`);
  const binary = spec.loss === "binary_crossentropy";
  const classes = spec.output.units;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const ok = binary ? v === 0 || v === 1 : Number.isInteger(v) && v >= 0 && v < classes;
    if (!ok) {
      bad(
        `y[${i}]`,
        v,
        binary
          ? "binary_crossentropy needs labels 0 or 1"
          : `sparse_categorical_crossentropy with ${classes} classes needs integer labels in [0, ${classes - 1}]`,
      );
    }
  }
  return values;
}

/** Rows for training and for validation under `validationSplit` (the last rows validate, as Keras). */
export function splitRows(rows: number, validationSplit: number): { nTrain: number; nVal: number } {
  const nTrain = Math.floor(rows * (1 - validationSplit));
  const nVal = rows - nTrain;
  if (nTrain < 1 || (validationSplit > 0 && nVal < 1)) {
    bad(
      "validationSplit",
      validationSplit,
      `with ${rows} rows it leaves ${nTrain} for training and ${nVal} for validation; both need at least 1`,
    );
  }
  return { nTrain, nVal };
}

/** A `train` call's arguments, checked: what the epoch loop needs, and how to report. */
export interface CheckedCall {
  /** The tf.Sequential passed in (trained in place), or undefined for a spec. */
  given?: tf.Sequential;
  input: LoopInput;
  callbacks: EpochCallback[];
  /** Writes a line to the log when the level lets it through. */
  say(text: string, kind: LineKind): void;
}

/** Checks every argument of `train(model, x, y, options)` before any work starts. */
export function checkCall(
  model: ModelSpec | tf.Sequential,
  x: Features | tf.Tensor,
  y: tf.Tensor | ArrayLike<number>,
  options: TrainOptions,
): CheckedCall {
  const { name: givenName, ...runOptions } = resolveOptions(options);
  const callbacks = callbacksOf(options);
  const given = model instanceof tf.Sequential ? model : undefined;
  const spec = given ? specFromModel(given) : (model as ModelSpec);
  validateSpec(spec);
  const features = toFeatures(x);
  if (spec.inputDim !== undefined && features.cols !== spec.inputDim) {
    bad(
      "x width",
      features.cols,
      `the model takes ${spec.inputDim} input features; pass data of that width (or a spec without inputDim)`,
    );
  }
  const labels = toLabels(y, features.rows, spec);
  const { nTrain, nVal } = splitRows(features.rows, runOptions.validationSplit);
  const parts = runOptions.parts ?? gradientParts(countParams(spec, features.cols), nTrain, features.kind);
  if (options.split === true && parts === 1) {
    bad(
      "split",
      true,
      "this run computes each step's gradient as one part (it is small, or its input multi-hot), which cannot be shared between two workers; pass parts: 2 as well (its numbers then differ from one part's by float rounding), or leave split out",
    );
  }
  const name = givenName ?? spec.name ?? "model";
  const log = options.log ?? ((line: string) => console.log(line));
  const level = logLevel(options, callbacks);
  const say = (text: string, kind: LineKind): void => {
    if (kind === "epoch" ? level.epochLines : level.warnings) log(text, kind);
  };
  return {
    given,
    input: { name, spec, features, labels, options: { ...runOptions, parts }, nTrain, nVal },
    callbacks,
    say,
  };
}
