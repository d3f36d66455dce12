/**
 * `npm run bench [-- --quick] [-- --alone] [-- --backend wasm|tensorflow|cpu] [-- --runs imdb.original,mnist.small] [-- --split auto|true|false] [-- --parts 1|2] [-- --no-dense]`
 *
 * Trains every run of the lesson as the article does (MNIST: 60,000 images, batch 128, validation
 * split 0.2; IMDB: the 25,000 training reviews as 10,000-word multi-hot rows, batch 512, split 0.4;
 * 20 epochs, seed 1, cache off) the way a notebook does: `train` from the main thread, on
 * fitlab's training pool (one worker per core, data in shared memory). `--split` says where a
 * two-part run (mnist.large) trains, as TrainOptions.split: auto (default, both workers when no
 * other run needs one), true (both workers), false (one worker); the numbers are the same, only
 * the time differs. `--parts 1|2` forces every run's parts (TrainOptions.parts), e.g. `--parts 1`
 * to time mnist.large as one part (other numbers). Prints per run where it trained, the seconds per epoch, the wall time of the whole
 * lesson, the peak memory, the machine's load, and imdb.original on dense input against the sparse
 * path. `--quick`: 3 epochs. `--alone`: each run by itself, one after another (what one notebook
 * cell waits for; compare with PyTorch per run), instead of all together (the whole lesson).
 * `--peer keras`: then trains the same runs in Keras itself (reference/keras/lesson.py under the
 * project's .venv Python, 2 threads, seed 1, one run at a time, in the same sitting, on fitlab's
 * exported arrays) and prints each run's seconds per epoch for both and the ratio.
 * `--backend`: as FITLAB_BACKEND (native TensorFlow trains on the main thread: see training/pool.ts).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BACKENDS, initBackend, type BackendName } from "../lib/system/backend";
import { loadData as loadImdb } from "../lib/data/imdb";
import { loadArrays } from "../lib/data/mnist";
import { flattenImages, toDenseMatrix, vectorizeSequences } from "../lib/data/vectorize";
import { countParams, getVariant, VariantName } from "../lib/lesson/models";
import { dispose, train, type Run } from "../lib/runs/train";
import { splitRows } from "../lib/training/options";
import { poolSize } from "../lib/training/pool";
import { gradientParts } from "../lib/training/steps";
import { lessonSettings } from "../lib/lesson/settings";
import type { Features } from "../lib/types";
import { projectRoot } from "../lib/system/project";
import { defaultExportDir, exportLessonArrays } from "./kerasExport";

type Dataset = "mnist" | "imdb";

/** The lesson's runs, longest first (the pool takes them in this order). */
const LESSON: { variant: VariantName; dataset: Dataset }[] = [
  { variant: "imdb.larger", dataset: "imdb" },
  { variant: "mnist.large", dataset: "mnist" },
  { variant: "mnist.small", dataset: "mnist" },
  { variant: "imdb.original", dataset: "imdb" },
  { variant: "imdb.l2", dataset: "imdb" },
  { variant: "imdb.l1", dataset: "imdb" },
  { variant: "imdb.l1l2", dataset: "imdb" },
  { variant: "imdb.dropout", dataset: "imdb" },
  { variant: "imdb.l2dropout", dataset: "imdb" },
  { variant: "imdb.tiny", dataset: "imdb" },
  { variant: "imdb.smaller", dataset: "imdb" },
];

/** The article's batch sizes and validation splits (lib/lesson/settings). */
const SETTINGS: Record<Dataset, { batchSize: number; validationSplit: number }> = lessonSettings;

interface Args {
  quick: boolean;
  alone: boolean;
  runs?: VariantName[];
  split: "auto" | boolean;
  parts?: 1 | 2;
  dense: boolean;
  peer?: "keras";
  backend?: BackendName;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, alone: false, split: "auto", dense: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") args.quick = true;
    else if (a === "--alone") args.alone = true;
    else if (a === "--no-dense") args.dense = false;
    else if (a === "--backend") {
      const v = argv[++i];
      if (!(BACKENDS as readonly string[]).includes(v))
        throw new Error(`bench: --backend ${v}: use one of ${BACKENDS.join(", ")}.`);
      args.backend = v as BackendName;
    } else if (a === "--runs") args.runs = argv[++i].split(",") as VariantName[];
    else if (a === "--split") {
      const v = argv[++i];
      if (v !== "auto" && v !== "true" && v !== "false")
        throw new Error(`bench: --split ${v}: use auto, true or false.`);
      args.split = v === "auto" ? "auto" : v === "true";
    } else if (a === "--parts") {
      const v = argv[++i];
      if (v !== "1" && v !== "2") throw new Error(`bench: --parts ${v}: use 1 or 2.`);
      args.parts = v === "1" ? 1 : 2;
    } else if (a === "--peer") {
      const v = argv[++i];
      if (v !== "keras")
        throw new Error(
          `bench: --peer ${String(v)}: the peer is keras (reference/keras/, run by the project's .venv Python).`,
        );
      args.peer = v;
    } else
      throw new Error(
        `bench: unknown argument ${a}. Use --quick, --alone, --backend name, --runs a,b, --split auto|true|false, --parts 1|2, --no-dense, --peer keras.`,
      );
  }
  args.runs?.forEach((r) => getVariant(r));
  return args;
}

