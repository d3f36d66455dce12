/**
 * `train(spec | model, x, y, options)`: Keras's `model.fit` for the lesson's models, fast on wasm,
 * off the notebook kernel's thread.
 *
 * Keras semantics kept (training/loop.ts): rmsprop with Keras's defaults; `validationSplit` holds
 * out the LAST fraction of rows, before any shuffling; the training rows are reshuffled every
 * epoch; the reported `loss`/`accuracy` are the sample-weighted means over the epoch's batches
 * (with the L1/L2 penalty in `loss`); validation is evaluated at each epoch's end with dropout off;
 * a NaN or infinite loss stops training (TerminateOnNaN); optional early stopping.
 *
 * The rooms: training/options.ts checks the inputs, training/cache.ts keys, reads and writes the run
 * cache (and finds the stored run a longer one continues), training/loop.ts is the epoch loop,
 * engine/ the computation (sparse first layer, batches built in JavaScript, one-pass RMSprop, the
 * wasm matMul patch), training/pool.ts the worker threads a spec trains on by default.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../system/backend";
import { patchWasmMatMul } from "../engine/matmulPatch";
import { buildModel, type ModelSpec } from "../lesson/models";
import {
  cacheSlot,
  findResumable,
  modelWithWeights,
  readOrClaim,
  replayEpochs,
  weightsOf,
  writeCached,
  type RunData,
} from "../training/cache";
import type { Claim } from "../training/claim";
import { INTERRUPTED_MESSAGE, TrainingInterrupted, interruptedMessage, watchInterrupt } from "../training/interrupt";
import { copyHistory, denseParams, fitLoop, type LoopHooks, type StopCause } from "../training/loop";
import { checkCall, type RunOptions, type TrainOptions } from "../training/options";
import { poolUsable, PoolUnavailableError, trainOnPool, type PooledRun, type PoolJob } from "../training/pool";
import { checkUnchanged } from "../training/shared";
import type { Features, History, RunLike } from "../types";

export type { EarlyStopping, RunOptions, TrainOptions } from "../training/options";
export type { StopCause } from "../training/loop";
export { TRAINER_FORMAT } from "../training/cache";
export { INTERRUPTED_MESSAGE };

export type Placement = "thread" | "worker" | "two workers" | "cache";

/** A finished training run. Dispose its model with `dispose(run)` when no longer needed. */
export interface Run extends RunLike {
  name: string;
  spec: ModelSpec;
  history: History;
  /** The trained model; predicts from dense input [n, inputDim] (multi-hot rows as 0/1). */
  model: tf.Sequential;
  backend: string;
  /** Wall time of this call (training, or loading from the cache; with any wait for a pool worker). */
  seconds: number;
  /** Seconds spent training, on its worker or this thread (no queueing, no loading); 0 from the cache. */
  trainingSeconds: number;
  /**
   * Where it trained: "thread" (the calling thread), "worker" (one pool worker), "two workers"
   * (a two-part run split over two pool workers, see TrainOptions.split), "cache" (not trained:
   * read from the run cache). Only the time depends on it, never a number.
   */
  placement: Placement;
  fromCache: boolean;
  /** Why training ended before `epochs` (NaN loss, early stopping), as a sentence; absent when it ran them all. */
  stopReason?: string;
  /** What ended it, as data: "early stopping" or "non-finite loss"; absent when it ran every epoch. */
  stoppedBy?: StopCause;
  /** What went wrong without stopping training (e.g. "the training loss exploded: …"); empty when nothing did. */
  warnings: string[];
  options: RunOptions;
}

/**
 * How to retrain a cached run, said with the first run this process (a notebook's kernel) loads from
 * the cache: after every training cell it was noise a learner read five times per notebook.
 */
export const CACHE_HINT = "; pass cache: false to retrain";
let cacheHintSaid = false;
function cacheHint(): string {
  if (cacheHintSaid) return "";
  cacheHintSaid = true;
  return CACHE_HINT;
}

/** Frees the run's model (its weight tensors). */
export function dispose(run: Run): void {
  run.model.dispose();
}

