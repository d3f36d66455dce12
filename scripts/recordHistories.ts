/**
 * `node dist/scripts/recordHistories.js [--runs imdb.original,imdb.l2] [--seeds 1,2,3,4,5,42] [--out dir]`
 *
 * Trains every run of the lesson on the FULL data with the notebooks' settings (MNIST: 60,000
 * images, batch 128, validation split 0.2; IMDB: 25,000 reviews as 10,000-word multi-hot rows,
 * batch 512, split 0.4; 20 epochs) over several seeds, and writes their histories (numbers only) to
 * `test/fixtures/histories/<run>.json`. The diagnosis tests read these files: verdicts are checked on
 * the curves the lesson really draws, not on made-up ones.
 *
 * Besides the lesson's runs, two edge cases a reader can make by editing the parameters cell:
 * `imdb.l1strong` (L1 0.01: too much regularization to fit the training data) and `imdb.exploding`
 * (learning rate 1e10: the loss explodes).
 *
 * Notebook 5's runs (`nb5.*`) are recorded with the defaults of its parameters cell, read from the
 * notebook itself: 3,000 MNIST images for the noise/zero channels (10 epochs), the two learning rates
 * (10 epochs) and the small/large final-model candidates (20 epochs); 1,000 images with shuffled labels
 * (40 epochs); the original IMDB model with early stopping (patience from the notebook). A seed s stands
 * for a reader who sets `seed = s`: it seeds the noise columns and the label permutation as well as
 * the training, as the notebook does. Their seeds train two at a time (small runs, seconds each).
 *
 * Runs go through the run cache (data/runs), so a re-run only trains what is missing. The full-data
 * runs train one at a time: the machine is shared.
 */
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../lib/system/backend";
import { loadMnistFeatures, shuffledLabels, withExtraColumns, type LabeledData } from "../lib/data/chapter5";
import { loadData as loadImdb } from "../lib/data/imdb";
import { loadArrays } from "../lib/data/mnist";
import { flattenImages, vectorizeSequences } from "../lib/data/vectorize";
import { variant, type ModelSpec } from "../lib/lesson/models";
import { projectRoot } from "../lib/system/project";
import { dispose, train, type EarlyStopping, type Run } from "../lib/runs/train";
import { closePool } from "../lib/training/pool";
import type { Features, History } from "../lib/types";

type Dataset = "mnist" | "imdb";

interface Fit {
  epochs: number;
  batchSize: number;
  validationSplit: number;
  earlyStopping?: EarlyStopping;
}

interface Recording {
  /** The fixture's name, e.g. "imdb.original". */
  name: string;
  dataset: Dataset;
  spec: () => ModelSpec;
  /** The seeds to train; the expensive runs get fewer. */
  seeds: number[];
  /** Notebook 5's runs: their own data for a seed, and their own settings (default: the full data, 20 epochs). */
  data?: (seed: number) => { x: Features; y: ArrayLike<number> };
  fit?: () => Fit;
}

/** The defaults of a notebook's parameters cell (the values a reader starts from). */
function notebookDefaults(file: string): Record<string, unknown> {
  const nb = JSON.parse(fs.readFileSync(path.join(projectRoot("the notebooks"), "notebooks", file), "utf8")) as {
    cells: { cell_type: string; source: string[] | string; metadata?: { tags?: string[] } }[];
  };
  const cell = nb.cells.find((c) => c.metadata?.tags?.includes("parameters"));
  if (!cell) throw new Error(`recordHistories: ${file} has no cell tagged "parameters"`);
  const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
  const names = [...source.matchAll(/^\s*let\s+(\w+)/gm)].map((m) => m[1]);
  return new Function(`${source}\nreturn { ${names.join(", ")} };`)() as Record<string, unknown>;
}

let nb5Params: Record<string, unknown> | undefined;
/** A number from notebook 5's parameters cell. */
function nb5(name: string): number {
  nb5Params ??= notebookDefaults("05-remedies-and-the-test-set.ipynb");
  const v = nb5Params[name];
  if (typeof v !== "number") throw new Error(`recordHistories: notebook 5's parameters cell has no number ${name}`);
  return v;
}

let nb5Images: LabeledData | undefined;
/** The notebook's first `mnistSamples` MNIST training images (loaded once). */
const nb5Mnist = (): LabeledData =>
  (nb5Images ??= loadMnistFeatures({ trainSamples: nb5("mnistSamples"), testSamples: 1 }).train);
const nb5MnistFit = (epochs: string) => (): Fit => ({
  epochs: nb5(epochs),
  batchSize: nb5("batchSize"),
  validationSplit: nb5("validationSplit"),
});
const NB5_SEEDS = [42, 1, 2, 3, 4];