const load = (): string =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(", ");
const peakMb = (): number => process.resourceUsage().maxRSS / 1024;

/** A run and its training time (measured where it trained: no queueing, no worker start). */
interface Timed {
  variant: VariantName;
  run: Run;
  secondsPerEpoch: number;
  seconds: number;
}

async function timedRun(
  variant: VariantName,
  x: Features,
  y: ArrayLike<number>,
  dataset: Dataset,
  epochs: number,
  placement: Pick<Args, "split" | "parts">,
): Promise<Timed> {
  const { split, parts } = placement;
  // A one-part run cannot split: --split true applies to the runs that have two parts.
  // Only the batch size and validation split of the lesson's settings: `epochs` is the bench's (--quick).
  const { batchSize, validationSplit } = SETTINGS[dataset];
  const options = {
    epochs,
    batchSize,
    validationSplit,
    seed: 1,
    cache: false as const,
    verbose: 0 as const,
    ...(parts ? { parts } : {}),
  };
  const spec = getVariant(variant);
  const twoParts =
    (parts ?? gradientParts(countParams(spec, x.cols), splitRows(x.rows, options.validationSplit).nTrain, x.kind)) ===
    2;
  const run = await train(spec, x, y, { ...options, split: split === true && !twoParts ? "auto" : split });
  return {
    variant,
    run,
    secondsPerEpoch: run.trainingSeconds / run.history.epoch.length,
    seconds: run.trainingSeconds,
  };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const epochs = args.quick ? 3 : lessonSettings.imdb.epochs;
  const lesson = LESSON.filter((r) => !args.runs || args.runs.includes(r.variant));
  const backend = await initBackend({ report: false, ...(args.backend ? { backend: args.backend } : {}) });
  console.log(
    `fitlab bench${args.quick ? " --quick" : ""}${args.alone ? " --alone" : ""}: ${lesson.length} runs × ${epochs} epochs, backend ${backend}, pool of ${poolSize()} worker(s), split ${args.split}${args.parts ? `, parts ${args.parts}` : ""}`,
  );
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}, load average at start ${load()}`,
  );

  const dataStarted = Date.now();
  const data: Partial<Record<Dataset, { x: Features; y: ArrayLike<number> }>> = {};
  if (lesson.some((r) => r.dataset === "mnist")) {
    const { train: t } = loadArrays();
    data.mnist = { x: flattenImages(t), y: t.labels };
  }
  if (lesson.some((r) => r.dataset === "imdb")) {
    const numWords = lessonSettings.imdbNumWords;
    const [[sequences, labels]] = await loadImdb({ numWords, log: () => undefined });
    data.imdb = { x: vectorizeSequences(sequences, numWords), y: labels };
  }
  console.log(
    `data loaded once, on the main thread, in ${((Date.now() - dataStarted) / 1000).toFixed(1)} s (shared with the workers, not copied)`,
  );

  const started = Date.now();
  const one = (r: (typeof lesson)[number]): Promise<Timed> =>
    timedRun(r.variant, data[r.dataset]!.x, data[r.dataset]!.y, r.dataset, epochs, args).then((t) => {
      console.log(`  done ${r.variant.padEnd(15)} at ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`);
      return t;
    });
  let results: Timed[];
  if (args.alone) {
    results = [];
    for (const r of lesson) results.push(await one(r));
  } else {
    results = await Promise.all(lesson.map(one));
  }
  const wall = (Date.now() - started) / 1000;

  console.log("");
  console.log(
    "run              batch  epochs   s/epoch   total s   min val_loss (epoch)   final val_acc   parts  trained on",
  );
  for (const t of results) {
    const h = t.run.history.history;
    const vl = h.val_loss ?? [];
    const min = Math.min(...vl);
    const batch = SETTINGS[lesson.find((r) => r.variant === t.variant)!.dataset].batchSize;
    const acc = h.val_accuracy?.[h.val_accuracy.length - 1] ?? NaN;
    console.log(
      `${t.variant.padEnd(16)} ${String(batch).padStart(5)} ${String(h.loss.length).padStart(7)} ${t.secondsPerEpoch.toFixed(3).padStart(9)} ${t.seconds.toFixed(1).padStart(9)}   ${min.toFixed(4)} (${String(vl.indexOf(min) + 1).padStart(2)})          ${acc.toFixed(4)}   ${String(t.run.options.parts).padStart(5)}  ${t.run.placement}`,
    );
    dispose(t.run);
  }
  console.log("");
  console.log(
    `whole lesson: ${wall.toFixed(1)} s wall clock (${args.alone ? "each run alone, one after another" : "all runs started together"}); load average now ${load()}`,
  );
  console.log(`peak memory (RSS of the whole process, main thread and all workers): ${Math.round(peakMb())} MB`);

  if (args.peer === "keras") await benchKeras(results, epochs);

  if (args.dense && data.imdb && (!args.runs || args.runs.includes("imdb.original"))) {
    // Dense input: the article's 25,000 × 10,000 float32 matrix (1 GB). Too slow for 20 epochs in
    // a bench: a few epochs, extrapolated.
    const denseEpochs = args.quick ? 1 : 2;
    const rows = args.quick ? 5000 : data.imdb.x.rows;
    const x = data.imdb.x as Extract<Features, { kind: "multihot" }>;
    const sub = { ...x, rows, ids: x.ids.slice(0, rows) };
    const y = Array.from(data.imdb.y).slice(0, rows);
    console.log("");
    console.log(
      `imdb.original, dense vs sparse input: ${denseEpochs + 1} epoch(s) on ${rows} reviews each, extrapolated to 20 epochs`,
    );
    const sparse = await timedRun("imdb.original", sub, y, "imdb", denseEpochs + 1, { split: false });
    const dense = await timedRun("imdb.original", toDenseMatrix(sub), y, "imdb", denseEpochs + 1, { split: false });
    for (const [label, t] of [
      ["sparse (multi-hot rows)", sparse],
      ["dense (0/1 matrix)", dense],
    ] as const) {
      console.log(
        `  ${label.padEnd(24)} ${t.secondsPerEpoch.toFixed(3)} s/epoch → ${(t.secondsPerEpoch * 20).toFixed(1)} s for 20 epochs (extrapolated)`,
      );
      dispose(t.run);
    }
    console.log(`  sparse is ${(dense.secondsPerEpoch / sparse.secondsPerEpoch).toFixed(1)}× faster`);
    console.log(`  peak memory including the dense run: ${Math.round(peakMb())} MB`);
  }
  console.log(
    `load average at end: ${load()} (other processes share these cores: compare ratios measured in one sitting)`,
  );
  return 0;
}

/** Keras's threads for the peer runs: the machine's two cores, as fitlab's pool uses. */
const KERAS_THREADS = 2;

/**
 * Trains the same runs in Keras (reference/keras/lesson.py --json), one at a time, and prints both
 * libraries' seconds per epoch. Keras's first epoch also traces its graph (tf.function): its
 * s/epoch is over epochs 2–N, its first epoch shown apart.
 */
async function benchKeras(results: Timed[], epochs: number): Promise<void> {
  const root = projectRoot();
  const python = path.join(root, ".venv", "bin", "python");
  if (!fs.existsSync(python))
    throw new Error(
      `bench --peer keras: ${python} is missing; make it with: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt`,
    );
  const dir = defaultExportDir();
  for (const dataset of new Set(results.map((t) => (t.variant.startsWith("mnist") ? "mnist" : "imdb") as Dataset))) {
    if (!fs.existsSync(path.join(dir, `${dataset}-full.json`))) await exportLessonArrays(dir, dataset, "full");
  }
  console.log("");
  console.log(
    `Keras ${KERAS_THREADS} threads, the same runs one at a time (seed 1, ${epochs} epochs), load average ${load()}`,
  );
  const rows: string[] = [];
  for (const t of results) {
    const out = spawnSync(
      python,
      [
        path.join(root, "reference", "keras", "lesson.py"),
        "--runs",
        t.variant,
        "--seeds",
        "1",
        "--threads",
        String(KERAS_THREADS),
        "--epochs",
        String(epochs),
        "--json",
      ],
      {
        encoding: "utf8",
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const line = out.stdout.split("\n").find((l) => l.startsWith("{"));
    if (out.status !== 0 || !line)
      throw new Error(
        `bench --peer keras: ${t.variant} failed (exit ${out.status}):\n${out.stderr.split("\n").slice(-10).join("\n")}`,
      );
    const seconds = (JSON.parse(line) as { secondsPerEpoch: number[] }).secondsPerEpoch;
    const rest = seconds.length > 1 ? seconds.slice(1) : seconds;
    const keras = rest.reduce((a, b) => a + b, 0) / rest.length;
    rows.push(
      `${t.variant.padEnd(16)} ${t.secondsPerEpoch.toFixed(3).padStart(9)} ${keras.toFixed(3).padStart(9)} ${seconds[0].toFixed(2).padStart(12)}   ${(keras / t.secondsPerEpoch).toFixed(2).padStart(5)}×`,
    );
    console.log(`  done ${t.variant} in Keras (load average ${load()})`);
  }
  console.log("run                fitlab     Keras  Keras epoch 1   Keras/fitlab   (s/epoch; Keras's over epochs 2–N)");
  for (const r of rows) console.log(r);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
