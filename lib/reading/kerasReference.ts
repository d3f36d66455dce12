/**
 * fitlab's recorded curves beside Keras's: the histories `scripts/recordHistories.ts` (fitlab) and
 * `reference/keras/lesson.py` (Keras itself) recorded for the same runs over several seeds, read
 * from the committed fixtures, and how close they are. Plain data and arithmetic; the one I/O is
 * reading the two fixture files (no Python, no training).
 *
 * The seeds of the two libraries are different random streams (initial weights, shuffles, dropout
 * masks), so runs are compared as seed groups: each statistic's seed mean on one side against the
 * other side's seed spread (min–max).
 */
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../system/project";
import { groupRuns } from "../runs/seeds";
import type { History, RunLike, SeedGroup } from "../types";

export type ReferenceSource = "fitlab" | "keras";

/** The fixture format both recorders write: seed → metric → per-epoch values. */
export interface RecordedHistories {
  name: string;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  samples: number;
  validationSamples: number;
  seeds: Record<string, Partial<Record<keyof History["history"], (number | null)[]>>>;
  /** Keras's fixtures: the versions that recorded them. */
  keras?: string;
  tensorflow?: string;
  /** Keras's fixtures: the order of the batches ("fresh every epoch": see reference/keras/lesson.py). */
  shuffle?: string;
  /** Keras's fixtures: mean seconds per epoch of each seed (threads as recorded). */
  secondsPerEpoch?: Record<string, number>;
  threads?: number;
}

/** test/fixtures/histories (fitlab) or test/fixtures/keras-histories (Keras) in the project. */
export function historiesDir(source: ReferenceSource): string {
  return path.join(
    projectRoot("a fixtures folder"),
    "test",
    "fixtures",
    source === "fitlab" ? "histories" : "keras-histories",
  );
}

/** Whether both libraries' histories of `run` (e.g. "imdb.original") are recorded. */
export function hasReference(run: string): boolean {
  return (
    fs.existsSync(path.join(historiesDir("fitlab"), `${run}.json`)) &&
    fs.existsSync(path.join(historiesDir("keras"), `${run}.json`))
  );
}

/** The runs recorded by both libraries (fixture names, e.g. "imdb.original"), sorted. */
export function referenceRuns(): string[] {
  const dir = historiesDir("keras");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .filter(hasReference)
    .sort();
}

/** A recorded file as a seed group named `label` (its runs in seed order). */
export function toSeedGroup(record: RecordedHistories, label: string): SeedGroup {
  const seeds = Object.keys(record.seeds)
    .map(Number)
    .sort((a, b) => a - b);
  const runs: RunLike[] = seeds.map((seed) => {
    const series = record.seeds[String(seed)];
    const metrics = Object.fromEntries(
      Object.entries(series).map(([k, v]) => [k, (v ?? []).map((x) => (x === null ? NaN : x))]),
    );
    const epochs = metrics.loss?.length ?? 0;
    return {
      name: label,
      history: {
        history: metrics as unknown as History["history"],
        epoch: Array.from({ length: epochs }, (_, i) => i),
        params: {
          epochs: record.epochs,
          batchSize: record.batchSize,
          samples: record.samples,
          validationSamples: record.validationSamples,
          steps: Math.ceil(record.samples / record.batchSize),
        },
      },
    };
  });
  return groupRuns(label, runs, seeds);
}

/** Reads one recorded run, e.g. `loadRecorded("imdb.original", "keras")`, as a seed group labelled "Keras original". */
export function loadRecorded(run: string, source: ReferenceSource, dir: string = historiesDir(source)): SeedGroup {
  const file = path.join(dir, `${run}.json`);
  if (!fs.existsSync(file)) {
    const how =
      source === "fitlab"
        ? "node dist/scripts/recordHistories.js --runs " + run
        : ".venv/bin/python reference/keras/lesson.py --runs " + run;
    throw new Error(`loadRecorded: ${file} is missing; record it with \`${how}\`.`);
  }
  const record = JSON.parse(fs.readFileSync(file, "utf8")) as RecordedHistories;
  return toSeedGroup(record, `${source === "fitlab" ? "fitlab" : "Keras"} ${run.split(".").pop()}`);
}

/**
 * Whether Keras's fixture of `run` was recorded with one order of the batches for all epochs: before
 * reference/keras/lesson.py unseeded TensorFlow's shuffle (a seeded Keras `fit` repeats its first
 * epoch's order), so without the `shuffle: "fresh every epoch"` it now writes.
 */
