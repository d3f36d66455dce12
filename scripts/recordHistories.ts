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
 * Runs go through the run cache (data/runs), so a re-run only trains what is missing. One process,
 * one run at a time: the machine is shared.
 */
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../lib/backend";
import { loadData as loadImdb } from "../lib/data/imdb";
import { loadArrays } from "../lib/data/mnist";
import { flattenImages, vectorizeSequences } from "../lib/data/vectorize";
import { variant, type ModelSpec } from "../lib/models";
import { projectRoot } from "../lib/project";
import { dispose, train } from "../lib/train";
import type { Features, History } from "../lib/types";

type Dataset = "mnist" | "imdb";

interface Recording {
  /** The fixture's name, e.g. "imdb.original". */
  name: string;
  dataset: Dataset;
  spec: () => ModelSpec;
  /** The seeds to train; the expensive runs get fewer. */
  seeds: number[];
}

const ALL_SEEDS = [42, 1, 2, 3, 4, 5];
/** The MNIST runs and imdb.larger take 2–4 minutes each on a loaded 2-core machine: 4 (small) or 3 seeds. */
const FEW_SEEDS = [42, 1, 2, 3];
const THREE_SEEDS = [42, 1, 2];

/** Cheapest first, so the IMDB comparisons are recorded even if the run is cut short. */
const RECORDINGS: Recording[] = [
  ...(["original", "tiny", "smaller", "l2", "l1", "l1l2", "dropout", "l2dropout"] as const).map(
    (v): Recording => ({ name: `imdb.${v}`, dataset: "imdb", spec: () => variant(`imdb.${v}`), seeds: ALL_SEEDS }),
  ),
  { name: "imdb.l1strong", dataset: "imdb", spec: () => variant("imdb.l1", { l1: 0.01, name: "l1strong" }), seeds: FEW_SEEDS },
  { name: "imdb.exploding", dataset: "imdb", spec: () => variant("imdb.original", { learningRate: 1e10, name: "exploding" }), seeds: [42, 1] },
  { name: "mnist.small", dataset: "mnist", spec: () => variant("mnist.small"), seeds: FEW_SEEDS },
  { name: "mnist.large", dataset: "mnist", spec: () => variant("mnist.large"), seeds: THREE_SEEDS },
  { name: "imdb.larger", dataset: "imdb", spec: () => variant("imdb.larger"), seeds: THREE_SEEDS },
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
  /** Seed (as a string key) → metric → per-epoch values (6 significant digits). */
  seeds: Record<string, History["history"]>;
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
  const args: { runs?: string[]; seeds?: number[]; out: string } = { out: path.join(projectRoot("the fixtures folder (--out dir)"), "test", "fixtures", "histories") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs") args.runs = argv[++i].split(",");
    else if (a === "--seeds") args.seeds = argv[++i].split(",").map(Number);
    else if (a === "--out") args.out = argv[++i];
    else throw new Error(`recordHistories: unknown argument ${a}. Use --runs a,b, --seeds 1,2,3, --out dir.`);
  }
  const names = RECORDINGS.map((r) => r.name);
  for (const r of args.runs ?? []) if (!names.includes(r)) throw new Error(`recordHistories: unknown run ${r}; known: ${names.join(", ")}.`);
  for (const s of args.seeds ?? []) if (!Number.isInteger(s) || s < 0) throw new Error(`recordHistories: --seeds takes integers ≥ 0, got ${String(s)}.`);
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
    let record: RecordedHistories | undefined = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
    const { x, y } = await dataFor(rec.dataset);
    const settings = SETTINGS[rec.dataset];
    for (const seed of args.seeds ?? rec.seeds) {
      const run = await train(rec.spec(), x, y, { epochs: 20, ...settings, seed, verbose: 0 });
      const h = run.history;
      record ??= {
        name: rec.name,
        dataset: rec.dataset,
        epochs: 20,
        ...settings,
        samples: h.params.samples,
        validationSamples: h.params.validationSamples,
        seeds: {},
      };
      const metrics: Record<string, number[]> = {};
      for (const [metric, values] of Object.entries(h.history)) if (values) metrics[metric] = compact(values);
      record.seeds[String(seed)] = metrics as unknown as History["history"];
      fs.writeFileSync(file, JSON.stringify(record) + "\n");
      console.log(`${rec.name} seed ${seed}: ${run.seconds.toFixed(1)} s (${run.fromCache ? "cache" : backend}), ${h.history.loss.length} epochs`);
      dispose(run);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
