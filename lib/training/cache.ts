/**
 * `train`'s side of the run cache: the key of a run (everything that determines its numbers), a
 * stored run turned back into a model with its history, and a finished run stored. Only seeded
 * runs of a spec are cached (see TrainOptions.cache).
 */
import { createHash } from "crypto";
import * as tf from "@tensorflow/tfjs";
import { buildModel, optimizerSettings, type ModelSpec } from "../lesson/models";
import { projectVersion } from "../system/project";
import {
  defaultRunsDir,
  fingerprint,
  readRun,
  runKey,
  warnCacheFault,
  writeRun,
  type CacheEntry,
} from "../runs/runCache";
import { isRngState } from "../system/random";
import { claimRun, type Claim } from "./claim";
import type { EpochCallback, Features, History } from "../types";
import { copyHistory, type Checkpoint, type LoopResult, type StopCause } from "./loop";
import { isImmutableCopy, type RunOptions } from "./options";

/**
 * Part of every cache key. Bump it whenever training changes what a run computes (its numbers), so
 * stored runs from the older trainer are retrained instead of served.
 */
export const TRAINER_FORMAT = 1;

/** A spec with every default written out, so `{}` and `{ learningRate: 0.001 }` share a cache key. */
export function normalizedSpec(spec: ModelSpec, inputDim: number): ModelSpec {
  return {
    name: spec.name,
    inputDim,
    hidden: spec.hidden.map((l) => ({
      units: l.units,
      activation: l.activation ?? "relu",
      l1: l.l1 ?? 0,
      l2: l.l2 ?? 0,
      dropout: l.dropout ?? 0,
    })),
    output: { ...spec.output },
    loss: spec.loss,
    optimizer: optimizerSettings(spec),
  };
}

/** Fingerprints of immutable features (fitlab's copies of tensors), per labels' sha1. */
const knownFingerprints = new WeakMap<Features, Map<string, string>>();

/**
 * `fingerprint(features, labels)`, computed once per tensor and labels: hashing MNIST's 188 MB took
 * 170–470 ms, paid by every seed of every cached run before (3 seeds of a cached MNIST run: 0.5 s
 * of hashing). Only for features `isImmutableCopy` vouches for: a matrix the caller passed in could
 * be edited in place between runs, so it is hashed every time.
 */
function dataFingerprint(features: Features, labels: Float32Array): string {
  if (!isImmutableCopy(features)) return fingerprint(features, labels);
  const labelsKey = createHash("sha1")
    .update(Buffer.from(labels.buffer, labels.byteOffset, labels.byteLength))
    .digest("hex");
  let known = knownFingerprints.get(features);
  if (!known) knownFingerprints.set(features, (known = new Map()));
  let print = known.get(labelsKey);
  if (print === undefined) known.set(labelsKey, (print = fingerprint(features, labels)));
  return print;
}

/** Where and under which key a run is cached. */
export interface CacheSlot {
  key: string;
  dir?: string;
  /** The slot of the same run trained for `epochs` epochs instead (its first epochs are this run's). */
  withEpochs(epochs: number): CacheSlot;
}

/** The slot of a run with these inputs. */
export function cacheSlot(
  spec: ModelSpec,
  options: RunOptions,
  features: Features,
  labels: Float32Array,
  backend: string,
  dir: string | undefined,
): CacheSlot {
  // `parts` is in the key only when 2: a one-part run computes what every run computed before
  // parts existed, so its stored runs stay valid. Where a run trained (`split`) is never in it.
  const { parts, ...rest } = options;
  const fixed = {
    spec: normalizedSpec(spec, features.cols),
    data: dataFingerprint(features, labels),
    backend,
    version: projectVersion(),
    trainer: TRAINER_FORMAT,
  };
  const slotFor = (epochs: number): CacheSlot => ({
    key: runKey({
      ...fixed,
      options: { ...rest, epochs, earlyStopping: options.earlyStopping ?? null, ...(parts === 2 ? { parts } : {}) },
    }),
    dir,
    withEpochs: slotFor,
  });
  return slotFor(options.epochs);
}

/**
 * The stored run this one can continue (see loop.ts's Checkpoint): the same run with the most
 * epochs below `options.epochs` that ran them all and kept its checkpoint. Never for early stopping
 * (such a run keeps none). E.g. notebook 1's "train longer" (40 epochs) goes on from the 20-epoch
 * run the notebook trained just before, so only epochs 21–40 are trained.
 */
export function findResumable(
  slot: CacheSlot,
  options: RunOptions,
): (RunData & { checkpoint: Checkpoint }) | undefined {
  if (options.earlyStopping) return undefined;
  for (let epochs = options.epochs - 1; epochs >= 1; epochs--) {
    const run = readCached(slot.withEpochs(epochs));
    if (run?.checkpoint && run.stopReason === undefined && run.history.epoch.length === epochs)
      return run as RunData & { checkpoint: Checkpoint };
  }
  return undefined;
}

/**
 * A finished run as plain data, no tensors: what the epoch loop returns (loop.ts's LoopResult: history,
 * stop cause, warnings, seconds of training, 0 for a run read from the cache, and its checkpoint) and
 * the trained weights. The cache stores it, a pool worker sends it back, `train` makes a Run of it.
 */
export interface RunData extends LoopResult {
  /** The trained weights in `model.getWeights()` order. */
  weights: { shape: number[]; values: Float32Array }[];
}

/** Weight names in the cache: the model's, then the optimizer state's of a checkpoint. */
const WEIGHT = "weight_";
const OPTIMIZER = "optimizer_";

/**
 * A stored run's stop cause. Entries written before it was stored as data have only the sentence,
 * which then began "early stopping" for early stopping and "the loss became" for a non-finite loss.
 */
