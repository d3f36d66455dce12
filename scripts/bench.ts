/**
 * `npm run bench [-- --quick] [-- --workers N] [-- --runs imdb.original,mnist.small] [-- --no-dense]`
 *
 * Trains every run of the lesson as the article does (MNIST: 60,000 images, batch 128, validation
 * split 0.2; IMDB: the 25,000 training reviews as 10,000-word multi-hot rows, batch 512, split 0.4;
 * 20 epochs, seed 1, cache off) and prints per run the seconds per epoch and in total, the wall time
 * of the whole lesson, the peak memory, and the time of imdb.original on dense input against the
 * sparse path. `--quick` trains 3 epochs (about a minute).
 *
 * The runs are independent, so they are spread over worker threads, each with its own TensorFlow.js
 * and wasm instance (tfjs-backend-wasm runs one thread per instance under Node, so a single process
 * leaves the second core idle). Longest runs are handed out first.
 */
import * as os from "os";
import { isMainThread, parentPort, Worker, workerData } from "worker_threads";
import { initBackend } from "../lib/backend";
import { loadData as loadImdb } from "../lib/data/imdb";
import { loadArrays } from "../lib/data/mnist";
import { flattenImages, toDenseMatrix, vectorizeSequences } from "../lib/data/vectorize";
import { getVariant, VariantName } from "../lib/models";
import { dispose, train } from "../lib/train";
import { lessonSettings } from "../lib/settings";
import type { Features, MultiHotMatrix } from "../lib/types";

type Dataset = "mnist" | "imdb";

interface Job {
  id: number;
  variant: VariantName;
  dataset: Dataset;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  /** Feed IMDB as a dense 0/1 matrix instead of multi-hot rows (the comparison run). */
  dense?: boolean;
  /** Use only the first rows of the data (the dense comparison in --quick). */
  rows?: number;
}

interface JobResult {
  id: number;
  seconds: number;
  epochsRun: number;
  secondsPerEpoch: number;
  minValLoss: number;
  bestEpoch: number;
  finalValAccuracy: number;
  dataSeconds: number;
  worker: number;
  maxRssMb: number;
  error?: string;
}

const LESSON: { variant: VariantName; dataset: Dataset; weight: number }[] = [
  // weight: rough relative cost, to hand out the longest runs first.
  { variant: "imdb.larger", dataset: "imdb", weight: 100 },
  { variant: "mnist.large", dataset: "mnist", weight: 50 },
  { variant: "mnist.small", dataset: "mnist", weight: 20 },
  { variant: "imdb.original", dataset: "imdb", weight: 5 },
  { variant: "imdb.l2", dataset: "imdb", weight: 5 },
  { variant: "imdb.l1", dataset: "imdb", weight: 5 },
  { variant: "imdb.l1l2", dataset: "imdb", weight: 5 },
  { variant: "imdb.dropout", dataset: "imdb", weight: 5 },
  { variant: "imdb.l2dropout", dataset: "imdb", weight: 5 },
  { variant: "imdb.tiny", dataset: "imdb", weight: 4 },
  { variant: "imdb.smaller", dataset: "imdb", weight: 4 },
];

// ---------------------------------------------------------------------------------------------
// Worker side: loads each dataset once, trains the jobs it is sent.

const loaded: Partial<Record<Dataset, { x: Features; y: ArrayLike<number>; seconds: number }>> = {};

async function dataFor(dataset: Dataset): Promise<{ x: Features; y: ArrayLike<number>; seconds: number }> {
  const cached = loaded[dataset];
  if (cached) return { ...cached, seconds: 0 };
  const started = Date.now();
  let data: { x: Features; y: ArrayLike<number> };
  if (dataset === "mnist") {
    const { train: t } = loadArrays();
    data = { x: flattenImages(t), y: t.labels };
  } else {
    const numWords = lessonSettings.imdbNumWords;
    const [[sequences, labels]] = await loadImdb({ numWords, log: () => undefined });
    data = { x: vectorizeSequences(sequences, numWords), y: labels };
  }
  const entry = { ...data, seconds: (Date.now() - started) / 1000 };
  loaded[dataset] = entry;
  return entry;
}

function firstRows(x: Features, y: ArrayLike<number>, rows: number | undefined): { x: Features; y: ArrayLike<number> } {
  if (rows === undefined || rows >= x.rows) return { x, y };
  const ys = Array.from(y).slice(0, rows);
  if (x.kind === "multihot") return { x: { ...x, rows, ids: x.ids.slice(0, rows) } as MultiHotMatrix, y: ys };
  return { x: { ...x, rows, data: x.data.subarray(0, rows * x.cols) }, y: ys };
}

