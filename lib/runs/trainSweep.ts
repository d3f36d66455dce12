/**
 * Trains a sweep (lesson/sweeps.ts): every value of one setting of the original IMDB model, each
 * value trained over seeds. Every value is an ordinary `trainSeeds` group, so it comes from the run
 * cache when the lesson already trained it (the width 16, L2 0 and dropout 0 points ARE the original;
 * 4 and 512 are notebook 3's smaller and larger networks; L2 0.002 and dropout 0.5 notebook 4's), and
 * all values start together: the pool trains two runs at a time, one per core. Reads no file, draws nothing.
 */
import { fail } from "../check";
import { withFixedValidation } from "../data/subsets";
import { sweepLabel, sweepSpec, type Sweep, type SweepKind } from "../lesson/sweeps";
import type { Run } from "./train";
import { trainSeeds, type SeedOptions } from "./trainSeeds";
import type { Features, SeedGroup } from "../types";

const RANGES: Record<SweepKind, { ok: (v: number) => boolean; allowed: string }> = {
  width: {
    ok: (v) => Number.isInteger(v) && v >= 1 && v <= 4096,
    allowed: "widths are integers in 1..4096, e.g. [4, 16, 64, 512]",
  },
  l2: { ok: (v) => v >= 0 && v <= 1, allowed: "L2 strengths are in 0..1, e.g. [0, 1e-4, 1e-3]" },
  dropout: { ok: (v) => v >= 0 && v < 1, allowed: "dropout rates are in 0..<1, e.g. [0, 0.3, 0.5]" },
  samples: {
    ok: (v) => Number.isInteger(v) && v >= 1,
    allowed: "training rows are positive integers, e.g. [5000, 10000, 15000]",
  },
};

export interface SweepOptions extends SeedOptions {
  /** The seeds of one value, when they differ from `seeds` (e.g. one seed for the widest networks). */
  seedsFor?: (value: number) => number[];
}

/**
 * Trains the original IMDB model at every value of `values` (each over its seeds), all started
 * together, the costliest first so the pool's two workers finish close together. `samples`
 * values are training rows: each keeps the validation rows of `x` under `options.validationSplit`
 * (withFixedValidation), so every value is scored on the same reviews.
 */
export async function trainSweep(
  kind: SweepKind,
  values: number[],
  x: Features,
  y: ArrayLike<number>,
  options: SweepOptions,
): Promise<Sweep> {
  if (!(kind in RANGES)) fail("trainSweep", "kind", kind, `it must be one of ${Object.keys(RANGES).join(", ")}`);
  if (!Array.isArray(values) || values.length === 0)
    fail("trainSweep", "values", values, "pass a non-empty array of values to train, e.g. [4, 16, 64]");
  const bad = values.find((v) => typeof v !== "number" || !Number.isFinite(v) || !RANGES[kind].ok(v));
  if (bad !== undefined) fail("trainSweep", `${kind} value`, bad, RANGES[kind].allowed);
  if (new Set(values).size !== values.length) fail("trainSweep", "values", values, "each value must appear once");
  const { seedsFor, ...seedOptions } = options;
  const sorted = [...values].sort((a, b) => a - b);
  // Cost grows with width and with training rows; regularization costs the same at every value.
  const launchOrder = kind === "width" || kind === "samples" ? [...sorted].reverse() : sorted;
  const trained = new Map<number, Promise<SeedGroup<Run>>>();
  for (const value of launchOrder) {
    const name = sweepLabel(kind, value);
    const seeds = seedsFor ? seedsFor(value) : seedOptions.seeds;
    if (kind === "samples") {
      const data = withFixedValidation(x, y, value, seedOptions.validationSplit ?? 0.2);
      trained.set(
        value,
        trainSeeds(sweepSpec(kind, value), data.x, data.y, {
          ...seedOptions,
          seeds,
          name,
          validationSplit: data.validationSplit,
        }),
      );
    } else {
      trained.set(value, trainSeeds(sweepSpec(kind, value), x, y, { ...seedOptions, seeds, name }));
    }
  }
  const groups = await Promise.all(sorted.map((v) => trained.get(v)!));
  return { kind, values: sorted, groups };
}