function stopCauseOf(meta: Record<string, unknown>): StopCause | undefined {
  if (meta.stoppedBy === "early stopping" || meta.stoppedBy === "non-finite loss") return meta.stoppedBy;
  if (typeof meta.stopReason !== "string") return undefined;
  return meta.stopReason.startsWith("early stopping") ? "early stopping" : "non-finite loss";
}

/** A model of `spec` holding `weights`, or undefined when their shapes do not fit the spec. */
export function modelWithWeights(
  spec: ModelSpec,
  inputDim: number,
  seed: number,
  weights: RunData["weights"],
): tf.Sequential | undefined {
  const model = buildModel(spec, inputDim, { seed });
  const current = model.getWeights();
  const fits = weights.length === current.length && weights.every((w, i) => w.shape.join() === current[i].shape.join());
  if (!fits) {
    model.dispose();
    return undefined;
  }
  const values = weights.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(values);
  tf.dispose(values);
  return model;
}

/** The stored run in `slot` as plain data, or undefined (none, or unreadable: see runCache.ts). */
export function readCached(slot: CacheSlot): RunData | undefined {
  const cached = readRun(slot.key, { dir: slot.dir });
  if (!cached) return undefined;
  const meta = cached.meta;
  const weights = cached.weights.filter((w) => w.name.startsWith(WEIGHT));
  const optimizer = cached.weights.filter((w) => w.name.startsWith(OPTIMIZER)).map((w) => w.values);
  const saved = meta.checkpoint as { rng?: unknown; firstLoss?: unknown } | null | undefined;
  const rng = saved && isRngState(saved.rng) ? saved.rng : undefined;
  // A checkpoint holds one optimizer array per weight, each of its weight's size.
  const whole =
    rng !== undefined &&
    optimizer.length === weights.length &&
    optimizer.every((o, i) => o.length === weights[i].values.length);
  return {
    history: cached.history,
    weights,
    stopReason: typeof meta.stopReason === "string" ? meta.stopReason : undefined,
    stoppedBy: stopCauseOf(meta),
    warnings: Array.isArray(meta.warnings) ? meta.warnings.filter((w): w is string => typeof w === "string") : [],
    seconds: 0,
    ...(whole
      ? {
          checkpoint: {
            optimizer,
            rng,
            ...(typeof saved!.firstLoss === "number" ? { firstLoss: saved!.firstLoss } : {}),
          },
        }
      : {}),
  };
}

/**
 * The stored run in `slot` with its model (`load` builds it; undefined when the weights do not fit),
 * or, on a miss, the claim to train it (training/claim.ts): when another trainer holds that claim,
 * waits for it (calling `waiting` once with its process id), then reads again.
 */
export async function readOrClaim(
  slot: CacheSlot,
  load: (run: RunData) => tf.Sequential | undefined,
  signal: AbortSignal,
  waiting: (pid: number) => void,
): Promise<{ run: RunData; model: tf.Sequential } | { claim: Claim }> {
  for (;;) {
    const run = readCached(slot);
    const model = run && load(run);
    if (run && model) return { run, model };
    const claimed = await claimRun(slot.dir ?? defaultRunsDir(), slot.key, { signal, waiting });
    if (claimed !== "stored") return { claim: claimed };
  }
}

/** Calls each callback for every epoch of a stored history, in order, as training would have. */
export async function replayEpochs(history: History, callbacks: EpochCallback[]): Promise<void> {
  for (let epoch = 0; epoch < history.epoch.length; epoch++) {
    for (const cb of callbacks) await cb(epoch, copyHistory(history, epoch + 1), { replayed: true });
  }
}

/**
 * Stores a finished run. A finished run matters more than its cache entry: a full disk or a
 * read-only data/ only warns.
 */
export function writeCached(
  slot: CacheSlot,
  name: string,
  spec: ModelSpec,
  inputDim: number,
  options: RunOptions,
  backend: string,
  seconds: number,
  run: RunData,
): void {
  try {
    const entry: CacheEntry = {
      key: slot.key,
      name,
      history: run.history,
      weights: [
        ...run.weights.map((w, i) => ({ name: `${WEIGHT}${i}`, shape: w.shape.slice(), values: w.values })),
        ...(run.checkpoint?.optimizer ?? []).map((values, i) => ({
          name: `${OPTIMIZER}${i}`,
          shape: [values.length],
          values,
        })),
      ],
      meta: {
        spec: normalizedSpec(spec, inputDim) as unknown as Record<string, unknown>,
        options: { ...options },
        backend,
        seconds,
        stopReason: run.stopReason ?? null,
        stoppedBy: run.stoppedBy ?? null,
        warnings: run.warnings,
        checkpoint: run.checkpoint
          ? {
              rng: run.checkpoint.rng,
              ...(run.checkpoint.firstLoss !== undefined ? { firstLoss: run.checkpoint.firstLoss } : {}),
            }
          : null,
      },
    };
    writeRun(entry, { dir: slot.dir });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A folder the cache cannot use (a file, read-only, full) is said once, not after every run.
    if (code && code !== "ENOENT") warnCacheFault(slot.dir ?? defaultRunsDir(), err);
    else
      console.warn(
        `fitlab: ${name}: trained, but could not store it in the run cache (${(err as Error).message}); it will train again next time.`,
      );
  }
}

/** The weights of a model as plain data (copies), in `getWeights()` order. */
export function weightsOf(model: tf.LayersModel): RunData["weights"] {
  return model
    .getWeights()
    .map((w) => ({ shape: w.shape.slice(), values: Float32Array.from(w.dataSync() as Float32Array) }));
}