/** Notebook 5's runs, as its cells train them. */
const NB5: Recording[] = [
  {
    name: "nb5.noise",
    dataset: "mnist",
    spec: () => variant("mnist.dense512"),
    seeds: NB5_SEEDS,
    fit: nb5MnistFit("noiseEpochs"),
    data: (seed) => ({ x: withExtraColumns(nb5Mnist().x, "noise", { seed }), y: nb5Mnist().y }),
  },
  {
    name: "nb5.zeros",
    dataset: "mnist",
    spec: () => variant("mnist.dense512"),
    seeds: NB5_SEEDS,
    fit: nb5MnistFit("noiseEpochs"),
    data: () => ({ x: withExtraColumns(nb5Mnist().x, "zeros"), y: nb5Mnist().y }),
  },
  {
    name: "nb5.shuffled",
    dataset: "mnist",
    spec: () => variant("mnist.dense512"),
    seeds: NB5_SEEDS,
    fit: nb5MnistFit("shuffledEpochs"),
    data: (seed) => {
      const few = loadMnistFeatures({ trainSamples: nb5("shuffledSamples"), testSamples: 1 }).train;
      return { x: few.x, y: shuffledLabels(few.y, seed) };
    },
  },
  {
    name: "nb5.lrhigh",
    dataset: "mnist",
    spec: () => variant("mnist.dense512", { learningRate: nb5("highLr") }),
    seeds: NB5_SEEDS,
    fit: nb5MnistFit("lrEpochs"),
    data: nb5Mnist,
  },
  {
    name: "nb5.lrlow",
    dataset: "mnist",
    spec: () => variant("mnist.dense512", { learningRate: nb5("lowLr") }),
    seeds: NB5_SEEDS,
    fit: nb5MnistFit("lrEpochs"),
    data: nb5Mnist,
  },
  {
    name: "nb5.small",
    dataset: "mnist",
    spec: () => variant("mnist.small"),
    seeds: NB5_SEEDS,
    fit: nb5MnistFit("mnistEpochs"),
    data: nb5Mnist,
  },
  {
    name: "nb5.large",
    dataset: "mnist",
    spec: () => variant("mnist.large"),
    seeds: NB5_SEEDS,
    fit: nb5MnistFit("mnistEpochs"),
    data: nb5Mnist,
  },
  {
    name: "nb5.stopped",
    dataset: "imdb",
    spec: () => variant("imdb.original"),
    seeds: NB5_SEEDS,
    fit: () => ({
      epochs: nb5("imdbEpochs"),
      batchSize: 512,
      validationSplit: 0.4,
      earlyStopping: { patience: nb5("patience"), restoreBestWeights: true, monitor: "val_crossentropy" },
    }),
  },
];

const ALL_SEEDS = [42, 1, 2, 3, 4, 5];
/** The MNIST runs and imdb.larger take 2–4 minutes each on a loaded 2-core machine: 4 (small) or 3 seeds. */
const FEW_SEEDS = [42, 1, 2, 3];
const THREE_SEEDS = [42, 1, 2];

/**
 * IMDB `Dense(4)` at seed 9 gets stuck (issue 26): its training loss stays high (0.268 after 20 epochs)
 * while every other seed's falls below 0.12. Recorded with the others so the diagnosis names it.
 */
const STUCK_TINY_SEED = 9;

/** Cheapest first, so the IMDB comparisons are recorded even if the run is cut short. */
const RECORDINGS: Recording[] = [
  ...(["original", "tiny", "smaller", "l2", "l1", "l1l2", "dropout", "l2dropout"] as const).map((v): Recording => ({
    name: `imdb.${v}`,
    dataset: "imdb",
    spec: () => variant(`imdb.${v}`),
    seeds: v === "tiny" ? [...ALL_SEEDS, STUCK_TINY_SEED] : ALL_SEEDS,
  })),
  {
    name: "imdb.l1strong",
    dataset: "imdb",
    spec: () => variant("imdb.l1", { l1: 0.01, name: "l1strong" }),
    seeds: FEW_SEEDS,
  },
  {
    name: "imdb.exploding",
    dataset: "imdb",
    spec: () => variant("imdb.original", { learningRate: 1e10, name: "exploding" }),
    seeds: [42, 1],
  },
  { name: "mnist.small", dataset: "mnist", spec: () => variant("mnist.small"), seeds: FEW_SEEDS },
  { name: "mnist.large", dataset: "mnist", spec: () => variant("mnist.large"), seeds: THREE_SEEDS },
  { name: "imdb.larger", dataset: "imdb", spec: () => variant("imdb.larger"), seeds: THREE_SEEDS },
  ...NB5,
];

const SETTINGS: Record<Dataset, { batchSize: number; validationSplit: number }> = {
  mnist: { batchSize: 128, validationSplit: 0.2 },
  imdb: { batchSize: 512, validationSplit: 0.4 },
};