async function runJob(job: Job, worker: number): Promise<JobResult> {
  const data = await dataFor(job.dataset);
  let { x, y } = firstRows(data.x, data.y, job.rows);
  if (job.dense) x = toDenseMatrix(x);
  const run = await train(getVariant(job.variant), x, y, {
    epochs: job.epochs,
    batchSize: job.batchSize,
    validationSplit: job.validationSplit,
    seed: 1,
    cache: false,
    verbose: 0,
  });
  const h = run.history.history;
  const valLoss = h.val_loss ?? [];
  const valAccuracy = h.val_accuracy ?? [];
  const minValLoss = Math.min(...valLoss);
  const result: JobResult = {
    id: job.id,
    seconds: run.seconds,
    epochsRun: h.loss.length,
    secondsPerEpoch: run.seconds / h.loss.length,
    minValLoss,
    bestEpoch: valLoss.indexOf(minValLoss) + 1,
    finalValAccuracy: valAccuracy[valAccuracy.length - 1],
    dataSeconds: data.seconds,
    worker,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  dispose(run);
  return result;
}

async function workerMain(): Promise<void> {
  await initBackend({ report: false });
  const index = (workerData as { index: number }).index;
  parentPort!.on("message", async (job: Job | null) => {
    if (job === null) {
      process.exit(0);
    }
    try {
      parentPort!.postMessage(await runJob(job, index));
    } catch (err) {
      parentPort!.postMessage({ id: job.id, worker: index, error: (err as Error).stack ?? String(err) } as JobResult);
    }
  });
  parentPort!.postMessage("ready");
}

// ---------------------------------------------------------------------------------------------
// Main side: schedule, time, report.

function parseArgs(argv: string[]): { quick: boolean; workers: number; runs?: VariantName[]; dense: boolean } {
  const args = { quick: false, workers: Math.min(2, os.cpus().length), runs: undefined as VariantName[] | undefined, dense: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") args.quick = true;
    else if (a === "--no-dense") args.dense = false;
    else if (a === "--workers") args.workers = Number(argv[++i]);
    else if (a === "--runs") args.runs = argv[++i].split(",") as VariantName[];
    else throw new Error(`bench: unknown argument ${a}. Use --quick, --workers N, --runs a,b, --no-dense.`);
  }
  if (!Number.isInteger(args.workers) || args.workers < 1) throw new Error(`bench: --workers must be an integer ≥ 1, got ${args.workers}.`);
  args.runs?.forEach((r) => getVariant(r));
  return args;
}

/** A result that carries only a failure (the run did not finish). */
function failed(job: Job, worker: number, error: string): JobResult {
  return { id: job.id, worker, error, seconds: NaN, epochsRun: 0, secondsPerEpoch: NaN, minValLoss: NaN, bestEpoch: 0, finalValAccuracy: NaN, dataSeconds: 0, maxRssMb: NaN };
}

/**
 * Runs the jobs on `count` worker threads, longest first; resolves with exactly one result per job,
 * in the order of `jobs` (a failed run has `error` set).
 *
 * A worker can die mid-run (an uncaught error, or the wasm instance running out of memory aborts
 * the thread): its run then fails with the reason, and a fresh worker takes its place for the rest
 * of the queue (the killing run is not retried, so this ends). A worker that dies before it is ready
 * (the backend cannot start) is not replaced: if none is left, the runs still queued fail with why.
 */
async function runOnWorkers(jobs: Job[], count: number, onResult: (r: JobResult, job: Job) => void): Promise<JobResult[]> {
  const queue = [...jobs];
  const results = new Map<number, JobResult>();
  let alive = 0;
  let nextIndex = 0;
  let finish!: () => void;
  const allDone = new Promise<void>((resolve) => (finish = resolve));

  const record = (result: JobResult, job: Job): void => {
    results.set(job.id, result);
    onResult(result, job);
  };
  const checkDone = (): void => {
    if (alive === 0) finish();
  };

  const startWorker = (): void => {
    const index = nextIndex++;
    const worker = new Worker(__filename, { workerData: { index } });
    alive += 1;
    let current: Job | undefined;
    let ready = false;
    let lastError: Error | undefined;

    const next = (): void => {
      current = queue.shift();
      worker.postMessage(current ?? null); // null: nothing left, the worker exits
    };
    worker.on("message", (msg: JobResult | "ready") => {
      if (msg === "ready") ready = true;
      else if (current && msg.id === current.id) record(msg, current);
      next();
    });
    // An uncaught error (e.g. "RangeError: WebAssembly.Memory(): could not allocate memory"); the
    // thread then exits and "exit" below reports it with the run it was on.
    worker.on("error", (error) => (lastError = error));
    worker.on("exit", (code) => {
      alive -= 1;
      const why = `worker ${index} died (exit code ${code})${lastError ? `: ${lastError.stack ?? lastError.message}` : ""}`;
      if (current) {
        record(failed(current, index, `${why}\nwhile training ${current.variant}; the run was not retried`), current);
        current = undefined;
        if (queue.length > 0) startWorker();
      } else if (!ready && alive === 0) {
        for (const job of queue.splice(0)) record(failed(job, index, `not run: no worker left (${why})`), job);
      }
      checkDone();
    });
  };

  for (let i = 0; i < Math.min(count, jobs.length); i++) startWorker();
  await allDone;
  // Every job has a result: each was either answered, failed by its worker's death, or failed
  // above because no worker was left; this guards against a path that was missed.
  return jobs.map((job) => results.get(job.id) ?? failed(job, -1, "not run: the bench lost track of this run"));
}

const mb = (bytes: number): string => `${Math.round(bytes)} MB`;

/** 0 when every run finished, 1 when any failed (they are listed at the end). */
async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const epochs = args.quick ? 3 : lessonSettings.mnist.epochs;
  const lesson = LESSON.filter((r) => !args.runs || args.runs.includes(r.variant));
  const jobs: Job[] = lesson.map((r, id) => ({ id, variant: r.variant, dataset: r.dataset, ...lessonSettings[r.dataset], epochs }));
  const load = os.loadavg().map((v) => v.toFixed(2)).join(", ");
  console.log(`fitlab bench${args.quick ? " --quick" : ""}: ${jobs.length} runs × ${epochs} epochs on ${args.workers} worker thread(s)`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}, load average at start ${load}`);
  // Make sure the IMDB token cache exists before the workers race to build it.
  if (lesson.some((r) => r.dataset === "imdb")) await loadImdb({ numWords: lessonSettings.imdbNumWords, log: (l) => console.log(`  ${l}`) });

  const started = Date.now();
  const failures: string[] = [];
  const results = await runOnWorkers(jobs, args.workers, (r, job) => {
    if (r.error) failures.push(job.variant);
    if (r.error) console.log(`  ${job.variant}: FAILED\n${r.error}`);
    else console.log(`  done ${job.variant.padEnd(15)} ${r.seconds.toFixed(1).padStart(6)} s (worker ${r.worker})`);
  });
  const wall = (Date.now() - started) / 1000;
  const lessonPeak = process.resourceUsage().maxRSS / 1024;

  console.log("");
  console.log("run              batch  epochs   s/epoch   total s   min val_loss (epoch)   final val_acc");
  for (const job of jobs) {
    const r = results.find((x) => x.id === job.id)!;
    if (r.error) {
      console.log(`${job.variant.padEnd(16)} FAILED (see above)`);
      continue;
    }
    console.log(
      `${job.variant.padEnd(16)} ${String(job.batchSize).padStart(5)} ${String(r.epochsRun).padStart(7)} ${r.secondsPerEpoch.toFixed(3).padStart(9)} ${r.seconds.toFixed(1).padStart(9)}   ${r.minValLoss.toFixed(4)} (${String(r.bestEpoch).padStart(2)})          ${r.finalValAccuracy.toFixed(4)}`,
    );
  }
  const finished = results.filter((r) => !r.error);
  const trainSeconds = finished.reduce((s, r) => s + r.seconds, 0);
  const dataSeconds = finished.reduce((s, r) => s + r.dataSeconds, 0);
  console.log("");
  console.log(`whole lesson: ${wall.toFixed(1)} s wall clock on ${args.workers} worker(s) (sum of training times ${trainSeconds.toFixed(1)} s; data loading inside workers ${dataSeconds.toFixed(1)} s)`);
  console.log(`peak memory (RSS of the whole process, all workers): ${mb(lessonPeak)}`);

  if (args.dense && (!args.runs || args.runs.includes("imdb.original"))) {
    // Dense input: the article's 25,000 × 10,000 float32 matrix (1 GB), JS-built batches and the
    // patched matMul. Too slow to train 20 epochs in a bench: a few epochs, extrapolated.
    const denseEpochs = args.quick ? 1 : 2;
    const rows = args.quick ? 5000 : undefined;
    const base = { variant: "imdb.original" as VariantName, dataset: "imdb" as Dataset, ...lessonSettings.imdb, epochs: denseEpochs, rows };
    console.log("");
    console.log(`imdb.original, dense vs sparse input: ${denseEpochs} epoch(s) on ${rows ?? 25000} reviews each, extrapolated to 20 epochs`);
    const [sparse] = await runOnWorkers([{ id: 100, ...base }], 1, () => undefined);
    const [dense] = await runOnWorkers([{ id: 101, ...base, dense: true }], 1, () => undefined);
    for (const [label, r] of [
      ["sparse (multi-hot rows)", sparse],
      ["dense (0/1 matrix)", dense],
    ] as const) {
      if (r.error) failures.push(`imdb.original ${label}`);
      if (r.error) console.log(`  ${label}: FAILED\n${r.error}`);
      else console.log(`  ${label.padEnd(24)} ${r.secondsPerEpoch.toFixed(3)} s/epoch → ${(r.secondsPerEpoch * 20).toFixed(1)} s for 20 epochs (extrapolated)`);
    }
    if (!sparse.error && !dense.error) console.log(`  sparse is ${(dense.secondsPerEpoch / sparse.secondsPerEpoch).toFixed(1)}× faster`);
    console.log(`  peak memory including the dense run: ${mb(process.resourceUsage().maxRSS / 1024)}`);
  }
  console.log(`load average at end: ${os.loadavg().map((v) => v.toFixed(2)).join(", ")} (other processes share these cores: compare ratios)`);
  if (failures.length > 0) {
    console.error(`\nbench: ${failures.length} run(s) failed: ${failures.join(", ")} (their timings above are missing)`);
    return 1;
  }
  return 0;
}

if (isMainThread) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  void workerMain();
}
