/**
 * The epoch loop, as Keras's `fit` runs it: each epoch reshuffles the training rows, takes one
 * optimizer step per batch, evaluates the held-out rows with dropout off, records the epoch in the
 * history, and checks early stopping. The same code runs on the calling thread and on a pool worker,
 * so a seed gives the same history to the last digit on either; what happens with each finished
 * epoch (a log line, callbacks, a message to the main thread) is the caller's `hooks`.
 */
import * as tf from "@tensorflow/tfjs";
import { batchMaker, BatchMaker, disposeInputBatch, InputBatch, sliceRows } from "../engine/batches";
import {
  DenseParams,
  evaluateBatch,
  EvalSums,
  LabelBatch,
  penaltyValue,
  uploadLabels,
  variablesOf,
} from "../engine/network";
import { createRmsprop, type WeightUpdater } from "../engine/rmsprop";
import { optimizerSettings, type ModelSpec } from "../lesson/models";
import { createRng, permutation, Rng, rngFromState } from "../system/random";
import type { Features, History } from "../types";
import { fixed4 } from "../format";
import type { EarlyStopping, RunOptions } from "./options";
import { localStep, type StepFn } from "./steps";

/** What a loop reports as it goes. Lines are complete sentences for a log; the caller decides where they go. */
export interface LoopHooks {
  /**
   * A line for the log, in order: each epoch's Keras-style line ("epoch"), why training stopped
   * ("stop"), a loss that exploded ("warning").
   */
  line(text: string, kind: "epoch" | "stop" | "warning"): void;
  /** After each epoch (and its lines): the history so far (the loop's own object: copy to keep). */
  epochEnd(epoch: number, history: History): void | Promise<void>;
  /** Checked between batches: set when the run must stop now (an interrupt); the loop throws its reason. */
  signal?: AbortSignal;
  /**
   * After each optimizer step: which training rows the batch held, in order, and its loss. Only the
   * Keras reference test listens (test/kerasStep.test.ts replays the same batches in Keras).
   */
  batchEnd?(batch: BatchRecord): void;
}

/** One step as `LoopHooks.batchEnd` sees it. */
export interface BatchRecord {
  /** 0-based epoch and step within it. */
  epoch: number;
  step: number;
  /** The training rows of the batch (indices into the first nTrain rows), in batch order. */
  rows: Int32Array;
  /** The batch's mean loss with the L1/L2 penalty (Keras's `loss`), and without it. */
  loss: number;
  crossentropy: number;
}

/**
 * Where a finished run left off: with its weights, everything its next epoch depends on. A run
 * trained longer from it (`LoopInput.resume`) computes the very numbers it would have computed had
 * it never stopped.
 */
export interface Checkpoint {
  /** The optimizer's state per trainable variable, in `variablesOf` order (RMSprop's mean squares). */
  optimizer: Float32Array[];
  /** The shuffle and dropout stream (random.ts's `state()`). */
  rng: number[];
  /** The run's first batch loss, which the exploded-loss warning compares against. */
  firstLoss?: number;
}

/** What ended a run before its last epoch: early stopping, or a loss that became NaN or infinite (TerminateOnNaN). */
export type StopCause = "early stopping" | "non-finite loss";

export interface LoopResult {
  history: History;
  /** Why training ended before `epochs`, as a sentence for the log; absent when it ran them all. */
  stopReason?: string;
  /** What ended it, as data (set exactly when stopReason is). */
  stoppedBy?: StopCause;
  /** Things that went wrong without stopping training, e.g. a loss that exploded. */
  warnings: string[];
  /** Seconds the loop ran (training and validation, on whichever thread ran it). */
  seconds: number;
  /** Set when the run ran all its epochs with an optimizer whose state can be read: how to train it longer. */
  checkpoint?: Checkpoint;
}

/**
 * A stored run to continue: its history so far, its warnings, its checkpoint and its weights (which
 * whoever builds the model puts in it: the loop reads the layers it is given).
 */
export interface Resume {
  history: History;
  warnings: string[];
  checkpoint: Checkpoint;
  weights: { shape: number[]; values: Float32Array }[];
}

