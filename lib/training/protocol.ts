/**
 * The messages between the training pool (main thread) and its workers. Plain data only: specs,
 * options, histories, typed arrays (weights move back as transferred buffers, data is shared).
 */
import type { ModelSpec } from "../lesson/models";
import type { History } from "../types";
import type { RunData } from "./cache";
import type { SplitConfig } from "./dataParallel";
import type { Resume } from "./loop";
import type { RunOptions } from "./options";
import type { SharedFeatures } from "./shared";

/** Sent once per worker at start (workerData). */
export interface WorkerConfig {
  index: number;
  /** The main thread's backend: the worker starts the same, so numbers match to the last digit. */
  backend: "wasm" | "cpu";
}

export interface TrainJob {
  type: "train";
  job: number;
  name: string;
  spec: ModelSpec;
  options: RunOptions;
  nTrain: number;
  nVal: number;
  /** The data: the full shared form the first time this worker sees it, later only its id. */
  data: SharedFeatures | { id: number };
  labels: Float32Array;
  /** Continue a stored run (loop.ts's Resume, its weights included) instead of starting from the seed's weights. */
  resume?: Resume;
  /** Set for a run over two workers: this worker's half (see dataParallel.ts). */
  split?: SplitConfig;
}

export type ToWorker = TrainJob | { type: "forget"; id: number };

export type FromWorker =
  | { type: "ready" }
  | { type: "line"; job: number; text: string; kind: "epoch" | "stop" | "warning" }
  | { type: "epoch"; job: number; epoch: number; history: History }
  | { type: "done"; job: number; result: RunData }
  | { type: "failed"; job: number; message: string; stack?: string };