/** The file format of one fixture: every seed's history of one configuration. */
export interface RecordedHistories {
  name: string;
  dataset: Dataset;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  samples: number;
  validationSamples: number;
  /** Early stopping's settings, for a run trained with it. */
  earlyStopping?: EarlyStopping;
  /** Seed (as a string key) → metric → per-epoch values (6 significant digits). */
  seeds: Record<string, History["history"]>;
  /** Seed → why training ended early (early stopping, a NaN loss), for the seeds whose run did. */
  stopReasons?: Record<string, string>;
}

const loaded: Partial<Record<Dataset, { x: Features; y: ArrayLike<number> }>> = {};

async function dataFor(dataset: Dataset): Promise<{ x: Features; y: ArrayLike<number> }> {
  const cached = loaded[dataset];
  if (cached) return cached;
  let data: { x: Features; y: ArrayLike<number> };
  if (dataset === "mnist") {
    const { train: t } = loadArrays();
    data = { x: flattenImages(t), y: t.labels };
  } else {
    const [[sequences, labels]] = await loadImdb({ numWords: 10000, log: () => undefined });
    data = { x: vectorizeSequences(sequences, 10000), y: labels };
  }
  loaded[dataset] = data;
  return data;
}

/** 6 significant digits: far below any difference the diagnosis reads. JSON writes NaN/Infinity as null; the reader maps null back to NaN. */
function compact(values: number[]): number[] {
  return values.map((v) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : v));
}

function parseArgs(argv: string[]): { runs?: string[]; seeds?: number[]; out: string } {
  const args: { runs?: string[]; seeds?: number[]; out: string } = {
    out: path.join(projectRoot("the fixtures folder (--out dir)"), "test", "fixtures", "histories"),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs") args.runs = argv[++i].split(",");
    else if (a === "--seeds") args.seeds = argv[++i].split(",").map(Number);
    else if (a === "--out") args.out = argv[++i];
    else throw new Error(`recordHistories: unknown argument ${a}. Use --runs a,b, --seeds 1,2,3, --out dir.`);
  }
  const names = RECORDINGS.map((r) => r.name);
  for (const r of args.runs ?? [])
    if (!names.includes(r)) throw new Error(`recordHistories: unknown run ${r}; known: ${names.join(", ")}.`);
  for (const s of args.seeds ?? [])
    if (!Number.isInteger(s) || s < 0)
      throw new Error(`recordHistories: --seeds takes integers ≥ 0, got ${String(s)}.`);
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const backend = await initBackend({ report: false });
  fs.mkdirSync(args.out, { recursive: true });
  for (const rec of RECORDINGS) {
    if (args.runs && !args.runs.includes(rec.name)) continue;
    const file = path.join(args.out, `${rec.name}.json`);
    // Keep seeds recorded earlier: each invocation adds to the file.
    let record: RecordedHistories | undefined = fs.existsSync(file)
      ? JSON.parse(fs.readFileSync(file, "utf8"))
      : undefined;
    const fit: Fit = rec.fit ? rec.fit() : { epochs: 20, ...SETTINGS[rec.dataset] };
    const trainSeed = async (seed: number): Promise<Run> => {
      const { x, y } = rec.data ? rec.data(seed) : await dataFor(rec.dataset);
      return train(rec.spec(), x, y, { ...fit, seed, verbose: 0 });
    };
    const keep = (seed: number, run: Run): void => {
      const h = run.history;
      record ??= {
        name: rec.name,
        dataset: rec.dataset,
        epochs: fit.epochs,
        batchSize: fit.batchSize,
        validationSplit: fit.validationSplit,
        samples: h.params.samples,
        validationSamples: h.params.validationSamples,
        ...(fit.earlyStopping ? { earlyStopping: fit.earlyStopping } : {}),
        seeds: {},
      };
      const metrics: Record<string, number[]> = {};
      for (const [metric, values] of Object.entries(h.history)) if (values) metrics[metric] = compact(values);
      record.seeds[String(seed)] = metrics as unknown as History["history"];
      if (run.stopReason) record.stopReasons = { ...record.stopReasons, [String(seed)]: run.stopReason };
      else if (record.stopReasons) delete record.stopReasons[String(seed)];
      fs.writeFileSync(file, JSON.stringify(record) + "\n");
      console.log(
        `${rec.name} seed ${seed}: ${run.seconds.toFixed(1)} s (${run.fromCache ? "cache" : backend}), ${h.history.loss.length} epochs`,
      );
      dispose(run);
    };
    const seeds = args.seeds ?? rec.seeds;
    if (rec.fit) {
      // Notebook 5's small runs: every seed at once on the pool (two workers), recorded in seed order.
      const runs = await Promise.all(seeds.map(trainSeed));
      seeds.forEach((seed, i) => keep(seed, runs[i]));
    } else {
      for (const seed of seeds) keep(seed, await trainSeed(seed));
    }
  }
  await closePool();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