/** What one run trains on: the rows (the first `nTrain` train, the rest validate) and the settings. */
export interface LoopInput {
  name: string;
  spec: ModelSpec;
  features: Features;
  labels: Float32Array;
  options: RunOptions;
  nTrain: number;
  nVal: number;
  /** Continue a finished run of the same settings and fewer epochs (see Checkpoint) instead of starting afresh. */
  resume?: Resume;
}

let lastYield = Date.now();

/**
 * Lets the event loop run (timers, sockets, signals) when `everyMs` have passed since it last did.
 * Training is synchronous work; on the kernel's thread this is what lets a notebook answer
 * heartbeats and interrupts while a run goes on.
 */
async function yieldNow(everyMs = 100): Promise<void> {
  if (Date.now() - lastYield < everyMs) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastYield = Date.now();
}

/** The Dense layers of a Sequential as variables + settings; Dropout rates folded into the layer before. */
export function denseParams(model: tf.Sequential, spec: ModelSpec): DenseParams[] {
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
    params: {
      epochs: options.epochs,
      batchSize: options.batchSize,
      samples,
      validationSamples,
      steps: Math.ceil(samples / options.batchSize),
    },
  };
}

/** A copy of the first `epochs` epochs of a history (callbacks get copies, never the loop's own arrays). */
export function copyHistory(h: History, epochs = h.epoch.length): History {
  const series = Object.fromEntries(Object.entries(h.history).map(([k, v]) => [k, (v as number[]).slice(0, epochs)]));
  return { history: series as History["history"], epoch: h.epoch.slice(0, epochs), params: { ...h.params } };
}

function epochLine(h: History, i: number, seconds: number): string {
  const parts = [`Epoch ${i + 1}/${h.params.epochs}`, `${seconds.toFixed(2)}s`];
  for (const key of ["loss", "accuracy", "val_loss", "val_accuracy"] as const) {
    const series = h.history[key];
    if (series) parts.push(`${key}: ${fixed4(series[i])}`);
  }
  return parts.join(" - ");
}

interface EvalChunk {
  input: InputBatch;
  labels: LabelBatch;
}

/** 16 MB of float32: larger dense validation sets are uploaded chunk by chunk at each evaluation. */
const KEEP_VALIDATION_FLOATS = 12 * 1024 * 1024;

/** Rows per evaluation batch: large (predict/evaluate at Keras's 32 are 6–11× slower on wide input), bounded in memory. */
const EVAL_ROWS = 2048;

/** The number of evaluation chunks of `rows` validation rows (each chunk's sums are one entry of a validation). */
export function validationChunkCount(rows: number): number {
  return Math.ceil(rows / EVAL_ROWS);
}

/**
 * The validation rows in evaluation-sized chunks. Uploaded once per run, at first use, when they
 * are small (the usual case: multi-hot IMDB, MNIST); dense data over KEEP_VALIDATION_FLOATS is
 * uploaded chunk by chunk at each evaluation instead, so a dense IMDB run does not hold 400 MB on
 * the device.
 */
function validationChunks(maker: BatchMaker, labels: Float32Array, spec: ModelSpec, x: Features) {
  const upload = (i: number): EvalChunk => {
    const start = i * EVAL_ROWS;
    const end = Math.min(start + EVAL_ROWS, maker.rows);
    return { input: maker.make(start, end), labels: uploadLabels(labels, spec.loss, spec.output.units, start, end) };
  };
  const free = (c: EvalChunk): void => {
    disposeInputBatch(c.input);
    c.labels.target.dispose();
  };
  const count = validationChunkCount(maker.rows);
  const keep = x.kind === "multihot" || x.rows * x.cols <= KEEP_VALIDATION_FLOATS;
  const kept: (EvalChunk | undefined)[] = new Array(count);
  return {
    count,
    /** f of chunk i (0-based, in row order). */
    with<T>(i: number, f: (c: EvalChunk) => T): T {
      if (keep) return f((kept[i] ??= upload(i)));
      const c = upload(i);
      try {
        return f(c);
      } finally {
        free(c);
      }
    },
    dispose(): void {
      kept.forEach((c) => c && free(c));
    },
  };
}

/**
 * Where a run's computation happens: its steps, and how its validation chunks are evaluated (by
 * default all here, in order; a split run shares them between its two workers, dataParallel.ts).
 * `validate` returns every chunk's sums in chunk order, so the epoch's totals are added in the
 * same order wherever each chunk was evaluated.
 */
