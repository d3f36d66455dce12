/**
 * fitlab's training pool: one worker thread per core, started on first use (nothing at import time),
 * each with its own TensorFlow.js + wasm instance. Runs handed to it train off the calling thread
 * (a notebook kernel stays free to answer heartbeats, stream live figures and take interrupts), and
 * runs started together (`Promise.all`, several seeds) train side by side.
 *
 * Why workers: tfjs-backend-wasm runs one thread per instance under Node, so a single process
 * leaves the second core idle; measured on this 2-core machine, the lesson's 11 runs take 75 s on
 * two workers against about twice that on one thread.
 *
 * Data: each Features object is put in shared memory once (shared.ts) and handed to a worker once;
 * only the labels (≤ 240 kB for MNIST) travel with each job. When a Features object is garbage
 * collected, the workers drop it too. Idle workers do not keep a process alive.
 */
import * as os from "os";
import { isMainThread, Worker } from "worker_threads";
import { countParams, type ModelSpec } from "../lesson/models";
import type { Features, History } from "../types";
import type { RunData } from "./cache";
import { cancelSplit, splitBuffer } from "./dataParallel";
import { copyHistory, validationChunkCount, type Resume } from "./loop";
import type { RunOptions } from "./options";
import type { FromWorker, ToWorker, WorkerConfig } from "./protocol";
import { shareFeatures } from "./shared";
import { workerScript } from "./workerScript";

/** One run for the pool: what the epoch loop needs, on plain data. */
export interface PoolJob {
  name: string;
  spec: ModelSpec;
  options: RunOptions;
  nTrain: number;
  nVal: number;
  features: Features;
  labels: Float32Array;
  /** Continue this stored run (loop.ts's Resume) instead of starting from the seed's weights. */
  resume?: Resume;
  /**
   * Whether a two-part run (options.parts 2) spreads its parts over two workers (dataParallel.ts):
   * "auto" when the pool has a second worker free as it starts (no other run waiting or training);
   * true whenever the pool has two workers; false never. A one-part run always takes one worker.
   * The numbers are the same either way (see steps.ts).
   */
  split: "auto" | boolean;
}

/** A run trained on the pool, and on how many workers. */
export interface PooledRun extends RunData {
  workers: 1 | 2;
}

/** What the calling thread does with a pooled run's progress, in the order the worker sent it. */
export interface PoolHandlers {
  line(text: string, kind: "epoch" | "stop" | "warning"): void;
  /** Awaited before the next message is handled; a throw stops the run (its worker is terminated). */
  epochEnd(epoch: number, history: History): void | Promise<void>;
  /** Aborting it stops the run at once: its worker is terminated and the promise rejects with the reason. */
  signal: AbortSignal;
}

/** The pool cannot run jobs in this process (its workers could not start); `train` falls back to its own thread. */
export class PoolUnavailableError extends Error {}

interface Pending {
  id: number;
  job: PoolJob;
  handlers: PoolHandlers;
  resolve(run: PooledRun): void;
  reject(err: Error): void;
  /** The calling thread's handling of this run's messages, in order. */
  chain: Promise<void>;
  settled: boolean;
  /** The workers running it: one, or two for a split run (the first sends progress and the result). */
  slots: Slot[];
  /** Trainable weights: the gradient floats each worker of a split run shares. */
  weights: number;
  /** The shared buffer of a split run. */
  splitBuffer?: SharedArrayBuffer;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  datasets: Set<number>;
  current?: Pending;
}

/** Workers: `FITLAB_WORKERS` if set (0 turns the pool off), else one per core. */
export function poolSize(): number {
  const env = process.env.FITLAB_WORKERS;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`FITLAB_WORKERS="${env}": it must be an integer ≥ 0 (0 trains on the calling thread).`);
    return n;
  }
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

/** Whether `train` can use the pool here: on the main thread, a backend workers can start (wasm, cpu), at least one worker. */
export function poolUsable(backend: string): boolean {
  return isMainThread && (backend === "wasm" || backend === "cpu") && unavailable === undefined && poolSize() > 0;
}

const slots: Slot[] = [];
const queue: Pending[] = [];
let nextJob = 1;
let nextIndex = 0;
let unavailable: string | undefined;
let poolBackend: "wasm" | "cpu" = "wasm";

/** Tells the workers to drop a dataset whose Features object is gone. */
// (FinalizationRegistry is ES2021; the project compiles against ES2020's library types.)
const Registry = (
  globalThis as unknown as {
    FinalizationRegistry: new (cleanup: (id: number) => void) => { register(target: object, id: number): void };
  }
).FinalizationRegistry;
const forgetter = new Registry((id) => {
  for (const slot of slots) {
    if (slot.datasets.delete(id)) slot.worker.postMessage({ type: "forget", id } satisfies ToWorker);
  }
});
const registered = new WeakSet<Features>();

