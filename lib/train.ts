/**
 * `train(spec | model, x, y, options)`: Keras's `model.fit` for the lesson's models, fast on wasm.
 *
 * Keras semantics kept: rmsprop with Keras's defaults; `validationSplit` holds out the LAST
 * fraction of rows, before any shuffling; the training rows are reshuffled every epoch; the
 * reported `loss`/`accuracy` are the sample-weighted means over the epoch's batches (with the
 * L1/L2 penalty in `loss`); validation is evaluated at each epoch's end with dropout off; a NaN or
 * infinite loss stops training (TerminateOnNaN); optional early stopping on `val_loss`.
 *
 * Speed (see lib/fast): batches are built in JavaScript from plain arrays, multi-hot input goes
 * through a sparse first layer (no dense 25,000 × 10,000 matrix), on wasm the transposed matMul of
 * every backward pass is routed through the fast plain kernel, and RMSprop is one JavaScript pass
 * per weight tensor instead of ~10 kernels. The model's own variables are trained, so the returned
 * tf.Sequential is an ordinary Keras-style model holding the trained weights.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend";
import { batchMaker, BatchMaker, DenseMode, disposeInputBatch, InputBatch, sliceRows } from "./fast/batches";
import { patchWasmMatMul } from "./fast/matmulPatch";
import { DenseParams, evaluateBatch, LabelBatch, penaltyValue, trainStep, uploadLabels } from "./fast/network";
import { createRng, permutation, randomSeed, Rng } from "./random";
import { createRmsprop } from "./fast/rmsprop";
import { buildModel, ModelSpec, optimizerSettings, specFromModel, validateSpec } from "./models";
import { fingerprint, readRun, runKey, writeRun, CachedRun } from "./runCache";
import type { EpochCallback, Features, History, RunLike } from "./types";
import { projectVersion } from "./project";

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
   * give the same history to the last digit. Without a seed a random one is drawn (as Keras gives
   * fresh weights each run); it is recorded in `run.options.seed`, and such runs are not cached.
   */
  seed?: number;
  /** Called after every epoch with the 0-based epoch index (as Keras) and the history so far. */
  onEpochEnd?: EpochCallback | EpochCallback[];
  /** 1 (default): one Keras-style line per epoch; 0: silent. */
  verbose?: 0 | 1;
  /** Where progress lines go. Default console.log. */
  log?: (line: string) => void;
  earlyStopping?: EarlyStopping;
  /**
   * Reuse a stored run with the same spec, options, data, seed, backend and library version.
   * Default true (directory `data/runs`, see runCache.ts); false forces training. Only seeded runs
   * of a spec are cached (an unseeded run is meant to be random; a given model has its own weights).
   */
  cache?: boolean | { dir?: string };
  /**
   * How dense input (MNIST) reaches the first layer: "dense" (rows copied, matMul; default) or
   * "sparse" (only the non-zero pixels, weighted segment sums). Same numbers either way; on wasm
   * "sparse" measured 7.6× slower for mnist.small (its `tf.gather` kernel is slow), so it stays
   * opt-in. Multi-hot input always takes the sparse path.
   */
  denseInput?: DenseMode;
}

/** The options that determine a run, as recorded in it (plain data). */
export interface RunOptions {
  epochs: number;
  batchSize: number;
  validationSplit: number;
  seed: number;
  earlyStopping?: EarlyStopping;
  denseInput: DenseMode;
}

/** A finished training run. Dispose its model with `dispose(run)` when no longer needed. */
export interface Run extends RunLike {
  name: string;
  spec: ModelSpec;
  history: History;
  /** The trained model; predicts from dense input [n, inputDim] (multi-hot rows as 0/1). */
  model: tf.Sequential;
  backend: string;
  /** Wall time of this call (training, or loading from the cache). */
  seconds: number;
  fromCache: boolean;
  /** Why training ended before `epochs` (NaN loss, early stopping); absent when it ran them all. */
  stopReason?: string;
  options: RunOptions;
}

let lastYield = Date.now();

/**
 * Lets the event loop run (timers, sockets) when `everyMs` have passed since it last did. Training
 * is synchronous work; without this a notebook kernel could not answer heartbeats or interrupts,
 * nor send the per-epoch lines and live figures while a long run is going.
 */
