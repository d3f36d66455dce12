/**
 * A training pool worker: its own TensorFlow.js and wasm instance (tfjs-backend-wasm runs one
 * thread per instance under Node), the same epoch loop as the main thread, the data read from
 * shared memory. Runs one job at a time; sends each line and each epoch's history as it goes, then
 * the trained weights (transferred, not copied). Started by pool.ts from the compiled dist/ file.
 */
import { parentPort, workerData } from "worker_threads";
import { initBackend } from "../system/backend";
import { patchWasmMatMul } from "../engine/matmulPatch";
import { buildModel } from "../lesson/models";
import type { Features } from "../types";
import { modelWithWeights, weightsOf, type RunData } from "./cache";
import { splitPlacement } from "./dataParallel";
import { denseParams, fitLoop } from "./loop";
import type { FromWorker, ToWorker, TrainJob, WorkerConfig } from "./protocol";
import { featuresFromShared } from "./shared";

const port = parentPort!;
const config = workerData as WorkerConfig;
const datasets = new Map<number, Features>();

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function runJob(job: TrainJob): Promise<void> {
  if ("kind" in job.data) datasets.set(job.data.id, featuresFromShared(job.data));
  const features = datasets.get(job.data.id);
  if (!features)
    throw new Error(`training worker ${config.index}: data ${job.data.id} was never sent to it (a pool bug)`);
  const model = job.resume
    ? modelWithWeights(job.spec, features.cols, job.options.seed, job.resume.weights)
    : buildModel(job.spec, features.cols, { seed: job.options.seed });
  if (!model)
    throw new Error(
      `training worker ${config.index}: the stored weights do not fit ${job.name}'s model (a bug: train checks them)`,
    );
  try {
    const layers = denseParams(model, job.spec);
    const input = {
      name: job.name,
      spec: job.spec,
      features,
      labels: job.labels,
      options: job.options,
      nTrain: job.nTrain,
      nVal: job.nVal,
      resume: job.resume,
    };
    // The second worker of a split run walks the same loop silently: the first reports.
    const reports = !job.split || job.split.part === 0;
    const hooks = {
      line: (text: string, kind: "epoch" | "stop" | "warning"): void => {
        if (reports) send({ type: "line", job: job.job, text, kind });
      },
      epochEnd: (epoch: number, history: RunData["history"]): void => {
        if (reports) send({ type: "epoch", job: job.job, epoch, history });
      },
    };
    const placement = job.split ? splitPlacement(job.split, job.labels, job.spec) : undefined;
    const { history, stopReason, stoppedBy, warnings, seconds, checkpoint } = await fitLoop(
      layers,
      input,
      hooks,
      placement,
    );
    const result: RunData = {
      history,
      stopReason,
      stoppedBy,
      warnings,
      seconds,
      weights: reports ? weightsOf(model) : [],
      ...(reports && checkpoint ? { checkpoint } : {}),
    };
    const buffers = [...result.weights.map((w) => w.values), ...(result.checkpoint?.optimizer ?? [])].map(
      (v) => v.buffer as ArrayBuffer,
    );
    send({ type: "done", job: job.job, result }, buffers);
  } finally {
    model.dispose();
  }
}

async function main(): Promise<void> {
  await initBackend({ backend: config.backend, report: false });
  if (config.backend === "wasm") patchWasmMatMul();
  let queue = Promise.resolve();
  port.on("message", (message: ToWorker) => {
    if (message.type === "forget") {
      datasets.delete(message.id);
      return;
    }
    // One job at a time, in the order sent (the pool sends one only when the last is done).
    queue = queue.then(() =>
      runJob(message).catch((err: Error) =>
        send({ type: "failed", job: message.job, message: err.message ?? String(err), stack: err.stack }),
      ),
    );
  });
  send({ type: "ready" });
}

void main().catch((err: Error) => {
  // The backend could not start here: say why, the pool then trains on its own thread.
  send({ type: "failed", job: -1, message: err.message ?? String(err), stack: err.stack });
  process.exit(1);
});