export interface LoopPlacement {
  step: StepFn;
  validate?: (chunks: number, evaluate: (chunk: number) => EvalSums) => EvalSums[];
  /** The optimizer state of the whole run, where each worker of a split run holds only its half of it. */
  optimizerState?: (state: Float32Array[]) => Float32Array[];
}

/** How far above its first batch's value the training loss may rise before the run is said to have exploded. */
export const EXPLODED_FACTOR = 1e3;

/** Why a run stopped at a loss that became NaN or infinite (Keras's TerminateOnNaN), and what to try. Epoch and step 0-based. */
export function nonFiniteLossText(
  loss: number,
  epoch: number,
  step: number,
  steps: number,
  learningRate: number,
): string {
  return (
    `the loss became ${loss} at epoch ${epoch + 1}, batch ${step + 1} of ${steps}; training stopped there (as Keras's TerminateOnNaN). ` +
    `Try a lower learning rate (now ${learningRate}) or check the data for NaN/Infinity.`
  );
}

/** The warning for a training loss that exploded: where, how far above the first batch's, and a learning rate to try. */
export function explodedLossText(
  loss: number,
  epoch: number,
  step: number,
  firstLoss: number,
  learningRate: number,
): string {
  const lr = Number.isInteger(learningRate) && learningRate < 1e4 ? learningRate.toFixed(1) : learningRate;
  const lower = learningRate > 0.01 ? "Keras's default 0.001" : learningRate / 10;
  return (
    `the training loss exploded: ${loss.toPrecision(3)} at epoch ${epoch + 1}, batch ${step + 1}, over ${EXPLODED_FACTOR}× its first batch's ${firstLoss.toPrecision(3)}. ` +
    `The learning rate (${lr}) is too high for this model: its steps overshoot the minimum they aim at; try ${lower} or lower.`
  );
}

/** Why early stopping ended a run (epochs 0-based). */
export function earlyStopText(es: EarlyStopping, bestEpoch: number, bestValue: number, restored: boolean): string {
  const head = `${es.monitor} has not improved for ${es.patience} epoch(s) since epoch ${bestEpoch + 1} (${fixed4(bestValue)}): early stopping ended training`;
  return restored ? `${head}; restored the weights of epoch ${bestEpoch + 1}` : head;
}

/**
 * Keras's EarlyStopping callback: after each epoch, the monitored value against the lowest so far;
 * `patience` epochs without a lower one (never after the first epoch) stop the run, and with
 * `restoreBestWeights` the lowest epoch's weights are put back into the layers.
 */
class EarlyStopper {
  private best = { value: Infinity, epoch: -1, weights: undefined as tf.Tensor[] | undefined };
  private wait = 0;

  constructor(
    private readonly es: EarlyStopping,
    private readonly layers: DenseParams[],
  ) {}

  /** After epoch `epoch` (0-based) with the monitored value `current`: why to stop now, or undefined to go on. */
  check(epoch: number, current: number): string | undefined {
    this.wait++;
    if (current < this.best.value) {
      this.wait = 0;
      if (this.best.weights) tf.dispose(this.best.weights);
      const weights = this.es.restoreBestWeights
        ? this.layers.flatMap((l) => [tf.clone(l.kernel), tf.clone(l.bias)])
        : undefined;
      this.best = { value: current, epoch, weights };
    }
    if (this.wait < this.es.patience || epoch === 0) return undefined;
    const weights = this.es.restoreBestWeights ? this.best.weights : undefined;
    if (weights) {
      this.layers.forEach((l, i) => {
        l.kernel.assign(weights[2 * i] as tf.Tensor2D);
        l.bias.assign(weights[2 * i + 1] as tf.Tensor1D);
      });
    }
    return earlyStopText(this.es, this.best.epoch, this.best.value, weights !== undefined);
  }

  dispose(): void {
    if (this.best.weights) tf.dispose(this.best.weights);
  }
}

/** What every epoch's batches use: fixed for the run, except the warnings and the first batch's loss, which the epochs fill in. */
interface EpochContext {
  name: string;
  layers: DenseParams[];
  step: StepFn;
  trainMaker: BatchMaker;
  optimizer: WeightUpdater;
  rng: Rng;
  nTrain: number;
  batchSize: number;
  learningRate: number;
  hooks: LoopHooks;
  warnings: string[];
  firstLoss?: number;
}