async function yieldNow(everyMs = 100): Promise<void> {
  if (Date.now() - lastYield < everyMs) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastYield = Date.now();
}

/** Frees the run's model (its weight tensors). */
export function dispose(run: Run): void {
  run.model.dispose();
}

// ---------------------------------------------------------------------------------------------
// Validation of inputs

function bad(field: string, value: unknown, allowed: string): never {
  const shown = typeof value === "number" || typeof value === "string" || typeof value === "boolean" ? JSON.stringify(value) : String(value);
  throw new Error(`train: ${field} = ${shown}; ${allowed}.`);
}

function positiveInteger(field: string, value: unknown, hint: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) bad(field, value, `it must be an integer ≥ 1 (${hint})`);
  return value;
}

function resolveOptions(options: TrainOptions): RunOptions & { name?: string } {
  const known = ["name", "epochs", "batchSize", "validationSplit", "seed", "onEpochEnd", "verbose", "log", "earlyStopping", "cache", "denseInput"];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) bad(`options.${key}`, (options as Record<string, unknown>)[key], `not an option; known options: ${known.join(", ")}`);
  }
  const epochs = positiveInteger("epochs", options.epochs ?? 20, "e.g. 20");
  const batchSize = positiveInteger("batchSize", options.batchSize ?? 32, "e.g. 128 or 512");
  const validationSplit = options.validationSplit ?? 0.2;
  if (typeof validationSplit !== "number" || !(validationSplit >= 0 && validationSplit < 1)) {
    bad("validationSplit", validationSplit, "it must be in [0, 1), e.g. 0.2 holds out the last 20% of rows (0: no validation)");
  }
  const seed = options.seed ?? randomSeed();
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) {
    bad("seed", seed, "it must be an integer in [0, 2^32), or absent for a random run");
  }
  if (options.verbose !== undefined && options.verbose !== 0 && options.verbose !== 1) bad("verbose", options.verbose, "it must be 0 or 1");
  const es = options.earlyStopping;
  if (es !== undefined) {
    if (!es || typeof es !== "object") bad("earlyStopping", es, "it must be { patience, restoreBestWeights?, monitor? }");
    positiveInteger("earlyStopping.patience", es.patience, "epochs without improvement before stopping, e.g. 3");
    if (es.monitor !== undefined && es.monitor !== "val_loss" && es.monitor !== "val_crossentropy") {
      bad("earlyStopping.monitor", es.monitor, 'it must be "val_loss" or "val_crossentropy"');
    }
    if (validationSplit === 0) bad("earlyStopping", "set", "early stopping watches validation values; use a validationSplit > 0 with it");
    if (es.restoreBestWeights !== undefined && typeof es.restoreBestWeights !== "boolean") {
      bad("earlyStopping.restoreBestWeights", es.restoreBestWeights, "it must be true or false");
    }
  }
  const denseInput = options.denseInput ?? "dense";
  if (denseInput !== "dense" && denseInput !== "sparse") bad("denseInput", denseInput, 'it must be "dense" or "sparse"');
  if (options.name !== undefined && typeof options.name !== "string") bad("name", options.name, "it must be a string");
  return {
    name: options.name,
    epochs,
    batchSize,
    validationSplit,
    seed,
    earlyStopping: es ? { patience: es.patience, restoreBestWeights: es.restoreBestWeights ?? false, monitor: es.monitor ?? "val_loss" } : undefined,
    denseInput,
  };
}

