/**
 * Dead units: the first-layer ReLU units of a trained model whose output is zero on every training
 * row. Such a unit passes no signal and, since a ReLU's gradient is zero wherever its output is, gets
 * no gradient either: once dead on every row, it never comes back. A small layer (IMDB's
 * `Dense(4)`) that loses units this way really is too small, whatever its size says: the lesson's
 * stuck seed. Reads the model's weights once (no training, no display); plain numbers out.
 */
import * as tf from "@tensorflow/tfjs";
import { fail } from "../check";
import type { TrainedRun } from "../runs/evaluate";
import { isSeedGroup } from "../runs/seeds";
import type { Features, RunLike } from "../types";

/** What `deadUnits` counts for one model. */
export interface DeadUnitCount {
  /** The run's name (with its seed for a group's run, e.g. "tiny (seed 9)"). */
  name: string;
  /** First-layer units whose ReLU output is 0 on every row read. */
  dead: number;
  /** Units in the first layer. */
  units: number;
  /** Their indices (0-based), in order. */
  indices: number[];
  /** Rows read: the run's training rows (the first `history.params.samples`), unless `rows` was given. */
  rows: number;
  /** For each unit, the share of the rows read on which its output is 0 (1 for a dead unit). */
  zeroShare: number[];
  /** With `labels`: for each label (0 and 1 for IMDB), each unit's share of zero outputs on that label's rows. */
  zeroShareByLabel?: Record<number, number[]>;
}

const WHERE = "deadUnits";

/**
 * Counts the first-layer ReLU units of `run`'s model that output 0 on every one of the first `rows`
 * rows of `x` (default: the run's training rows, `run.history.params.samples`, which are the first
 * rows: the validation split takes the last ones). `x` is the data the run trained on, a multi-hot
 * [n, words] or dense [n, features] matrix. For a group of seeds, one count per seed, in seed order;
 * for a list of runs and groups, one count per seed over all of them (a seed met twice counts once).
 *
 * Throws, saying what to pass, when the run has no model, its first layer is not ReLU, or `x` is too
 * narrow or too short.
 */
export function deadUnits(runs: Counted | Counted[], x: Features, options: DeadUnitOptions = {}): DeadUnitCount[] {
  const seen = new Set<number>();
  const counts: DeadUnitCount[] = [];
  // One count per seed: a run passed beside a group that already holds its seed is counted once.
  const add = (run: TrainedRun, name: string, seed: number | undefined): void => {
    if (seed !== undefined && seen.has(seed)) return;
    if (seed !== undefined) seen.add(seed);
    counts.push(count(run, x, options, name));
  };
  for (const run of Array.isArray(runs) ? runs : [runs]) {
    if (run && typeof run === "object" && isSeedGroup(run)) {
      const group = run as unknown as { name: string; seedRuns: TrainedRun[]; seeds: number[] };
      group.seedRuns.forEach((r, i) => add(r, `${group.name} (seed ${group.seeds[i]})`, group.seeds[i]));
    } else {
      const single = run as TrainedRun & { options?: { seed?: number } };
      add(single, single?.name, single?.options?.seed);
    }
  }
  return counts;
}

/** A finished run or a group of seeds (what `train` and `trainSeeds` return). */
export type Counted = TrainedRun | (RunLike & { seedRuns: TrainedRun[]; seeds: number[] });

export interface DeadUnitOptions {
  /** Rows of x to read, from the first; default the run's training rows (`history.params.samples`). */
  rows?: number;
  /** The labels of x's rows (e.g. 0/1 for IMDB): adds each unit's share of zero outputs per label. */
  labels?: ArrayLike<number>;
}