function settle(p: Pending, outcome: { run: RunData } | { error: Error }): void {
  if (p.settled) return;
  p.settled = true;
  const i = queue.indexOf(p);
  if (i >= 0) queue.splice(i, 1);
  if ("run" in outcome) p.resolve({ ...outcome.run, workers: p.splitBuffer ? 2 : 1 });
  else p.reject(outcome.error);
}

/** Stops a run now: out of the queue, or its worker terminated (a fresh one replaces it when needed). */
function cancel(p: Pending, error: Error): void {
  settle(p, { error });
  if (p.splitBuffer) cancelSplit(p.splitBuffer); // a partner waiting at the barrier stops too
  for (const slot of p.slots) {
    if (slot.current !== p) continue;
    slot.current = undefined;
    removeSlot(slot);
    void slot.worker.terminate();
  }
  pump();
}

function removeSlot(slot: Slot): void {
  const i = slots.indexOf(slot);
  if (i >= 0) slots.splice(i, 1);
}

function onMessage(slot: Slot, message: FromWorker): void {
  if (message.type === "ready") {
    slot.ready = true;
    pump();
    return;
  }
  if (message.type === "failed" && message.job === -1) {
    // The worker's backend did not start: no worker will; run everything on the calling thread.
    unavailable = message.message;
    removeSlot(slot);
    for (const p of [...queue])
      settle(p, { error: new PoolUnavailableError(`training workers cannot start (${message.message})`) });
    return;
  }
  const p = slot.current;
  if (!p || message.job !== p.id) return; // a late message of a cancelled run
  if (slot !== p.slots[0]) {
    // The second worker of a split run: it reports only its end.
    if (message.type === "done") {
      slot.current = undefined;
      pump();
    } else if (message.type === "failed") {
      cancel(p, new Error(message.message));
    }
    return;
  }
  const h = p.handlers;
  switch (message.type) {
    case "line":
      p.chain = p.chain.then(() => h.line(message.text, message.kind));
      break;
    case "epoch":
      p.chain = p.chain.then(() => h.epochEnd(message.epoch, message.history));
      break;
    case "done":
      slot.current = undefined;
      p.chain.then(
        () => settle(p, { run: ownRealm(message.result) }),
        (err: Error) => settle(p, { error: err }),
      );
      pump();
      break;
    case "failed": {
      slot.current = undefined;
      if (p.splitBuffer) cancelSplit(p.splitBuffer); // the other half leaves its barrier and ends too
      const error = new Error(message.message);
      if (message.stack) error.stack = message.stack;
      p.chain.then(
        () => settle(p, { error }),
        () => settle(p, { error }),
      );
      pump();
      break;
    }
  }
  // A callback that throws stops the run: its worker is terminated, the promise rejects with the error.
  p.chain = p.chain.catch((err: Error) => {
    cancel(p, err);
    throw err;
  });
  p.chain.catch(() => undefined);
}

function startWorker(): void {
  const config: WorkerConfig = { index: nextIndex++, backend: poolBackend };
  const worker = new Worker(workerScript(), { workerData: config });
  const slot: Slot = { index: config.index, worker, ready: false, datasets: new Set() };
  slots.push(slot);
  let lastError: Error | undefined;
  worker.on("message", (m: FromWorker) => onMessage(slot, m));
  worker.on("error", (err) => (lastError = err));
  worker.on("exit", (code) => {
    removeSlot(slot);
    const p = slot.current;
    slot.current = undefined;
    if (p && !p.settled) {
      // The worker died mid-run (e.g. out of wasm memory): this run fails with the reason (and
      // the other worker of a split run is stopped); the queue goes on with a fresh worker.
      const why = lastError ? `: ${lastError.message}` : "";
      cancel(p, new Error(`train: ${p.job.name}: the training worker died (exit code ${code})${why}`));
    }
    pump();
  });
}

/**
 * Whether `p`, next in line, should train over two workers (see PoolJob.split). "auto" asks only
 * whether another run needs a worker now, never the machine's load: a split run computes the same
 * numbers as one worker (steps.ts), so only its speed could depend on the load, and the load
 * average lags the minute it would matter.
 */
function wantsSplit(p: Pending): boolean {
  if (p.job.options.parts !== 2 || p.job.split === false || poolSize() < 2) return false;
  if (p.job.split === true) return true;
  return queue.length === 1 && slots.every((s) => !s.current);
}