/** Features from a plain matrix or a rank-2 tensor (copied out), checked for consistency. */
function toFeatures(x: Features | tf.Tensor): Features {
  if (x instanceof tf.Tensor) {
    if (x.rank !== 2) bad("x", `a tensor of shape [${x.shape.join(", ")}]`, "it must be rank 2: [samples, features]");
    const [rows, cols] = x.shape as [number, number];
    const data = x.dtype === "float32" ? (x.dataSync() as Float32Array) : Float32Array.from(x.dataSync());
    return { kind: "dense", rows, cols, data };
  }
  if (!x || typeof x !== "object") bad("x", x, "it must be a DenseMatrix, a MultiHotMatrix or a rank-2 tensor");
  if (x.kind === "dense") {
    if (!(x.data instanceof Float32Array) || x.data.length !== x.rows * x.cols) {
      bad("x.data.length", x.data?.length, `a DenseMatrix of ${x.rows} × ${x.cols} needs a Float32Array of ${x.rows * x.cols} values`);
    }
    return x;
  }
  if (x.kind === "multihot") {
    if (!Array.isArray(x.ids) || x.ids.length !== x.rows) bad("x.ids.length", x.ids?.length, `a MultiHotMatrix of ${x.rows} rows needs ${x.rows} id arrays`);
    for (let r = 0; r < x.rows; r++) {
      const ids = x.ids[r];
      for (let k = 0; k < ids.length; k++) {
        if (!(ids[k] >= 0 && ids[k] < x.cols)) bad(`x.ids[${r}][${k}]`, ids[k], `column ids must be in [0, ${x.cols}) (x.cols = ${x.cols})`);
        if (k > 0 && ids[k] <= ids[k - 1]) bad(`x.ids[${r}]`, `[${Array.from(ids.slice(0, 8)).join(", ")}…]`, "ids of a row must be sorted and unique (use vectorizeSequences)");
      }
    }
    return x;
  }
  return bad("x.kind", (x as { kind?: unknown }).kind, 'it must be "dense" or "multihot"');
}

