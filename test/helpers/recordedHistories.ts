/**
 * The full-data histories that `scripts/recordHistories.ts` recorded (test/fixtures/histories/): every
 * run of the lesson with the notebooks' settings over several seeds, as runs and seed groups.
 */
import * as fs from "fs";
import * as path from "path";
import { groupRuns } from "../../lib/runs/seeds";
import type { History, RunLike, SeedGroup } from "../../lib/types";

export const HISTORIES_DIR = path.join(__dirname, "..", "fixtures", "histories");

interface RecordedFile {
  name: string;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  samples: number;
  validationSamples: number;
  /** Early stopping's settings, for a run trained with it (and each seed's stop reason). */
  earlyStopping?: { patience: number; restoreBestWeights?: boolean; monitor?: "val_loss" | "val_crossentropy" };
  seeds: Record<string, Record<string, (number | null)[]>>;
  stopReasons?: Record<string, string>;
}

export interface Recorded {
  /** The fixture's name, e.g. "imdb.original". */
  file: string;
  /** The run's name as the notebooks call it, e.g. "original". */
  name: string;
  seeds: number[];
  /** One run per seed, in `seeds` order. */
  runs: RunLike[];
}

/** The names of every recorded fixture, e.g. ["imdb.dropout", …]. */
export function recordedNames(): string[] {
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

/** The runs of one fixture (JSON null, a NaN or ±Infinity when written, reads back as NaN). */
export function loadRecorded(file: string): Recorded {
  const raw = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, `${file}.json`), "utf8")) as RecordedFile;
  const name = file.split(".").pop()!;
  const seeds = Object.keys(raw.seeds).map(Number);
  const runs = seeds.map((seed): RunLike => {
    const metrics = Object.fromEntries(
      Object.entries(raw.seeds[String(seed)]).map(([m, values]) => [m, values.map((v) => (v === null ? NaN : v))]),
    );
    const n = (metrics.loss as number[]).length;
    const history: History = {
      history: metrics as unknown as History["history"],
      epoch: Array.from({ length: n }, (_, i) => i),
      params: {
        epochs: raw.epochs,
        batchSize: raw.batchSize,
        samples: raw.samples,
        validationSamples: raw.validationSamples,
        steps: Math.ceil(raw.samples / raw.batchSize),
      },
    };
    // A run stopped early carries what train() gives it: why it stopped, and its early-stopping options.
    const stopReason = raw.stopReasons?.[String(seed)];
    const stopped = raw.earlyStopping
      ? {
          options: { epochs: raw.epochs, earlyStopping: raw.earlyStopping },
          ...(stopReason ? { stopReason, stoppedBy: "early stopping" } : {}),
        }
      : {};
    return { name, history, ...stopped };
  });
  return { file, name, seeds, runs };
}

/** The run of one seed. */
export function recordedRun(file: string, seed: number): RunLike {
  const r = loadRecorded(file);
  const i = r.seeds.indexOf(seed);
  if (i < 0)
    throw new Error(`${file}: seed ${seed} not recorded (have ${r.seeds.join(", ")}); run scripts/recordHistories.ts.`);
  return r.runs[i];
}

/** The seeds `seeds` (default: all recorded but 42, the notebooks' default) as a SeedGroup. */
export function recordedGroup(file: string, seeds?: number[]): SeedGroup {
  const r = loadRecorded(file);
  const wanted = seeds ?? r.seeds.filter((s) => s !== 42);
  const runs = wanted.map((s) => {
    const i = r.seeds.indexOf(s);
    if (i < 0) throw new Error(`${file}: seed ${s} not recorded (have ${r.seeds.join(", ")}).`);
    return r.runs[i];
  });
  return groupRuns(r.name, runs, wanted);
}
