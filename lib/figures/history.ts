/**
 * Reading histories for figures: which input is a run and which a bare history, the checks that
 * turn bad input into a clear error (naming the run and the field) before Plotly ever sees it, and
 * the series a figure draws (1-based epochs; NaN, ±Infinity and null become null so the line breaks).
 */
import { isSeedGroup } from "../runs/seeds";
import type { Band, History, Metric, RunLike } from "../types";

/** A run, or a bare Keras-shaped history (then the figure calls it `fallbackName`). */
export type RunSource = RunLike | History;

/** Runs as a list, or a record whose keys name the runs: `{ original, l2 }`. */
export type RunsInput = RunLike[] | Record<string, RunLike | History>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Wraps a bare history into a run named `fallbackName`; returns runs unchanged. */
export function toRun(source: RunSource, fallbackName: string, where: string): RunLike {
  if (!isObject(source)) {
    throw new Error(`${where}: expected a run ({ name, history }) or a Keras-shaped history, got ${describe(source)}.`);
  }
  // A run has a string name; a bare History has none (its `history` is the metrics record).
  if (typeof source.name === "string") return source as unknown as RunLike;
  if (isObject(source.history)) return { name: fallbackName, history: source as unknown as History };
  throw new Error(
    `${where}: expected a run ({ name: string, history }) or a Keras-shaped history ({ history, epoch, params }), ` +
      `got an object with keys ${Object.keys(source).join(", ") || "(none)"}.`,
  );
}

/** Normalises the runs of a comparison; names must be unique because colours and legends follow them. */
export function toRuns(runs: RunsInput, where: string): RunLike[] {
  let list: RunLike[];
  if (Array.isArray(runs)) {
    list = runs.map((run, i) => toRun(run, `run ${i + 1}`, where));
  } else if (isObject(runs)) {
    // The record key is what the reader wrote (`{ original, l2 }`), so it names the run in legends;
    // the rest of the run (a SeedGroup's seeds and bands, a test score) is kept.
    list = Object.entries(runs).map(([key, run]) => ({ ...toRun(run, key, where), name: key }));
  } else {
    throw new Error(`${where}: expected runs as an array or a record { name: run }, got ${describe(runs)}.`);
  }
  if (list.length === 0) {
    throw new Error(`${where}: no runs given; pass at least one, e.g. ${where}({ original }, ...).`);
  }
  const seen = new Set<string>();
  for (const run of list) {
    if (seen.has(run.name)) {
      throw new Error(
        `${where}: two runs are named "${run.name}"; give each run a distinct name (legends and colours follow names).`,
      );
    }
    seen.add(run.name);
  }
  return list;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}

/** Metrics Keras records only when there is validation data. */
function isValidationField(field: string): boolean {
  return field.startsWith("val_");
}

/**
 * Checks that `run` can be plotted with `fields`: a non-empty `history.epoch` of numbers and, per
 * field, one value per epoch. Throws an Error naming the run, the field, what was found and how to fix it.
 */
export function checkHistory(run: RunLike, fields: readonly Metric[], where: string): void {
  const history: unknown = run.history;
  const who = `${where}: run "${run.name}"`;
  if (!isObject(history) || !isObject(history.history)) {
    throw new Error(`${who} has no history.history record of metrics; pass the History that train() returned.`);
  }
  const epoch = history.epoch;
  if (!Array.isArray(epoch)) {
    throw new Error(
      `${who} has no history.epoch array (got ${describe(epoch)}); Keras histories list 0-based epochs [0, 1, …].`,
    );
  }
  if (epoch.length === 0) {
    throw new Error(`${who} has an empty history (history.epoch is []): train for at least one epoch before plotting.`);
  }
  const badEpoch = epoch.findIndex((e) => typeof e !== "number" || !Number.isFinite(e));
  if (badEpoch >= 0) {
    throw new Error(
      `${who}: history.epoch[${badEpoch}] is ${String(epoch[badEpoch])}; epochs must be finite numbers (0-based).`,
    );
  }
  const metrics = history.history;
  for (const field of fields) {
    const values = metrics[field];
    if (values === undefined) {
      const recorded = Object.keys(metrics).join(", ") || "nothing";
      const fix = isValidationField(field)
        ? "validation curves need validation data: train with validationSplit > 0 (the lesson uses 0.4)"
        : `record "${field}" when training, or plot a metric the run has`;
      throw new Error(`${who} has no history.history.${field} (it recorded: ${recorded}); ${fix}.`);
    }
    if (!Array.isArray(values)) {
      throw new Error(`${who}: history.history.${field} should be an array of numbers, got ${describe(values)}.`);
    }
    if (values.length !== epoch.length) {
      throw new Error(
        `${who}: history.history.${field} has ${values.length} values but history.epoch has ${epoch.length}; ` +
          "every metric needs exactly one value per epoch (was the history cut or merged by hand?).",
      );
    }
  }
}