export function kerasInOneOrder(run: string, dir: string = historiesDir("keras")): boolean {
  const file = path.join(dir, `${run}.json`);
  if (!fs.existsSync(file))
    throw new Error(
      `kerasInOneOrder: ${file} is missing; record it with \`.venv/bin/python reference/keras/lesson.py --runs ${run}\`.`,
    );
  return (JSON.parse(fs.readFileSync(file, "utf8")) as RecordedHistories).shuffle !== "fresh every epoch";
}

/** What a curve shows, from the validation cross-entropy (no penalty) and the training one. */
export interface CurveStats {
  /** 1-based epoch of the lowest validation cross-entropy. */
  bestEpoch: number;
  /** The lowest validation cross-entropy. */
  minimum: number;
  /** How far the validation cross-entropy rose from its minimum to the last epoch. */
  rise: number;
  /** Validation minus training cross-entropy at the last epoch. */
  finalGap: number;
  /** The highest validation accuracy. */
  bestAccuracy: number;
}

export const STAT_NAMES: readonly (keyof CurveStats)[] = ["bestEpoch", "minimum", "rise", "finalGap", "bestAccuracy"];

/** The validation and training cross-entropy (without any penalty: the plain series where recorded). */
function crossentropies(h: History): { val: number[]; train: number[] } {
  const s = h.history;
  const val = s.val_crossentropy ?? s.val_loss;
  if (!val) throw new Error("curveStats: the history has no validation values (val_loss)");
  return { val, train: s.crossentropy ?? s.loss };
}

export function curveStats(h: History): CurveStats {
  const { val, train } = crossentropies(h);
  const minimum = Math.min(...val);
  const last = val.length - 1;
  return {
    bestEpoch: val.indexOf(minimum) + 1,
    minimum,
    rise: val[last] - minimum,
    finalGap: val[last] - train[last],
    bestAccuracy: Math.max(...(h.history.val_accuracy ?? [NaN])),
  };
}

/** One statistic over the seeds of one side. */
export interface Spread {
  mean: number;
  low: number;
  high: number;
  /** Sample standard deviation over the seeds (0 for one seed). */
  sd: number;
  n: number;
}

export function spread(values: number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, low: Math.min(...values), high: Math.max(...values), sd, n };
}

/**
 * How many standard errors apart two seed means are (Welch's statistic |Δmean| / sqrt(sd₁²/n₁ + sd₂²/n₂)):
 * about 1 for two samples of the same distribution, rarely above 3. 0 when the means are equal,
 * Infinity when they differ and neither side varies.
 */
export function standardErrorsApart(a: Spread, b: Spread): number {
  const diff = Math.abs(a.mean - b.mean);
  if (diff === 0) return 0;
  const se = Math.sqrt(a.sd ** 2 / a.n + b.sd ** 2 / b.n);
  return se === 0 ? Infinity : diff / se;
}

/** Two seed means further apart than this many standard errors are reported as a difference (chance: about 1 in 100 per statistic at 5–6 seeds). */
export const SAME_DISTRIBUTION_Z = 3;

export interface StatComparison {
  stat: keyof CurveStats;
  fitlab: Spread;
  keras: Spread;
  /** fitlab's seed mean within Keras's seed spread, and Keras's within fitlab's. */
  fitlabInKeras: boolean;
  kerasInFitlab: boolean;
  /** standardErrorsApart(fitlab, keras). */
  z: number;
  /**
   * Whether the two agree: each seed mean within the other's seed spread, or (narrow spreads at a
   * few seeds) no further apart than seed-to-seed noise makes them, z ≤ SAME_DISTRIBUTION_Z.
   */
  agrees: boolean;
}

export interface KerasComparison {
  run: string;
  seeds: { fitlab: number; keras: number };
  epochs: number;
  stats: StatComparison[];
  /** Epochs at which fitlab's mean curve lies within Keras's seed band (validation cross-entropy, accuracy). */
  epochsInBand: { crossentropy: number; accuracy: number };
  /** The largest difference between the two mean curves over the epochs. */
  maxMeanGap: { crossentropy: number; accuracy: number };
  /** Epochs at which the two seed means are more than `z` standard errors apart (1-based). */
  epochsApart: { crossentropy: number[]; accuracy: number[] };
}

const within = (x: number, s: Spread): boolean => x >= s.low && x <= s.high;

/**
 * Compares fitlab's seed group of a run with Keras's (both as loadRecorded returns them). `z`: how
 * many standard errors apart two seed means may be and still agree (default SAME_DISTRIBUTION_Z).
 */