/**
 * Trains `model` (a spec, built with seeded glorot-uniform weights; or a tf.Sequential of
 * Dense/Dropout layers, trained in place on this thread) on x [samples, features] and y [samples]
 * as Keras's `fit(x, y, epochs, batch_size, validation_split)` would, and returns the Run.
 * A spec trains on a pool worker unless `thread: "thread"` (see TrainOptions.thread); the result is
 * the same to the last digit. An interrupt (SIGINT) stops the run and rejects with
 * INTERRUPTED_MESSAGE. Tensors: afterwards `tf.memory().numTensors` has grown by the new model's
 * weights only (none when a model was passed); free them with `dispose(run)`.
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
  const { given, input, callbacks, say } = checkCall(model, x, y, options);
  const { name, spec, features, labels, options: runOptions } = input;
  const seconds = (): number => (Date.now() - started) / 1000;
  const finish = (net: tf.Sequential, r: RunData, placement: Placement): Run => ({
    name,
    spec,
    history: r.history,
    model: net,
    backend,
    seconds: seconds(),
    fromCache: placement === "cache",
    placement,
    stopReason: r.stopReason,
    stoppedBy: r.stoppedBy,
    warnings: r.warnings,
    trainingSeconds: r.seconds,
    options: runOptions,
  });

  // The run cache: only seeded runs of a spec (see TrainOptions.cache).
  const cacheDir = typeof options.cache === "object" ? options.cache.dir : undefined;
  const slot =
    options.cache !== false && !given && options.seed !== undefined
      ? cacheSlot(spec, runOptions, features, labels, backend, cacheDir)
      : undefined;
  const interrupt = watchInterrupt();
  let claim: Claim | undefined;
  // Where the run is, for the message of an interrupt: epochs it has, and those of a stored run it continues.
  let epochsDone = 0;
  let storedEpochs = 0;
  try {
    const found =
      slot &&
      (await readOrClaim(
        slot,
        (r) => modelWithWeights(spec, features.cols, runOptions.seed, r.weights),
        interrupt.signal,
        (pid) =>
          say(
            `${name}: waiting for process ${pid}, which is training this same run, to store it in the run cache`,
            "stop",
          ),
      ));
    if (found && "model" in found) {
      say(`${name}: loaded from the run cache (${found.run.history.epoch.length} epochs${cacheHint()})`, "cache");
      await orDispose(found.model, () => replayEpochs(found.run.history, callbacks));
      return finish(found.model, found.run, "cache");
    }
    claim = found?.claim;
    // Trained longer than a stored run of the same settings: go on from where it ended.
    const from = slot ? findResumable(slot, runOptions) : undefined;
    if (from) {
      const done = from.history.epoch.length;
      say(
        `${name}: epochs 1–${done} are the stored ${done}-epoch run's (the numbers training them again would give); training epochs ${done + 1}–${runOptions.epochs}`,
        "cache",
      );
      await replayEpochs({ ...from.history, params: { ...from.history.params, epochs: runOptions.epochs } }, callbacks);
    }
    storedEpochs = epochsDone = from?.history.epoch.length ?? 0;
    const resume = from && {
      history: from.history,
      warnings: from.warnings,
      checkpoint: from.checkpoint,
      weights: from.weights,
    };

    const epochEnd = async (epoch: number, history: History): Promise<void> => {
      epochsDone = history.epoch.length;
      for (const cb of callbacks) await cb(epoch, copyHistory(history), { replayed: false });
    };
    const hooks: LoopHooks = { line: say, epochEnd, signal: interrupt.signal };
    // On the pool by default; on this thread for a given model, when asked, or when workers cannot start.
    const pooled = !given && options.thread !== "thread" && poolUsable(backend);
    if (pooled) checkUnchanged(features);
    const trained = pooled
      ? await trainPooled({ ...input, resume, split: options.split ?? "auto" }, hooks, backend as "wasm" | "cpu")
      : undefined;
    const net = trained
      ? modelWithWeights(spec, features.cols, runOptions.seed, trained.weights)!
      : (given ??
        (resume
          ? modelWithWeights(spec, features.cols, runOptions.seed, resume.weights)!
          : buildModel(spec, features.cols, { seed: runOptions.seed })));
    const result = trained ?? {
      ...(await orDispose(given ? undefined : net, () => fitLoop(denseParams(net, spec), { ...input, resume }, hooks))),
      weights: [],
    };
    if (slot)
      writeCached(
        slot,
        name,
        spec,
        features.cols,
        runOptions,
        backend,
        seconds(),
        trained ?? { ...result, weights: weightsOf(net) },
      );
    return finish(net, result, trained ? (trained.workers === 2 ? "two workers" : "worker") : "thread");
  } catch (error) {
    if (!(error instanceof TrainingInterrupted) || !interrupt.signal.aborted) throw error;
    const stopped = {
      name,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      epochs: epochsDone,
      planned: runOptions.epochs,
      stored: storedEpochs,
    };
    // fitlab's listener has removed itself: one left means a kernel handles SIGINT and lives on.
    const context = { cache: slot !== undefined, kernel: process.listenerCount("SIGINT") > 0 };
    throw new TrainingInterrupted(interruptedMessage(name, [stopped], [], context), [stopped], context);
  } finally {
    claim?.release();
    interrupt.done();
  }
}

/** Runs `work`; on failure frees `model` (a failing callback must not leave an unreachable model behind). */
async function orDispose<T>(model: tf.Sequential | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    model?.dispose();
    throw err;
  }
}

let fellBack = false;

/** Trains on the pool; undefined when the pool cannot start workers here (then the caller trains on its own thread). */
async function trainPooled(job: PoolJob, hooks: LoopHooks, backend: "wasm" | "cpu"): Promise<PooledRun | undefined> {
  try {
    return await trainOnPool(job, { line: hooks.line, epochEnd: hooks.epochEnd, signal: hooks.signal! }, backend);
  } catch (err) {
    if (!(err instanceof PoolUnavailableError)) throw err;
    if (!fellBack) console.warn(`fitlab: ${err.message}; training on the calling thread instead.`);
    fellBack = true;
    return undefined;
  }
}