/** Hands queued runs to idle workers; starts workers (up to poolSize) while runs wait. */
function pump(): void {
  while (queue.length > 0) {
    const p = queue[0];
    const idle = slots.filter((s) => s.ready && !s.current);
    if (wantsSplit(p)) {
      if (idle.length >= 2) {
        queue.shift();
        sendSplit(idle.slice(0, 2), p);
        continue;
      }
      // Wait for a second worker when one can start (or is starting); "auto" does not wait for a busy one.
      while (idle.length + slots.filter((s) => !s.ready).length < 2 && slots.length < poolSize()) startWorker();
      if (idle.length + slots.filter((s) => !s.ready).length >= 2 || p.job.split === true) break;
    }
    if (idle.length === 0) break;
    queue.shift();
    send([idle[0]], p);
  }
  const starting = slots.filter((s) => !s.ready).length;
  let missing = Math.min(queue.length - starting, poolSize() - slots.length);
  while (missing-- > 0) startWorker();
  // Busy workers, and workers starting for waiting runs, keep the process alive; idle ones do not.
  for (const slot of slots) {
    if (slot.current || (!slot.ready && queue.length > 0)) slot.worker.ref();
    else slot.worker.unref();
  }
}

/** Starts a run over two workers (see dataParallel.ts). */
function sendSplit(pair: Slot[], p: Pending): void {
  p.splitBuffer = splitBuffer(p.weights, validationChunkCount(p.job.nVal));
  send(pair, p);
}

function send(pair: Slot[], p: Pending): void {
  const { job } = p;
  const data = shareFeatures(job.features);
  if (!registered.has(job.features)) {
    registered.add(job.features);
    forgetter.register(job.features, data.id);
  }
  p.slots = pair;
  pair.forEach((slot, part) => {
    const first = !slot.datasets.has(data.id);
    slot.datasets.add(data.id);
    slot.current = p;
    slot.worker.ref();
    const message: ToWorker = {
      type: "train",
      job: p.id,
      name: job.name,
      spec: job.spec,
      options: job.options,
      nTrain: job.nTrain,
      nVal: job.nVal,
      data: first ? data : { id: data.id },
      labels: job.labels,
      ...(job.resume ? { resume: job.resume } : {}),
      split: p.splitBuffer
        ? { part: part as 0 | 1, buffer: p.splitBuffer, weights: p.weights, chunks: validationChunkCount(job.nVal) }
        : undefined,
    };
    slot.worker.postMessage(message);
  });
}

/**
 * Trains a run on the pool; resolves when the worker is done and every handler has run. Rejects
 * with the signal's reason when it is aborted, with the handler's error when one throws, and with a
 * `PoolUnavailableError` when no worker can start.
 */
export function trainOnPool(job: PoolJob, handlers: PoolHandlers, backend: "wasm" | "cpu"): Promise<PooledRun> {
  if (unavailable !== undefined)
    return Promise.reject(new PoolUnavailableError(`training workers cannot start (${unavailable})`));
  workerScript(); // fails now, with how to fix it, when the compiled worker is missing or stale
  poolBackend = backend;
  return new Promise<PooledRun>((resolve, reject) => {
    const p: Pending = {
      id: nextJob++,
      job,
      handlers,
      resolve,
      reject,
      chain: Promise.resolve(),
      settled: false,
      slots: [],
      weights: countParams(job.spec, job.features.cols),
    };
    if (handlers.signal.aborted) return reject(handlers.signal.reason as Error);
    handlers.signal.addEventListener("abort", () => cancel(p, handlers.signal.reason as Error), { once: true });
    queue.push(p);
    pump();
  });
}

/**
 * The result with arrays of this realm: messages are deserialized in Node's main context, which is
 * not the caller's under jest's vm sandbox, where `instanceof Float32Array` would then fail.
 */
function ownRealm(run: RunData): RunData {
  return {
    history: copyHistory(run.history),
    weights: run.weights.map((w) => ({
      shape: Array.from(w.shape),
      values: new Float32Array(w.values.buffer, w.values.byteOffset, w.values.length),
    })),
    stopReason: run.stopReason,
    stoppedBy: run.stoppedBy,
    warnings: Array.from(run.warnings),
    seconds: run.seconds,
    ...(run.checkpoint
      ? {
          checkpoint: {
            ...run.checkpoint,
            rng: Array.from(run.checkpoint.rng),
            optimizer: run.checkpoint.optimizer.map((o) => new Float32Array(o.buffer, o.byteOffset, o.length)),
          },
        }
      : {}),
  };
}

/** Workers alive now (started and not yet ended): for tests and the bench. */
export function poolWorkers(): number {
  return slots.length;
}

/** Ends every worker (queued runs are rejected); the next run starts the pool again. */
export async function closePool(): Promise<void> {
  for (const p of [...queue]) settle(p, { error: new Error("train: the training pool was closed") });
  const all = slots.splice(0);
  await Promise.all(all.map((s) => s.worker.terminate()));
}
