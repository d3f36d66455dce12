/**
 * `trainSeeds(spec, x, y, { ...options, seeds })`: one configuration trained once per seed, returned as
 * a `SeedGroup` (mean curve, min–max bands, the runs inside) that figures, `diagnose`, summaries and
 * the run cache accept. Each seed's run is an ordinary `train` run, cached on its own.
 */
import type * as tf from "@tensorflow/tfjs";
import { fail } from "./check";
import type { ModelSpec } from "./models";
import { groupRuns } from "./seeds";
import { train, type Run, type TrainOptions } from "./train";
import type { Features, SeedGroup } from "./types";

export interface SeedOptions extends Omit<TrainOptions, "seed"> {
  /** The seeds, one run each, e.g. `seedList(42, 3)` → [42, 43, 44]. */
  seeds: number[];
}

/** Trains `spec` once per seed; the group is named `options.name ?? spec.name`. */
export async function trainSeeds(spec: ModelSpec, x: Features | tf.Tensor, y: tf.Tensor | ArrayLike<number>, options: SeedOptions): Promise<SeedGroup<Run>> {
  const { seeds, ...rest } = options ?? ({} as SeedOptions);
  if (!Array.isArray(seeds) || seeds.length === 0) fail("trainSeeds", "seeds", seeds, "it must be a non-empty array of seeds, e.g. seedList(42, 3)");
  if (new Set(seeds).size !== seeds.length) fail("trainSeeds", "seeds", seeds, "each seed must appear once");
  const name = rest.name ?? spec.name ?? "model";
  const runs: Run[] = [];
  for (const seed of seeds) runs.push(await train(spec, x, y, { ...rest, name, seed }));
  return groupRuns(name, runs, seeds);
}