/** Labels as float32, checked against the loss: 0/1 for binary, class ids in [0, classes) otherwise. */
function toLabels(y: tf.Tensor | ArrayLike<number>, rows: number, spec: ModelSpec): Float32Array {
  let values: Float32Array;
  if (y instanceof tf.Tensor) {
    const ok = y.rank === 1 || (y.rank === 2 && y.shape[1] === 1);
    if (!ok) bad("y", `a tensor of shape [${y.shape.join(", ")}]`, "it must be [samples] or [samples, 1] (class ids or 0/1 labels)");
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
      bad(`y[${i}]`, v, binary ? "binary_crossentropy needs labels 0 or 1" : `sparse_categorical_crossentropy with ${classes} classes needs integer labels in [0, ${classes - 1}]`);
    }
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The Dense layers of a Sequential as variables + settings; Dropout rates folded into the layer before. */
function denseParams(model: tf.Sequential, spec: ModelSpec): DenseParams[] {
  const dense = model.layers.filter((l) => l.getClassName() === "Dense");
  const settings = [...spec.hidden, { units: spec.output.units, activation: spec.output.activation }];
  return dense.map((layer, i) => {
    const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const s = settings[i] as { activation?: DenseParams["activation"]; l1?: number; l2?: number; dropout?: number };
    return {
      kernel: kernel as tf.Variable<tf.Rank.R2>,
      bias: bias as tf.Variable<tf.Rank.R1>,
      activation: s.activation ?? "relu",
      l1: s.l1 ?? 0,
      l2: s.l2 ?? 0,
      dropout: s.dropout ?? 0,
    };
  });
}

function emptyHistory(spec: ModelSpec, options: RunOptions, samples: number, validationSamples: number): History {
  const regularized = spec.hidden.some((l) => (l.l1 ?? 0) > 0 || (l.l2 ?? 0) > 0);
  const validated = validationSamples > 0;
  return {
    history: {
      loss: [],
      accuracy: [],
      ...(validated ? { val_loss: [], val_accuracy: [] } : {}),
      ...(regularized ? { crossentropy: [], ...(validated ? { val_crossentropy: [] } : {}) } : {}),
    },
    epoch: [],
    params: { epochs: options.epochs, batchSize: options.batchSize, samples, validationSamples, steps: Math.ceil(samples / options.batchSize) },
  };
}

function copyHistory(h: History, epochs = h.epoch.length): History {
  const series = Object.fromEntries(Object.entries(h.history).map(([k, v]) => [k, (v as number[]).slice(0, epochs)]));
  return { history: series as History["history"], epoch: h.epoch.slice(0, epochs), params: { ...h.params } };
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : String(v));

function epochLine(h: History, i: number, seconds: number): string {
  const parts = [`Epoch ${i + 1}/${h.params.epochs}`, `${seconds.toFixed(2)}s`];
  for (const key of ["loss", "accuracy", "val_loss", "val_accuracy"] as const) {
    const series = h.history[key];
    if (series) parts.push(`${key}: ${fmt(series[i])}`);
  }
  return parts.join(" - ");
}

/**
 * Part of every cache key. Bump it whenever training changes what a run computes (its numbers), so
 * stored runs from the older trainer are retrained instead of served.
 */
export const TRAINER_FORMAT = 1;

/** A spec with every default written out, so `{}` and `{ learningRate: 0.001 }` share a cache key. */
function normalizedSpec(spec: ModelSpec, inputDim: number): ModelSpec {
  return {
    name: spec.name,
    inputDim,
    hidden: spec.hidden.map((l) => ({ units: l.units, activation: l.activation ?? "relu", l1: l.l1 ?? 0, l2: l.l2 ?? 0, dropout: l.dropout ?? 0 })),
    output: { ...spec.output },
    loss: spec.loss,
    optimizer: optimizerSettings(spec),
  };
}

function callbacksOf(options: TrainOptions): EpochCallback[] {
  const cb = options.onEpochEnd;
  if (cb === undefined) return [];
  const list = Array.isArray(cb) ? cb : [cb];
  list.forEach((f, i) => {
    if (typeof f !== "function") bad(Array.isArray(cb) ? `onEpochEnd[${i}]` : "onEpochEnd", f, "it must be a function (epoch, history) => void");
  });
  return list;
}

interface EvalChunk {
  input: InputBatch;
  labels: LabelBatch;
}

/**
 * The validation rows in evaluation-sized chunks. Uploaded once per run when they are small (the
 * usual case: multi-hot IMDB, MNIST); dense data over KEEP_VALIDATION_FLOATS is uploaded chunk by
 * chunk at each evaluation instead, so a dense IMDB run does not hold 400 MB on the device.
 */
function validationChunks(maker: BatchMaker, labels: Float32Array, spec: ModelSpec, x: Features) {
  const upload = (start: number): EvalChunk => {
    const end = Math.min(start + EVAL_ROWS, maker.rows);
    return { input: maker.make(start, end), labels: uploadLabels(labels, spec.loss, spec.output.units, start, end) };
  };
  const free = (c: EvalChunk): void => {
    disposeInputBatch(c.input);
    c.labels.target.dispose();
  };
  const starts: number[] = [];
  for (let start = 0; start < maker.rows; start += EVAL_ROWS) starts.push(start);
  const keep = x.kind === "multihot" || x.rows * x.cols <= KEEP_VALIDATION_FLOATS;
  const kept = keep ? starts.map(upload) : [];
  return {
    /** Calls f on every chunk in order. */
    forEach(f: (c: EvalChunk) => void): void {
      if (keep) return kept.forEach(f);
      for (const start of starts) {
        const c = upload(start);
        try {
          f(c);
        } finally {
          free(c);
        }
      }
    },
    dispose(): void {
      kept.forEach(free);
    },
  };
}

/** 16 MB of float32: larger dense validation sets are uploaded chunk by chunk at each evaluation. */
const KEEP_VALIDATION_FLOATS = 12 * 1024 * 1024;

/** Rows per evaluation batch: large (predict/evaluate at Keras's 32 are 6–11× slower on wide input), bounded in memory. */
const EVAL_ROWS = 2048;

// ---------------------------------------------------------------------------------------------
// train

/**
 * Trains `model` (a spec, built here with seeded glorot-uniform weights; or a tf.Sequential of
 * Dense/Dropout layers, trained in place) on x [samples, features] and y [samples] as Keras's
 * `fit(x, y, epochs, batch_size, validation_split)` would, and returns the Run.
 * Tensors: afterwards `tf.memory().numTensors` has grown by the new model's weights only (none
 * when a model was passed); free them with `dispose(run)`.
 */
export async function train(
  model: ModelSpec | tf.Sequential,
  x: Features | tf.Tensor,
  y: tf.Tensor | ArrayLike<number>,
  options: TrainOptions = {},
): Promise<Run> {
  const started = Date.now();
  const backend = await initBackend();
  if (backend === "wasm") patchWasmMatMul();

  // Everything is checked before any training.
  const opts = resolveOptions(options);
  const callbacks = callbacksOf(options);
  const log = options.log ?? ((line: string) => console.log(line));
  const verbose = options.verbose ?? 1;
  const givenModel = model instanceof tf.Sequential ? model : undefined;
  const spec = givenModel ? specFromModel(givenModel) : (model as ModelSpec);
  validateSpec(spec);
  const features = toFeatures(x);
  const expectedWidth = spec.inputDim;
  if (expectedWidth !== undefined && features.cols !== expectedWidth) {
    bad("x width", features.cols, `the model takes ${expectedWidth} input features; pass data of that width (or a spec without inputDim)`);
  }
  const labels = toLabels(y, features.rows, spec);
  const nTrain = Math.floor(features.rows * (1 - opts.validationSplit));
  const nVal = features.rows - nTrain;
  if (nTrain < 1 || (opts.validationSplit > 0 && nVal < 1)) {
    bad("validationSplit", opts.validationSplit, `with ${features.rows} rows it leaves ${nTrain} for training and ${nVal} for validation; both need at least 1`);
  }
  const name = opts.name ?? spec.name ?? "model";
  const runOptions: RunOptions = {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    validationSplit: opts.validationSplit,
    seed: opts.seed,
    earlyStopping: opts.earlyStopping,
    denseInput: opts.denseInput,
  };
  const fullSpec = normalizedSpec(spec, features.cols);

  // The cache: only seeded runs of a spec (see TrainOptions.cache).
  const cacheDir = typeof options.cache === "object" ? options.cache.dir : undefined;
  const useCache = options.cache !== false && !givenModel && options.seed !== undefined;
  const key = useCache
    ? runKey({
        spec: fullSpec,
        options: { ...runOptions, earlyStopping: runOptions.earlyStopping ?? null },
        data: fingerprint(features, labels),
        backend,
        version: projectVersion(),
        trainer: TRAINER_FORMAT,
      })
    : undefined;
  if (key) {
    const cached = readRun(key, { dir: cacheDir });
    const run = cached && (await fromCached(cached, spec, features.cols, runOptions, name, backend, callbacks, started));
    if (run) {
      if (verbose) log(`${name}: loaded from the run cache (${run.history.epoch.length} epochs; pass cache: false to retrain)`);
      return run;
    }
  }

  const net = givenModel ?? buildModel(spec, features.cols, { seed: opts.seed });
  const layers = denseParams(net, spec);
  const opt = optimizerSettings(spec);
  const optimizer = createRmsprop(opt);
  // A separate stream from the weights' (buildModel seeds its own): shuffles and dropout seeds.
  const rng: Rng = createRng((opts.seed ^ 0x5f3759df) >>> 0);
  const nextSeed = (): number => rng.nextUint32();

  const trainMaker = batchMaker(sliceRows(features, 0, nTrain), opts.denseInput);
  const valFeatures = sliceRows(features, nTrain, features.rows);
  const valLabels = labels.subarray(nTrain);
  const valChunks = validationChunks(batchMaker(valFeatures, opts.denseInput), valLabels, spec, valFeatures);
  const history = emptyHistory(spec, runOptions, nTrain, nVal);
  const h = history.history;
  let stopReason: string | undefined;
  let best = { value: Infinity, epoch: -1, weights: undefined as tf.Tensor[] | undefined };
  let wait = 0;

  try {
    for (let epoch = 0; epoch < opts.epochs && !stopReason; epoch++) {
      const epochStart = Date.now();
      const order = permutation(nTrain, rng);
      let lossSum = 0;
      let ceSum = 0;
      let correct = 0;
      let seen = 0;
      const steps = Math.ceil(nTrain / opts.batchSize);
      for (let step = 0; step < steps; step++) {
        await yieldNow();
        const start = step * opts.batchSize;
        const end = Math.min(start + opts.batchSize, nTrain);
        const input = trainMaker.make(start, end, order);
        const target = uploadLabels(labels, spec.loss, spec.output.units, start, end, order);
        try {
          const r = trainStep(layers, input, target, spec.loss, optimizer, nextSeed);
          const n = end - start;
          lossSum += r.loss * n;
          ceSum += r.crossentropy * n;
          correct += r.correct;
          seen += n;
          if (!Number.isFinite(r.loss)) {
            stopReason = `the loss became ${r.loss} at epoch ${epoch + 1}, batch ${step + 1} of ${steps}; training stopped there (as Keras's TerminateOnNaN). Try a lower learning rate or check the data for NaN/Infinity.`;
            break;
          }
        } finally {
          disposeInputBatch(input);
          target.target.dispose();
        }
      }
      // Validation at the epoch's end, dropout off; Keras's val_loss includes the penalty too.
      let valCe = 0;
      let valCorrect = 0;
      valChunks.forEach((chunk) => {
        const r = evaluateBatch(layers, chunk.input, chunk.labels, spec.loss);
        valCe += r.crossentropySum;
        valCorrect += r.correct;
      });
      const pen = penaltyValue(layers);
      h.loss.push(lossSum / seen);
      h.accuracy.push(correct / seen);
      h.val_loss?.push(valCe / nVal + pen);
      h.val_accuracy?.push(valCorrect / nVal);
      h.crossentropy?.push(ceSum / seen);
      h.val_crossentropy?.push(valCe / nVal);
      history.epoch.push(epoch);
      if (verbose) log(epochLine(history, epoch, (Date.now() - epochStart) / 1000));
      if (stopReason && verbose) log(`${name}: ${stopReason}`);

      if (opts.earlyStopping && !stopReason) {
        const es = opts.earlyStopping;
        const current = es.monitor === "val_crossentropy" ? valCe / nVal : valCe / nVal + pen;
        wait++;
        if (current < best.value) {
          wait = 0;
          if (best.weights) tf.dispose(best.weights);
          best = { value: current, epoch, weights: es.restoreBestWeights ? layers.flatMap((l) => [tf.clone(l.kernel), tf.clone(l.bias)]) : undefined };
        }
        if (wait >= es.patience && epoch > 0) {
          stopReason = `early stopping: ${es.monitor} has not improved for ${es.patience} epoch(s) since epoch ${best.epoch + 1} (${fmt(best.value)})`;
          if (es.restoreBestWeights && best.weights) {
            layers.forEach((l, i) => {
              l.kernel.assign(best.weights![2 * i] as tf.Tensor2D);
              l.bias.assign(best.weights![2 * i + 1] as tf.Tensor1D);
            });
            stopReason += `; restored the weights of epoch ${best.epoch + 1}`;
          }
          if (verbose) log(`${name}: ${stopReason}`);
        }
      }
      for (const cb of callbacks) await cb(epoch, copyHistory(history));
      await yieldNow(0);
    }
  } catch (err) {
    if (!givenModel) net.dispose();
    throw err;
  } finally {
    optimizer.dispose();
    if (best.weights) tf.dispose(best.weights);
    valChunks.dispose();
  }

  const seconds = (Date.now() - started) / 1000;
  if (key) {
    // A finished run matters more than its cache entry: a full disk or read-only data/ only warns.
    try {
      writeRun(
        {
          key,
          name,
          history,
          weights: net.getWeights().map((w, i) => ({ name: `weight_${i}`, shape: w.shape.slice(), values: w.dataSync() as Float32Array })),
          meta: { spec: fullSpec as unknown as Record<string, unknown>, options: { ...runOptions }, backend, seconds, stopReason: stopReason ?? null },
        } as CachedRun,
        { dir: cacheDir },
      );
    } catch (err) {
      console.warn(`fitlab: ${name}: trained, but could not store it in the run cache (${(err as Error).message}); it will train again next time.`);
    }
  }
  return { name, spec, history, model: net, backend, seconds, fromCache: false, stopReason, options: runOptions };
}

/** Rebuilds a cached run (model with the stored weights) and replays the epoch callbacks; undefined if it does not fit. */
async function fromCached(
  cached: CachedRun,
  spec: ModelSpec,
  inputDim: number,
  options: RunOptions,
  name: string,
  backend: string,
  callbacks: EpochCallback[],
  started: number,
): Promise<Run | undefined> {
  const model = buildModel(spec, inputDim, { seed: options.seed });
  const current = model.getWeights();
  const fits =
    cached.weights.length === current.length && cached.weights.every((w, i) => w.shape.join() === current[i].shape.join());
  if (!fits) {
    model.dispose();
    return undefined;
  }
  const values = cached.weights.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(values);
  tf.dispose(values);
  const history = cached.history;
  try {
    for (let epoch = 0; epoch < history.epoch.length; epoch++) {
      for (const cb of callbacks) await cb(epoch, copyHistory(history, epoch + 1));
    }
  } catch (err) {
    model.dispose(); // a failing callback must not leave an unreachable model behind
    throw err;
  }
  const stopReason = typeof cached.meta.stopReason === "string" ? cached.meta.stopReason : undefined;
  return { name, spec, history, model, backend, seconds: (Date.now() - started) / 1000, fromCache: true, stopReason, options };
}