export function compareWithKeras(
  run: string,
  fitlab: SeedGroup,
  keras: SeedGroup,
  options: { z?: number } = {},
): KerasComparison {
  const limit = options.z ?? SAME_DISTRIBUTION_Z;
  if (!(typeof limit === "number" && limit > 0))
    throw new Error(
      `compareWithKeras: options.z = ${String(options.z)}; it must be a number > 0 (standard errors, e.g. 3).`,
    );
  const stats = STAT_NAMES.map((stat): StatComparison => {
    const f = spread(fitlab.seedRuns.map((r) => curveStats(r.history)[stat]));
    const k = spread(keras.seedRuns.map((r) => curveStats(r.history)[stat]));
    const z = standardErrorsApart(f, k);
    const fitlabInKeras = within(f.mean, k);
    const kerasInFitlab = within(k.mean, f);
    return {
      stat,
      fitlab: f,
      keras: k,
      fitlabInKeras,
      kerasInFitlab,
      z,
      agrees: (fitlabInKeras && kerasInFitlab) || z <= limit,
    };
  });
  const epochs = Math.min(fitlab.history.epoch.length, keras.history.epoch.length);
  const perEpoch = (pick: (h: History) => number[], band: (g: SeedGroup) => { low: number[]; high: number[] }) => {
    const f = pick(fitlab.history);
    const k = pick(keras.history);
    const kb = band(keras);
    let inBand = 0;
    let gap = 0;
    const apart: number[] = [];
    for (let e = 0; e < epochs; e++) {
      if (f[e] >= kb.low[e] && f[e] <= kb.high[e]) inBand++;
      gap = Math.max(gap, Math.abs(f[e] - k[e]));
      const z = standardErrorsApart(
        spread(fitlab.seedRuns.map((r) => pick(r.history)[e])),
        spread(keras.seedRuns.map((r) => pick(r.history)[e])),
      );
      if (z > limit) apart.push(e + 1);
    }
    return { inBand, gap, apart };
  };
  const ceKey = (g: SeedGroup) =>
    (g.history.history.val_crossentropy ? "val_crossentropy" : "val_loss") as "val_crossentropy" | "val_loss";
  const ce = perEpoch(
    (h) => crossentropies(h).val,
    (g) => g.bands[ceKey(g)]!,
  );
  const acc = perEpoch(
    (h) => h.history.val_accuracy!,
    (g) => g.bands.val_accuracy!,
  );
  return {
    run,
    seeds: { fitlab: fitlab.seedRuns.length, keras: keras.seedRuns.length },
    epochs,
    stats,
    epochsInBand: { crossentropy: ce.inBand, accuracy: acc.inBand },
    maxMeanGap: { crossentropy: ce.gap, accuracy: acc.gap },
    epochsApart: { crossentropy: ce.apart, accuracy: acc.apart },
  };
}

/** `compareWithKeras` on the committed fixtures of `run`. */
export function compareRecorded(run: string, options: { z?: number } = {}): KerasComparison {
  return compareWithKeras(run, loadRecorded(run, "fitlab"), loadRecorded(run, "keras"), options);
}

/**
 * One sentence saying how close fitlab's curves are to Keras's for a run, e.g. "imdb.original (fitlab 6
 * seeds, Keras 5): lowest validation cross-entropy 0.290 vs 0.289, at epoch 4.3 vs 4.4 on average;
 * fitlab's mean curve inside Keras's seed band at 17 of 20 epochs, the mean curves at most 0.021
 * apart (accuracy: 0.4 points)."
 */
export function kerasAgreementLine(c: KerasComparison): string {
  const stat = (name: keyof CurveStats) => c.stats.find((s) => s.stat === name)!;
  const min = stat("minimum");
  const best = stat("bestEpoch");
  const name = c.run;
  return (
    `${name} (fitlab ${c.seeds.fitlab} seeds, Keras ${c.seeds.keras}): lowest validation cross-entropy ${min.fitlab.mean.toFixed(3)} vs ${min.keras.mean.toFixed(3)}, ` +
    `at epoch ${best.fitlab.mean.toFixed(1)} vs ${best.keras.mean.toFixed(1)} on average; fitlab's mean curve inside Keras's seed band at ` +
    `${c.epochsInBand.crossentropy} of ${c.epochs} epochs, the mean curves at most ${c.maxMeanGap.crossentropy.toFixed(3)} apart ` +
    `(validation accuracy: ${(100 * c.maxMeanGap.accuracy).toFixed(1)} points).`
  );
}