function count(run: TrainedRun, x: Features, options: DeadUnitOptions, name: string): DeadUnitCount {
  if (!run || typeof run !== "object" || !(run.model instanceof tf.Sequential) || !run.spec)
    fail(WHERE, "run", run, "pass a finished run (what train() returns) or a group of seeds (trainSeeds)");
  const first = run.spec.hidden[0];
  if (!first || first.activation !== "relu")
    fail(
      WHERE,
      `run "${run.name}"`,
      first ? `a first layer with ${first.activation}` : "no hidden layer",
      "dead units are ReLU units; pass a model whose first hidden layer is relu",
    );
  if (!x || (x.kind !== "multihot" && x.kind !== "dense"))
    fail(WHERE, "x", x, "pass the features the run trained on (a MultiHotMatrix or DenseMatrix)");
  let weights: tf.Tensor[];
  try {
    weights = run.model.getWeights();
  } catch {
    return fail(WHERE, `run "${run.name}"`, "a disposed model", "count dead units before dispose(run)");
  }
  const [kernelTensor, biasTensor] = weights;
  const [inputs, units] = kernelTensor.shape as [number, number];
  if (x.cols !== inputs)
    fail(WHERE, "x width", x.cols, `the model's first layer takes ${inputs} inputs; pass the data it trained on`);
  const rows = options.rows ?? run.history.params.samples;
  if (!Number.isInteger(rows) || rows < 1 || rows > x.rows)
    fail(WHERE, "rows", rows, `an integer 1..${x.rows} (the rows of x to read; default: the run's training rows)`);
  const kernel = kernelTensor.dataSync() as Float32Array;
  const bias = biasTensor.dataSync() as Float32Array;
  const labels = options.labels;
  if (labels !== undefined && !(labels && typeof labels.length === "number" && labels.length >= rows))
    fail(WHERE, "labels", labels, `one label per row of x (at least ${rows})`);
  // zeros[j]: rows on which unit j's output is 0 (ReLU(z) = 0 ⇔ z ≤ 0); per label in byLabel.
  const zeros = new Float64Array(units);
  const byLabel = new Map<number, { rows: number; zeros: Float64Array }>();
  const z = new Float64Array(units);
  for (let r = 0; r < rows; r++) {
    z.set(bias);
    if (x.kind === "multihot") {
      for (const id of x.ids[r]) for (let j = 0; j < units; j++) z[j] += kernel[id * units + j];
    } else {
      const row = r * x.cols;
      for (let i = 0; i < x.cols; i++) {
        const v = x.data[row + i];
        if (v !== 0) for (let j = 0; j < units; j++) z[j] += v * kernel[i * units + j];
      }
    }
    let tally: { rows: number; zeros: Float64Array } | undefined;
    if (labels) {
      const label = labels[r];
      tally = byLabel.get(label);
      if (!tally) byLabel.set(label, (tally = { rows: 0, zeros: new Float64Array(units) }));
      tally.rows++;
    }
    for (let j = 0; j < units; j++) {
      if (z[j] <= 0) {
        zeros[j]++;
        if (tally) tally.zeros[j]++;
      }
    }
  }
  const indices: number[] = [];
  zeros.forEach((n, j) => {
    if (n === rows) indices.push(j);
  });
  const result: DeadUnitCount = {
    name,
    dead: indices.length,
    units,
    indices,
    rows,
    zeroShare: Array.from(zeros, (n) => n / rows),
  };
  if (labels)
    result.zeroShareByLabel = Object.fromEntries(
      [...byLabel.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([label, t]) => [label, Array.from(t.zeros, (n) => n / t.rows)]),
    );
  return result;
}

/**
 * The counts as sentences, one per model: how many first-layer units are dead, and on what share of
 * the training rows each unit outputs 0 (per label too, when counted with labels).
 *
 * e.g. "tiny, seed 9: no unit is dead on all 15,000 training rows; each unit outputs 0 on 48%, 49%,
 * 49% and 96% of them (label 0: 2%, 2%, 3% and 94%; label 1: 95%, 96%, 95% and 98%)."
 */
export function deadUnitsLine(counts: DeadUnitCount[], options: { labelNames?: Record<number, string> } = {}): string {
  if (!Array.isArray(counts) || counts.length === 0)
    fail("deadUnitsLine", "counts", counts, "pass what deadUnits() returns");
  const and = (items: string[]): string =>
    items.length === 1 ? items[0] : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
  const list = (shares: number[]): string => and(shares.map((v) => `${Math.round(100 * v)}%`));
  return counts
    .map((c) => {
      const rows = c.rows.toLocaleString("en-US");
      const dead =
        c.dead === 0
          ? `no unit is dead on all ${rows} training rows`
          : `${c.dead} of ${c.units} first-layer units ${c.dead === 1 ? "is" : "are"} dead (${c.indices.length === 1 ? "unit" : "units"} ${and(c.indices.map(String))}: output 0 on all ${rows} training rows)`;
      const labels = c.zeroShareByLabel
        ? ` (${Object.entries(c.zeroShareByLabel)
            .map(([label, shares]) => `${options.labelNames?.[Number(label)] ?? `label ${label}`}: ${list(shares)}`)
            .join("; ")})`
        : "";
      return `${c.name}: ${dead}; ${c.units === 1 ? "its unit outputs" : "each unit outputs"} 0 on ${list(c.zeroShare)} of them${labels}.`;
    })
    .join("\n");
}