/** One epoch's training: the sample-weighted sums over its batches; `stop` when a loss became non-finite (the epoch ends there). */
interface EpochSums {
  loss: number;
  crossentropy: number;
  correct: number;
  seen: number;
  stop?: string;
}

/** Throws the reason `signal` was aborted with (an interrupt), if it was. */
function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}

/**
 * One epoch's body: the training rows reshuffled, one optimizer step per batch, the sums Keras's
 * epoch means are made of; a non-finite loss ends the epoch (TerminateOnNaN), an exploding one is
 * warned about once per run.
 */
async function trainEpoch(c: EpochContext, epoch: number): Promise<EpochSums> {
  const order = permutation(c.nTrain, c.rng);
  const sums: EpochSums = { loss: 0, crossentropy: 0, correct: 0, seen: 0 };
  const nextSeed = (): number => c.rng.nextUint32();
  const steps = Math.ceil(c.nTrain / c.batchSize);
  for (let s = 0; s < steps; s++) {
    await yieldNow();
    checkSignal(c.hooks.signal);
    const start = s * c.batchSize;
    const end = Math.min(start + c.batchSize, c.nTrain);
    const r = c.step(c.layers, { maker: c.trainMaker, start, end, order }, c.optimizer, nextSeed);
    const n = end - start;
    c.hooks.batchEnd?.({ epoch, step: s, rows: order.slice(start, end), loss: r.loss, crossentropy: r.crossentropy });
    sums.loss += r.loss * n;
    sums.crossentropy += r.crossentropy * n;
    sums.correct += r.correct;
    sums.seen += n;
    if (!Number.isFinite(r.loss)) return { ...sums, stop: nonFiniteLossText(r.loss, epoch, s, steps, c.learningRate) };
    c.firstLoss ??= r.loss;
    if (c.warnings.length === 0 && r.loss > EXPLODED_FACTOR * Math.max(c.firstLoss, 1e-3)) {
      const warning = explodedLossText(r.loss, epoch, s, c.firstLoss, c.learningRate);
      c.warnings.push(warning);
      c.hooks.line(`${c.name}: ${warning}`, "warning");
    }
  }
  return sums;
}

/** One epoch's validation sums, its chunks' added in chunk order wherever each was evaluated. */
function validationSums(results: EvalSums[]): { crossentropy: number; correct: number } {
  let crossentropy = 0;
  let correct = 0;
  for (const r of results) {
    crossentropy += r.crossentropySum;
    correct += r.correct;
  }
  return { crossentropy, correct };
}

/** Appends epoch `epoch` to the history: the training means over its batches, validation over its rows (Keras's val_loss adds the penalty). */
function recordEpoch(
  history: History,
  epoch: number,
  train: EpochSums,
  val: { crossentropy: number; correct: number },
  nVal: number,
  penalty: number,
): void {
  const h = history.history;
  h.loss.push(train.loss / train.seen);
  h.accuracy.push(train.correct / train.seen);
  h.val_loss?.push(val.crossentropy / nVal + penalty);
  h.val_accuracy?.push(val.correct / nVal);
  h.crossentropy?.push(train.crossentropy / train.seen);
  h.val_crossentropy?.push(val.crossentropy / nVal);
  history.epoch.push(epoch);
}

/**
 * Trains `layers` (the model's own variables, updated in place) for `options.epochs` epochs or until
 * early stopping, a non-finite loss or `hooks.signal` stops it. Keras semantics: rmsprop with the
 * spec's settings; the training rows reshuffled every epoch from the seed; `loss`/`accuracy` the
 * sample-weighted means over the epoch's batches (with the L1/L2 penalty in `loss`); validation at
 * each epoch's end with dropout off, `val_loss` with the penalty; a NaN or infinite loss stops
 * training (TerminateOnNaN).
 */