/** A value Plotly can draw: finite numbers pass, NaN/±Infinity/null (a diverged run) become null. */
export function finiteOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** One curve of one run: x = 1-based epochs, y with null where the value was not finite. */
export interface Series {
  x: number[];
  y: (number | null)[];
  /** The first 1-based epoch whose value is not finite, or null if all are. */
  brokenAt: number | null;
}

/** The 1-based epochs of a checked history: Keras's `epoch` is 0-based, plots count from 1. */
export function epochsOf(history: History): number[] {
  return history.epoch.map((e) => e + 1);
}

/** The series of `field` (call `checkHistory` first). */
export function seriesOf(history: History, field: Metric): Series {
  const x = epochsOf(history);
  const raw = history.history[field] ?? [];
  const y = raw.map(finiteOrNull);
  const bad = y.findIndex((v) => v === null);
  return { x, y, brokenAt: bad < 0 ? null : x[bad] };
}

/** True when the run recorded the plain cross-entropy (training and validation). */
export function hasPlainCrossentropy(history: History): boolean {
  const { crossentropy, val_crossentropy } = history.history;
  return Array.isArray(crossentropy) && Array.isArray(val_crossentropy);
}

/**
 * The epoch of minimum validation loss (first one on ties), 1-based; null if no value is finite. It
 * reads the plain validation cross-entropy when recorded (`field` says which), as `diagnose` does:
 * Keras's val_loss of an L1/L2 model includes the penalty. For a SeedGroup, pass its (mean) history.
 */
export function bestEpochOf(
  history: History,
): { epoch: number; index: number; valLoss: number; field: "val_crossentropy" | "val_loss" } | null {
  const field = Array.isArray(history.history.val_crossentropy) ? "val_crossentropy" : "val_loss";
  const values = (history.history[field] ?? []).map(finiteOrNull);
  let index = -1;
  values.forEach((v, i) => {
    if (v !== null && (index < 0 || v < (values[index] as number))) index = i;
  });
  return index < 0 ? null : { epoch: history.epoch[index] + 1, index, valLoss: values[index] as number, field };
}

/**
 * The min–max band of `field` over a SeedGroup's seeds, as drawable series (non-finite → null), or
 * null for a single run (or a group that lacks the band).
 */
export function bandOf(
  run: RunLike,
  field: Metric,
): { low: (number | null)[]; high: (number | null)[]; seeds: number } | null {
  // One seed has no spread: its band would be two invisible traces on the curve itself.
  if (!isSeedGroup(run) || run.seedRuns.length < 2) return null;
  const band: Band | undefined = run.bands[field];
  if (!band) return null;
  const n = run.history.epoch.length;
  return {
    low: band.low.slice(0, n).map(finiteOrNull),
    high: band.high.slice(0, n).map(finiteOrNull),
    seeds: run.seedRuns.length,
  };
}

/** How many seeds a run averages: 1 for a single run. */
export function seedCount(run: RunLike): number {
  return isSeedGroup(run) ? run.seedRuns.length : 1;
}

/**
 * Exponential moving average as TensorBoard's smoothing slider: s₀ = y₀, sₜ = f·sₜ₋₁ + (1 − f)·yₜ.
 * A null (non-finite value) stays null and restarts the average after it, so smoothing never
 * carries a diverged value forward. `factor` 0 returns the series unchanged.
 */
export function smoothSeries(values: readonly (number | null)[], factor: number): (number | null)[] {
  if (!(typeof factor === "number" && factor >= 0 && factor < 1)) {
    throw new Error(
      `smooth must be a number in [0, 1) (0 = no smoothing, 0.6 = TensorBoard's default), got ${String(factor)}.`,
    );
  }
  let state: number | null = null;
  return values.map((v) => {
    if (v === null) {
      state = null;
      return null;
    }
    state = state === null ? v : factor * state + (1 - factor) * v;
    return state;
  });
}