export async function fitLoop(
  layers: DenseParams[],
  run: LoopInput,
  hooks: LoopHooks,
  placement?: LoopPlacement,
): Promise<LoopResult> {
  const { name, spec, features, labels, options: opts, nTrain, nVal } = run;
  const loopStarted = Date.now();
  const optimizer = createRmsprop(optimizerSettings(spec));
  const resume = run.resume;
  if (resume) {
    if (!optimizer.restore)
      throw new Error(
        `train: ${name}: this backend's optimizer cannot be restored, so the run cannot be continued (a bug: train only resumes where it can)`,
      );
    optimizer.restore(variablesOf(layers), resume.checkpoint.optimizer);
  }
  // A separate stream from the weights' (buildModel seeds its own): shuffles and dropout seeds.
  const rng: Rng = resume ? rngFromState(resume.checkpoint.rng) : createRng((opts.seed ^ 0x5f3759df) >>> 0);

  const trainMaker = batchMaker(sliceRows(features, 0, nTrain), opts.denseInput);
  const valFeatures = sliceRows(features, nTrain, features.rows);
  const valChunks = validationChunks(
    batchMaker(valFeatures, opts.denseInput),
    labels.subarray(nTrain),
    spec,
    valFeatures,
  );
  const step = placement?.step ?? localStep(labels, spec, opts.parts);
  const evaluate = (chunk: number): EvalSums =>
    valChunks.with(chunk, (c) => evaluateBatch(layers, c.input, c.labels, spec.loss));
  const validate = placement?.validate ?? ((count: number) => Array.from({ length: count }, (_, i) => evaluate(i)));
  const history = resume
    ? { ...copyHistory(resume.history), params: { ...resume.history.params, epochs: opts.epochs } }
    : emptyHistory(spec, opts, nTrain, nVal);
  const context: EpochContext = {
    name,
    layers,
    step,
    trainMaker,
    optimizer,
    rng,
    nTrain,
    batchSize: opts.batchSize,
    learningRate: optimizerSettings(spec).learningRate,
    hooks,
    warnings: [...(resume?.warnings ?? [])],
    firstLoss: resume?.checkpoint.firstLoss,
  };
  const stopper = opts.earlyStopping ? new EarlyStopper(opts.earlyStopping, layers) : undefined;
  let stopReason: string | undefined;
  let stoppedBy: StopCause | undefined;
  let checkpoint: Checkpoint | undefined;

  try {
    for (let epoch = history.epoch.length; epoch < opts.epochs && !stopReason; epoch++) {
      const epochStart = Date.now();
      const train = await trainEpoch(context, epoch);
      if (train.stop) {
        stoppedBy = "non-finite loss";
        stopReason = train.stop;
      }
      // Validation at the epoch's end, dropout off; Keras's val_loss includes the penalty too.
      const val = validationSums(validate(valChunks.count, evaluate));
      const penalty = penaltyValue(layers);
      recordEpoch(history, epoch, train, val, nVal, penalty);
      hooks.line(epochLine(history, epoch, (Date.now() - epochStart) / 1000), "epoch");
      if (stopReason) hooks.line(`${name}: ${stopReason}`, "stop");

      if (stopper && !stopReason) {
        const monitored =
          opts.earlyStopping!.monitor === "val_crossentropy"
            ? val.crossentropy / nVal
            : val.crossentropy / nVal + penalty;
        const reason = stopper.check(epoch, monitored);
        if (reason) {
          stoppedBy = "early stopping";
          stopReason = reason;
          hooks.line(`${name}: ${stopReason}`, "stop");
        }
      }
      await hooks.epochEnd(epoch, history);
      await yieldNow(0);
      checkSignal(hooks.signal);
    }
    // Every worker of a split run gets here together (they stop at the same epoch), as the state's
    // gathering needs. A run with early stopping keeps no checkpoint: its best epoch and patience
    // count would be part of what it is, and it is meant to stop, not to go on.
    if (!stopReason && !opts.earlyStopping && optimizer.state) {
      const own = optimizer.state(variablesOf(layers));
      checkpoint = {
        optimizer: placement?.optimizerState ? placement.optimizerState(own) : own,
        rng: rng.state(),
        firstLoss: context.firstLoss,
      };
    }
  } finally {
    optimizer.dispose();
    stopper?.dispose();
    valChunks.dispose();
  }
  return {
    history,
    stopReason,
    stoppedBy,
    warnings: context.warnings,
    seconds: (Date.now() - loopStarted) / 1000,
    ...(checkpoint ? { checkpoint } : {}),
  };
}
